import pg from 'pg';
import { PG_APPLICATION_NAME } from './database.ts';

export interface ListenerEvents {
  onMessage(payload: string): void;
  /** The connection dropped or was replaced: messages may have been missed. */
  onReset(): void;
}

export interface PgListenerOptions {
  url: string;
  channel: string;
  /** Longest pause between reconnection attempts. */
  maxBackoffMs?: number;
}

const FIRST_BACKOFF_MS = 50;

/**
 * A dedicated PostgreSQL connection that LISTENs on one channel and reconnects with backoff.
 * PostgreSQL delivers notifications in commit order to every live listener, so the only way to
 * miss one is to lose the connection, and that is always reported through `onReset`.
 */
export class PgListener {
  readonly #options: PgListenerOptions;
  #events: ListenerEvents | null = null;
  #client: pg.Client | null = null;
  #stopped = false;
  #backoffMs = FIRST_BACKOFF_MS;
  #retry: NodeJS.Timeout | null = null;

  constructor(options: PgListenerOptions) {
    this.#options = options;
  }

  /** Connects and listens; resolves after the first attempt, whether or not it succeeded. */
  async start(events: ListenerEvents): Promise<void> {
    this.#events = events;
    await this.#connect();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#retry) clearTimeout(this.#retry);
    const client = this.#client;
    this.#client = null;
    await client?.end().catch(() => {});
  }

  /** Ends the connection as a network failure would (fault tests). */
  simulateDisconnect(): void {
    this.#client?.emit('error', new Error('simulated disconnect'));
  }

  async #connect(): Promise<void> {
    if (this.#stopped) return;
    const client = new pg.Client({
      connectionString: this.#options.url,
      connectionTimeoutMillis: 5000,
      application_name: PG_APPLICATION_NAME,
    });
    client.on('notification', (message) => {
      if (client === this.#client && message.payload !== undefined) this.#events?.onMessage(message.payload);
    });
    client.on('error', () => this.#lost(client));
    client.on('end', () => this.#lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN "${this.#options.channel.replaceAll('"', '')}"`);
      this.#client = client;
      this.#backoffMs = FIRST_BACKOFF_MS;
    } catch {
      await client.end().catch(() => {});
      this.#scheduleReconnect();
    }
  }

  #lost(client: pg.Client): void {
    if (client !== this.#client) return;
    this.#client = null;
    void client.end().catch(() => {});
    this.#events?.onReset();
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    if (this.#stopped || this.#retry) return;
    this.#retry = setTimeout(() => {
      this.#retry = null;
      void this.#connect();
    }, this.#backoffMs);
    this.#retry.unref();
    this.#backoffMs = Math.min(this.#backoffMs * 2, this.#options.maxBackoffMs ?? 2000);
  }
}
