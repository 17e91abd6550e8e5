/**
 * A counting semaphore with a bounded waiting line. Password hashing goes through it so a burst of
 * logins queues at most `queueLimit` hashes behind the hashing threads: past the limit, callers are
 * told at once (and answer 503 + Retry-After) instead of waiting forever.
 */
export class WorkQueue {
  readonly #concurrency: number;
  readonly #queueLimit: number;
  #running = 0;
  readonly #waiting: Array<() => void> = [];
  readonly #observeWait: (seconds: number) => void;

  constructor(concurrency: number, queueLimit: number, observeWait: (seconds: number) => void = () => {}) {
    this.#concurrency = Math.max(1, concurrency);
    this.#queueLimit = queueLimit;
    this.#observeWait = observeWait;
  }

  get depth(): number {
    return this.#waiting.length;
  }

  /**
   * Runs `task` when a slot frees up; returns null without running it when the line is full. Every
   * task that runs reports its wait, zero included, so the wait histogram counts every hash and
   * its quantiles are those of all logins, not only of the ones that queued.
   */
  async run<T>(task: () => Promise<T>): Promise<{ value: T } | null> {
    if (this.#running >= this.#concurrency) {
      if (this.#waiting.length >= this.#queueLimit) return null;
      const queuedAt = performance.now();
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
      this.#observeWait((performance.now() - queuedAt) / 1000);
    } else {
      this.#running += 1;
      this.#observeWait(0);
    }
    try {
      return { value: await task() };
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running -= 1;
    }
  }
}
