import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { pipelinedTransactions, type StatementBatch } from './pg-pipeline.ts';
import { SchemaScopedPostgresDialect } from './pg-schema-introspector.ts';
import { freshConnectionPool, timedPool } from './pg-timed-pool.ts';
import { SqliteBooleanPlugin } from './sqlite-boolean-plugin.ts';
import { GatehouseSqliteDialect } from './sqlite-dialect.ts';
import { withStatementCache } from './sqlite-statement-cache.ts';
import type { DatabaseSchema } from './tables.ts';
import { WalCheckpointer } from './wal-checkpointer.ts';
import { WalFlush } from './wal-flush.ts';

export type Dialect = 'sqlite' | 'postgres';
export type Db = Kysely<DatabaseSchema>;

/** The one seam between Gatehouse and its two engines; nothing outside storage/ knows which is in use. */
export interface Storage {
  readonly db: Db;
  readonly dialect: Dialect;
  /** Same database, but every use opens a new connection (PostgreSQL): for retrying a read once. */
  readonly freshDb: Db;
  /** Resolves when the database answers a trivial query; rejects otherwise. */
  ping(): Promise<void>;
  /** SQLite's write-ahead log, flushed by the group commit (group-commit.ts); null otherwise. */
  readonly walFile: string | null;
  /** SQLite: the flush of that log (a no-op in memory), closed with the storage; null otherwise. */
  readonly walFlush: WalFlush | null;
  /** SQLite file: checkpoints of that log off the event loop (wal-checkpointer.ts); null otherwise. */
  readonly checkpointer: WalCheckpointer | null;
  /** PostgreSQL: a transaction sent in one round trip (pg-pipeline.ts); null for SQLite (group-commit.ts runs it). */
  readonly pipelined: StatementBatch | null;
  /** Connection-pool occupancy (PostgreSQL); null for the embedded engine. */
  poolStats(): { total: number; idle: number; waiting: number } | null;
  close(): Promise<void>;
}

export interface StorageOptions {
  /** PostgreSQL schema to use (tests isolate themselves in throwaway schemas). */
  pgSchema?: string;
  poolSize?: number;
  /** Longest wait for a connection or for one statement (PostgreSQL) before the request gets 503. */
  timeoutMs?: number;
  /** SQLite: hears of a checkpoint thread that could not work (checkpoints then stay on the event loop). */
  onCheckpointError?: (error: unknown) => void;
}

/** How each instance shows in pg_stat_activity (FT-3 terminates backends by this name). */
export const PG_APPLICATION_NAME = 'gatehouse';
const DEFAULT_TIMEOUT_MS = 2000;

const INT8_OID = 20;

export function openStorage(url: string, options: StorageOptions = {}): Storage {
  return url.startsWith('sqlite:')
    ? openSqlite(url.slice('sqlite:'.length), options)
    : openPostgres(url, options);
}

/**
 * The log's size at which the main connection checkpoints by itself, on the event loop: a backstop
 * for a checkpoint thread that failed, and for writes outside the group commit, which asks the
 * thread for a checkpoint well before this (group-commit.ts). SQLite's default is 1,000 pages.
 */
const BACKSTOP_CHECKPOINT_PAGES = 4000;

function openSqlite(path: string, options: StorageOptions): Storage {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const database = new SQLite(path);
  // WAL lets checks read while a login writes; FULL sync makes every acknowledged write survive a
  // crash (a 2xx means committed; the group commit flushes its own commits, see WalFlush);
  // busy_timeout covers the CLI writing while the server runs.
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = FULL');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  const checkpointer = path === ':memory:' ? null : new WalCheckpointer(path, options.onCheckpointError);
  if (checkpointer) database.pragma(`wal_autocheckpoint = ${BACKSTOP_CHECKPOINT_PAGES}`);
  const db = new Kysely<DatabaseSchema>({
    dialect: new GatehouseSqliteDialect(database, withStatementCache(database)),
    plugins: [new SqliteBooleanPlugin()],
  });
  const walFile = path === ':memory:' ? null : `${path}-wal`;
  const walFlush = new WalFlush(walFile);
  return {
    db,
    dialect: 'sqlite',
    freshDb: db,
    walFile,
    walFlush,
    checkpointer,
    pipelined: null,
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    poolStats: () => null,
    close: async () => {
      // The thread's connection first: the last one to close checkpoints the log and removes it.
      await checkpointer?.close();
      await db.destroy();
      await walFlush.close();
    },
  };
}

function openPostgres(url: string, options: StorageOptions): Storage {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const clientConfig: pg.ClientConfig = {
    connectionString: url,
    connectionTimeoutMillis: timeoutMs,
    application_name: PG_APPLICATION_NAME,
    options: options.pgSchema ? `-c search_path=${options.pgSchema}` : undefined,
    // Times are bigint milliseconds; they fit a JS number exactly, so parse int8 as a number.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as never,
    },
  };
  // Pipeline mode changes nothing for a client used one statement at a time, as Kysely uses it;
  // it lets pg-pipeline.ts send a whole transaction at once.
  const pool = new pg.Pool({
    ...clientConfig,
    pipeline: true,
    max: options.poolSize ?? 10,
    idleTimeoutMillis: 30_000,
  });
  // A connection lost while idle (pool 'error') or while lent to a query (client 'error', which
  // pg-pool does not handle then) must not crash the process: the query itself still fails, and
  // the request answers 503.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = new Kysely<DatabaseSchema>({
    dialect: new SchemaScopedPostgresDialect({ pool: timedPool(pool, timeoutMs) }),
  });
  const freshDb = new Kysely<DatabaseSchema>({
    dialect: new PostgresDialect({ pool: freshConnectionPool(clientConfig, timeoutMs) }),
  });
  return {
    db,
    dialect: 'postgres',
    freshDb,
    walFile: null,
    walFlush: null,
    checkpointer: null,
    pipelined: pipelinedTransactions(pool, timeoutMs),
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    close: async () => {
      await freshDb.destroy();
      await db.destroy();
    },
  };
}
