import type { PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import type pg from 'pg';

/**
 * Bounds every PostgreSQL statement (security.md FT-4): a hung or black-holed database must turn a
 * request into a 503 after `timeoutMs`, not hold it (and its pooled client) for minutes. pg's own
 * `query_timeout` leaves the timed-out query active on the client, which then goes back to the
 * pool stuck; here the client is destroyed instead, so the pool never keeps a dead connection.
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
    connect: async () => new TimedClient(await pool.connect(), timeoutMs),
    end: () => pool.end(),
  };
}

class TimedClient implements PostgresPoolClient {
  readonly #client: pg.PoolClient;
  readonly #timeoutMs: number;
  #released = false;
  #broken = false;

  constructor(client: pg.PoolClient, timeoutMs: number) {
    this.#client = client;
    this.#timeoutMs = timeoutMs;
  }

  // biome-ignore lint/suspicious/noExplicitAny: Kysely's overloads (statement or cursor) share this body.
  query(sqlOrCursor: any, parameters?: ReadonlyArray<unknown>): any {
    if (typeof sqlOrCursor !== 'string') return this.#client.query(sqlOrCursor);
    if (this.#broken) return Promise.reject(new DatabaseTimeoutError(this.#timeoutMs));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.#discard();
        reject(new DatabaseTimeoutError(this.#timeoutMs));
      }, this.#timeoutMs);
    });
    const running = this.#client.query(sqlOrCursor, parameters as unknown[]) as Promise<
      PostgresQueryResult<unknown>
    >;
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
