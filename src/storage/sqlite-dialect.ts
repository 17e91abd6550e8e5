import type SQLite from 'better-sqlite3';
import {
  type DatabaseConnection,
  type Driver,
  type SqliteDatabase,
  SqliteDialect,
  SqliteDriver,
} from 'kysely';

/**
 * Kysely's SQLite dialect, with one fix: on SQLITE_FULL, SQLITE_IOERR or SQLITE_NOMEM SQLite
 * rolls the transaction back by itself, so Kysely's own ROLLBACK then fails with "cannot rollback
 * - no transaction is active", and that error replaces the real one: a full disk became a 500
 * instead of a 503 (security.md FT-6). The rollback is skipped when no transaction is open.
 */
export class GatehouseSqliteDialect extends SqliteDialect {
  readonly #database: SQLite.Database;
  readonly #statements: SqliteDatabase;

  /** `statements` prepares queries for the driver (a cache in front of `database`). */
  constructor(database: SQLite.Database, statements: SqliteDatabase = database) {
    super({ database: statements });
    this.#database = database;
    this.#statements = statements;
  }

  override createDriver(): Driver {
    return new RollbackTolerantDriver(this.#database, this.#statements);
  }
}

class RollbackTolerantDriver extends SqliteDriver {
  readonly #database: SQLite.Database;

  constructor(database: SQLite.Database, statements: SqliteDatabase) {
    super({ database: statements });
    this.#database = database;
  }

  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    if (!this.#database.inTransaction) return;
    await super.rollbackTransaction(connection);
  }
}
