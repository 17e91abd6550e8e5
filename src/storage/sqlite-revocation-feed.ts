import { sql } from 'kysely';
import type { RevocationFeed, RevocationListener } from '../tokens/revocation-feed.ts';
import type { Db } from './database.ts';

export interface SqliteRevocationFeedOptions {
  pollMs: number;
  maxStalenessMs: number;
  now: () => number;
}

/**
 * The server's own revocations evict its cache directly; what it cannot see are writes made by
 * another process on the same file (the `gatehouse` CLI disabling a user, say). SQLite's
 * `data_version` changes exactly when another connection commits, so polling it and flushing the
 * cache on change bounds that blind spot to the poll interval.
 */
export class SqliteRevocationFeed implements RevocationFeed {
  readonly #db: Db;
  readonly #options: SqliteRevocationFeedOptions;
  #version: number | null = null;
  #confirmedAtMs = Number.NEGATIVE_INFINITY;
  #timer: NodeJS.Timeout | null = null;

  constructor(db: Db, options: SqliteRevocationFeedOptions) {
    this.#db = db;
    this.#options = options;
  }

  async start(listener: RevocationListener): Promise<void> {
    await this.#poll(listener);
    this.#timer = setInterval(() => void this.#poll(listener), this.#options.pollMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
  }

  async announceWithin(): Promise<void> {}

  isCurrent(nowMs: number): boolean {
    return nowMs - this.#confirmedAtMs <= this.#options.maxStalenessMs;
  }

  async #poll(listener: RevocationListener): Promise<void> {
    const startedAt = this.#options.now();
    try {
      const result = await sql<{ data_version: number }>`pragma data_version`.execute(this.#db);
      const version = Number(result.rows[0]?.data_version);
      if (this.#version !== null && version !== this.#version) listener.onReset();
      this.#version = version;
      this.#confirmedAtMs = startedAt;
    } catch {
      // Unreadable database: stop trusting the cache until a poll succeeds again.
    }
  }
}
