import type { Logger } from 'pino';
import { sessionExpireSoon } from '../events/auth-events.ts';
import type { EventSink } from '../events/event-sink.ts';
import type { SessionRepository } from './session-repository.ts';
import type { SessionRevoker } from './session-revoker.ts';

export interface ExpiryJobDeps {
  sessions: SessionRepository;
  revoker: SessionRevoker;
  events: EventSink;
  log: Logger;
  now: () => number;
  intervalSeconds: number;
  batchSize: number;
  /** Other expired rows to purge on each run (the brute-force counters); returns how many. */
  purgeOthers?: (batchSize: number) => Promise<number>;
}

/**
 * wazo §3.11: purges sessions whose token expired (tokens cascade), publishing
 * `auth_session_deleted`, then announces `auth_session_expire_soon` for tokens expiring before the
 * next run. Each step is one conditional statement per batch, so several instances may run the job
 * at once without double events.
 */
export class ExpiryJob {
  readonly #deps: ExpiryJobDeps;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;

  constructor(deps: ExpiryJobDeps) {
    this.#deps = deps;
  }

  start(): void {
    if (this.#deps.intervalSeconds <= 0 || this.#timer) return;
    this.#timer = setInterval(() => this.#tick(), this.#deps.intervalSeconds * 1000);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running;
  }

  async runOnce(): Promise<{ purged: number; announced: number; othersPurged: number }> {
    const purged = await this.#purge();
    const announced = await this.#announceExpiringSoon();
    const othersPurged = (await this.#deps.purgeOthers?.(this.#deps.batchSize)) ?? 0;
    return { purged, announced, othersPurged };
  }

  #tick(): void {
    if (this.#running !== null) return;
    const started = this.#deps.now();
    this.#running = this.runOnce()
      .then(() => {
        const elapsedMs = this.#deps.now() - started;
        if (elapsedMs > this.#deps.intervalSeconds * 1000) {
          this.#deps.log.warn({ elapsed_ms: elapsedMs }, 'token cleanup took longer than its interval');
        }
      })
      .catch((error: unknown) => this.#deps.log.error({ err: error }, 'token cleanup failed'))
      .finally(() => {
        this.#running = null;
      });
  }

  async #purge(): Promise<number> {
    let total = 0;
    for (;;) {
      const sessions = await this.#deps.sessions.purgeExpired(this.#deps.now(), this.#deps.batchSize);
      this.#deps.revoker.announce(sessions);
      total += sessions.length;
      if (sessions.length < this.#deps.batchSize) return total;
    }
  }

  async #announceExpiringSoon(): Promise<number> {
    let total = 0;
    const now = this.#deps.now();
    const until = now + this.#deps.intervalSeconds * 1000;
    for (;;) {
      const sessions = await this.#deps.sessions.claimExpiringSoon(now, until, this.#deps.batchSize);
      for (const session of sessions) this.#deps.events.publish(sessionExpireSoon(session));
      total += sessions.length;
      if (sessions.length < this.#deps.batchSize) return total;
    }
  }
}
