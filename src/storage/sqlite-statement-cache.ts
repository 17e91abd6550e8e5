import type { Database, Statement } from 'better-sqlite3';
import type { SqliteDatabase } from 'kysely';

/**
 * Kysely's SQLite driver prepares every query anew; preparing was an eighth of a refresh login's
 * CPU (issue #4 profile). The same SQL text gets the same prepared statement here. Reuse is safe:
 * the driver runs each statement to completion synchronously (`all`/`run`), and Gatehouse never
 * streams. Texts that vary without bound (an `in (?, ?, …)` list per length) cannot grow the cache
 * past its bound: it starts over instead.
 */
export function withStatementCache(database: Database, maxStatements = 500): SqliteDatabase {
  const statements = new Map<string, Statement>();
  return {
    prepare(sql: string): Statement {
      let statement = statements.get(sql);
      if (statement === undefined) {
        if (statements.size >= maxStatements) statements.clear();
        statement = database.prepare(sql);
        statements.set(sql, statement);
      }
      return statement;
    },
    close: () => {
      statements.clear();
      database.close();
    },
  };
}
