import type { PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import pg from 'pg';
import { preparedStatementName } from './precompiled-query.ts';

/**
 * Bounds every PostgreSQL statement (security.md FT-4): a hung or black-holed database must turn a
 * request into a 503 after `timeoutMs`, not hold it (and its pooled client) for minutes. pg's own
 * `query_timeout` leaves the timed-out query active on the client, which then goes back to the
 * pool stuck; here the client is destroyed instead, so the pool never keeps a dead connection.
 * The time spent waiting for a pooled client counts against the first statement's budget, so a
 * request ends near `timeoutMs` rather than at twice it.
 */
export class DatabaseTimeoutError extends Error {
  /** A network-style code, so db-errors.ts classifies it as "storage unavailable" (503). */
  readonly code = 'ETIMEDOUT';

  constructor(timeoutMs: number) {
    super(`database did not answer within ${timeoutMs} ms`);
    this.name = 'DatabaseTimeoutError';
  }
}

export function timedPool(pool: pg.Pool, timeoutMs: number): PostgresPool {
  return {
    connect: async () => {
      const started = Date.now();
      const client = await pool.connect();
      return new TimedClient(client, timeoutMs, Date.now() - started);
    },
    end: () => pool.end(),
  };
}

/**
 * A "pool" that opens a new connection for every use and closes it afterwards. Only for retrying
 * a read whose pooled connection died (FT-3): when PostgreSQL kills every backend at once, the
 * other idle pooled clients are dead too but do not know it yet, so a retry must not take one.
 */
export function freshConnectionPool(config: pg.ClientConfig, timeoutMs: number): PostgresPool {
  return {
    connect: async () => {
      const client = new pg.Client(config);
      client.on('error', () => {});
      await client.connect();
      const release = () => void client.end().catch(() => {});
      return new TimedClient(Object.assign(client, { release }) as unknown as pg.PoolClient, timeoutMs);
    },
    end: async () => {},
  };
}

class TimedClient implements PostgresPoolClient {
  readonly #client: pg.PoolClient;
  readonly #timeoutMs: number;
  #released = false;
  #broken = false;
  /** What is left of the budget for the first statement: waiting for the client already spent some. */
  #firstBudgetMs: number | null;

  constructor(client: pg.PoolClient, timeoutMs: number, waitedMs = 0) {
    this.#client = client;
    this.#timeoutMs = timeoutMs;
    this.#firstBudgetMs = Math.max(50, timeoutMs - waitedMs);
  }

  // biome-ignore lint/suspicious/noExplicitAny: Kysely's overloads (statement or cursor) share this body.
  query(sqlOrCursor: any, parameters?: ReadonlyArray<unknown>): any {
    if (typeof sqlOrCursor !== 'string') return this.#client.query(sqlOrCursor);
    if (this.#broken) return Promise.reject(new DatabaseTimeoutError(this.#timeoutMs));
    const budgetMs = this.#firstBudgetMs ?? this.#timeoutMs;
    this.#firstBudgetMs = null;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.#discard();
        reject(new DatabaseTimeoutError(this.#timeoutMs));
      }, budgetMs);
    });
    const name = preparedStatementName(sqlOrCursor);
    const running = (
      name === undefined
        ? this.#client.query(sqlOrCursor, parameters as unknown[])
        : this.#client.query({ name, text: sqlOrCursor, values: parameters as unknown[] })
    ) as Promise<PostgresQueryResult<unknown>>;
    return Promise.race([running, timeout]).finally(() => clearTimeout(timer));
  }

  release(destroy?: boolean): void {
    if (this.#released) return;
    this.#released = true;
    this.#client.release(destroy || this.#broken ? true : undefined);
  }

  /** Gives the client back as broken (the pool ends it) and cuts its socket so nothing waits on it. */
  #discard(): void {
    this.#broken = true;
    this.release(true);
    const stream = (this.#client as unknown as { connection?: { stream?: { destroy(): void } } }).connection
      ?.stream;
    stream?.destroy();
  }
}
