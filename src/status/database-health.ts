/**
 * The readiness answer for HEAD/GET /status (security.md FT-2, FT-4). A probe must answer fast
 * even when the database hangs (a load balancer's probe times out, and it must learn "not ready",
 * not nothing), so it never waits on the database for long:
 * - one ping at a time is in flight, shared by every probe;
 * - a ping that settles within `answerWithinMs` gives the answer (a probe that started the ping
 *   waits up to `firstAnswerWithinMs`, so a database that just went down is reported at once);
 * - otherwise the last known state is reported, until the pending ping is older than
 *   `staleAfterMs`: from then on the database counts as down. A ping is abandoned after `timeoutMs`.
 */
export type DatabaseState = 'ok' | 'fail';

export interface DatabaseHealthOptions {
  ping: () => Promise<void>;
  answerWithinMs?: number;
  firstAnswerWithinMs?: number;
  staleAfterMs?: number;
  timeoutMs?: number;
  now?: () => number;
}

export class DatabaseHealth {
  readonly #ping: () => Promise<void>;
  readonly #answerWithinMs: number;
  readonly #firstAnswerWithinMs: number;
  readonly #staleAfterMs: number;
  readonly #timeoutMs: number;
  readonly #now: () => number;
  #last: DatabaseState = 'fail';
  #pending: Promise<DatabaseState> | null = null;
  #pendingSince = 0;

  constructor(options: DatabaseHealthOptions) {
    this.#ping = options.ping;
    this.#answerWithinMs = options.answerWithinMs ?? 30;
    this.#firstAnswerWithinMs = options.firstAnswerWithinMs ?? 75;
    this.#staleAfterMs = options.staleAfterMs ?? 1000;
    this.#timeoutMs = options.timeoutMs ?? 2000;
    this.#now = options.now ?? Date.now;
  }

  async state(): Promise<DatabaseState> {
    const joined = this.#pending !== null;
    const pending = this.#pending ?? this.#startPing();
    const waitMs = joined ? this.#answerWithinMs : this.#firstAnswerWithinMs;
    let timer: NodeJS.Timeout | undefined;
    const slow = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), waitMs);
    });
    const settled = await Promise.race([pending, slow]).finally(() => clearTimeout(timer));
    if (settled !== null) return settled;
    return this.#now() - this.#pendingSince > this.#staleAfterMs ? 'fail' : this.#last;
  }

  #startPing(): Promise<DatabaseState> {
    this.#pendingSince = this.#now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('database ping timed out')), this.#timeoutMs);
    });
    const ping = Promise.race([this.#ping(), timeout])
      .then((): DatabaseState => 'ok')
      .catch((): DatabaseState => 'fail')
      .then((state) => {
        clearTimeout(timer);
        this.#last = state;
        this.#pending = null;
        return state;
      });
    this.#pending = ping;
    return ping;
  }
}
