import type { SelectQueryBuilder } from 'kysely';

/**
 * SQLite needs a LIMIT before an OFFSET and PostgreSQL refuses a negative one; the largest safe
 * integer is a limit both accept when the client asked only for an offset.
 */
const NO_LIMIT = Number.MAX_SAFE_INTEGER;

export function paginate<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  page: { limit?: number; offset: number },
): SelectQueryBuilder<DB, TB, O> {
  if (page.limit === undefined && page.offset === 0) return query;
  return query.limit(page.limit ?? NO_LIMIT).offset(page.offset);
}
