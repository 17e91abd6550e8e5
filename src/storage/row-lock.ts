import { type SelectQueryBuilder, SqliteAdapter } from 'kysely';
import type { Db } from './database.ts';

/**
 * A read that locks the rows it returns until the commit (none when they were deleted meanwhile).
 *
 * PostgreSQL: `FOR NO KEY UPDATE`, the lock an UPDATE of non-key columns takes. Transactions that
 * lock or update the same row queue behind it, while foreign-key checks from other tables (which
 * take `KEY SHARE`) pass. Before, a no-op UPDATE took this lock. It also wrote a new version of the
 * row and left a dead one behind, on every login.
 *
 * SQLite has no row locks. Its write transaction already excludes every other writer, so a plain
 * read suffices there.
 */
export function lockedRead<DB, TB extends keyof DB, O>(
  db: Db,
  query: SelectQueryBuilder<DB, TB, O>,
): SelectQueryBuilder<DB, TB, O> {
  return db.getExecutor().adapter instanceof SqliteAdapter ? query : query.forNoKeyUpdate();
}
