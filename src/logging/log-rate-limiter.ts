/**
 * Lets one log line through per interval and counts the ones held back, so an outage that fails
 * every request (database down, disk full: security.md FT-6) logs about once a second instead of
 * once per request, and the count of what was suppressed still reaches the log.
 */
export class LogRateLimiter {
  readonly #intervalMs: number;
  readonly #now: () => number;
  #last = Number.NEGATIVE_INFINITY;
  #suppressed = 0;

  constructor(intervalMs: number, now: () => number = Date.now) {
    this.#intervalMs = intervalMs;
    this.#now = now;
  }

  /** The number of lines suppressed since the last one let through, or null to suppress this one. */
  take(): number | null {
    const now = this.#now();
    if (now - this.#last < this.#intervalMs) {
      this.#suppressed += 1;
      return null;
    }
    this.#last = now;
    const suppressed = this.#suppressed;
    this.#suppressed = 0;
    return suppressed;
  }
}
