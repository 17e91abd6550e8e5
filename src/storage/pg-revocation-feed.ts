import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { RevocationFeed, RevocationListener } from '../tokens/revocation-feed.ts';
import type { Db } from './database.ts';
import { PgListener } from './pg-listener.ts';

const REVOKED = 'r:';
const HEARTBEAT = 'h:';
/** PostgreSQL caps a NOTIFY payload at 8000 bytes; 150 UUIDs stay well below. */
const UUIDS_PER_MESSAGE = 150;

export interface PgRevocationFeedOptions {
  url: string;
  /** One channel per schema, so databases sharing a server (tests) do not hear each other. */
  channel: string;
  heartbeatMs: number;
  maxStalenessMs: number;
  now: () => number;
}

/**
 * LISTEN/NOTIFY fan-out for instances sharing one PostgreSQL. Each instance also notifies itself a
 * heartbeat; hearing its own heartbeat sent at time T proves every notification committed before T
 * has arrived (PostgreSQL delivers in commit order). The cache is trusted only while such a proof
 * is younger than `maxStalenessMs`; a dropped connection flushes it.
 */
export class PgRevocationFeed implements RevocationFeed {
  readonly #options: PgRevocationFeedOptions;
  readonly #db: Db;
  readonly #instance = randomUUID();
  readonly #listener: PgListener;
  #confirmedAtMs = Number.NEGATIVE_INFINITY;
  #timer: NodeJS.Timeout | null = null;

  constructor(db: Db, options: PgRevocationFeedOptions) {
    this.#db = db;
    this.#options = options;
    this.#listener = new PgListener({ url: options.url, channel: options.channel });
  }

  async start(listener: RevocationListener): Promise<void> {
    await this.#listener.start({
      onMessage: (payload) => this.#receive(payload, listener),
      onReset: () => {
        this.#confirmedAtMs = Number.NEGATIVE_INFINITY;
        listener.onReset();
      },
    });
    this.#timer = setInterval(() => void this.#beat(), this.#options.heartbeatMs);
    this.#timer.unref();
    await this.#beat();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#listener.stop();
  }

  async announceWithin(executor: Db, sessionUuids: readonly string[]): Promise<void> {
    for (let i = 0; i < sessionUuids.length; i += UUIDS_PER_MESSAGE) {
      const payload = REVOKED + sessionUuids.slice(i, i + UUIDS_PER_MESSAGE).join(',');
      await sql`select pg_notify(${this.#options.channel}, ${payload})`.execute(executor);
    }
  }

  isCurrent(nowMs: number): boolean {
    return nowMs - this.#confirmedAtMs <= this.#options.maxStalenessMs;
  }

  /** For fault tests: behave as if the listening connection dropped. */
  simulateDisconnect(): void {
    this.#listener.simulateDisconnect();
  }

  async #beat(): Promise<void> {
    const payload = `${HEARTBEAT}${this.#instance}:${this.#options.now()}`;
    await sql`select pg_notify(${this.#options.channel}, ${payload})`.execute(this.#db).catch(() => {});
  }

  #receive(payload: string, listener: RevocationListener): void {
    if (payload.startsWith(REVOKED)) {
      listener.onRevoked(payload.slice(REVOKED.length).split(','));
      return;
    }
    if (!payload.startsWith(`${HEARTBEAT}${this.#instance}:`)) return;
    const sentAt = Number(payload.slice(payload.lastIndexOf(':') + 1));
    if (Number.isFinite(sentAt) && sentAt > this.#confirmedAtMs) this.#confirmedAtMs = sentAt;
  }
}
