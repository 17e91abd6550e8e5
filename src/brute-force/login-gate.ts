import type { Logger } from 'pino';
import { DomainError } from '../errors/domain-error.ts';
import type { EventSink } from '../events/event-sink.ts';
import {
  type AccountRef,
  accountKey,
  accountKeyPattern,
  accountSubject,
  addressKey,
  type BruteForceSettings,
  type CounterState,
  isAtCap,
  isLocked,
  lockDurationMs,
  resetKey,
  retryAfterSeconds,
} from './brute-force.ts';
import { loginLocked } from './brute-force-events.ts';
import type { LoginFailureRepository } from './login-failure-repository.ts';

export interface LoginGateDeps {
  failures: LoginFailureRepository;
  settings: BruteForceSettings;
  events: EventSink;
  log: Logger;
  now: () => number;
  newId: () => string;
}

/**
 * What countAttempt decided; hand it back to `succeeded` so the counter is cleared, and always
 * `release` it: until then, the next attempt on the same account from the same address waits.
 */
export interface AttemptTicket {
  locked: boolean;
  key: string | null;
  release(): void;
}

const NOTHING_HELD = () => {};

/**
 * The one brute-force gate every login path goes through (security.md A1, A2; docs/brute-force.md).
 * An account attempt is counted *before* the password is verified: the count returned by the
 * atomic increment decides, so however many attempts run in parallel on however many instances,
 * at most `account_max_failures` of them reach a real password check before the lock.
 */
export class LoginGate {
  readonly #deps: LoginGateDeps;
  /** The last attempt in line per account key on this instance (see #takeTurn). */
  readonly #turns = new Map<string, Promise<void>>();

  constructor(deps: LoginGateDeps) {
    this.#deps = deps;
  }

  get #on(): boolean {
    return this.#deps.settings.enabled;
  }

  /** 429 with Retry-After once the client address has used up its failures (S-BF-3). */
  async assertAddressAllowed(address: string): Promise<void> {
    if (!this.#on) return;
    this.#assertBelowAddressCap(await this.#deps.failures.get(addressKey(address)), this.#deps.now());
  }

  #assertBelowAddressCap(state: CounterState | null, now: number): void {
    const { addressMaxFailures, addressWindowMs } = this.#deps.settings;
    if (state && isAtCap(state, addressMaxFailures, addressWindowMs, now)) {
      const seconds = retryAfterSeconds(state, addressWindowMs, now);
      throw new DomainError('too-many-failed-logins', { headers: { 'retry-after': String(seconds) } });
    }
  }

  /** Counts a password attempt on the account from this address; `locked` means refuse it. */
  async countAttempt(account: AccountRef, address: string): Promise<AttemptTicket> {
    if (!this.#on) return { locked: false, key: null, release: NOTHING_HELD };
    const key = accountKey(account, address);
    const release = await this.#takeTurn(key);
    try {
      const { accountMaxFailures: max, accountWindowMs: windowMs, lockMaxMs } = this.#deps.settings;
      const now = this.#deps.now();
      const expiresAtMs = now + windowMs + lockMaxMs;
      const state = await this.#deps.failures.increment({ key, now, windowMs, expiresAtMs });
      if (state.failures > max && state.lockedUntilMs <= now) {
        await this.#startLock(key, account, address, state.lockCount, state.failures);
      }
      return { locked: isLocked(state, max, windowMs, now), key, release };
    } catch (error) {
      release();
      throw error;
    }
  }

  /**
   * Waits for the previous attempt on `key` here to be released. Counting before the hash bounds
   * parallel guesses, but parallel logins with the right password would then count each other as
   * failures and lock the account (CC-2); one at a time, each sees the counter its predecessor
   * cleared. Other instances count in the same rows, so guesses spread over N instances reach at
   * most N at a time. Never held across more than one attempt's hash.
   */
  async #takeTurn(key: string): Promise<() => void> {
    const previous = this.#turns.get(key) ?? Promise.resolve();
    let release: () => void = NOTHING_HELD;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => mine);
    this.#turns.set(key, tail);
    await previous;
    return () => {
      release();
      if (this.#turns.get(key) === tail) this.#turns.delete(key);
    };
  }

  /** Whether the account is locked for this address, without counting (refresh-token logins). */
  async isLocked(account: AccountRef, address: string): Promise<boolean> {
    if (!this.#on) return false;
    const { accountMaxFailures, accountWindowMs } = this.#deps.settings;
    const state = await this.#deps.failures.get(accountKey(account, address));
    return isLocked(state, accountMaxFailures, accountWindowMs, this.#deps.now());
  }

  /**
   * A refresh login's checks, with one read: the 429 of `assertAddressAllowed`, then whether the
   * account (null: the token named none) is locked for this address, as `isLocked` says.
   */
  async checkRefreshAttempt(account: AccountRef | null, address: string): Promise<{ locked: boolean }> {
    if (!this.#on) return { locked: false };
    const { accountMaxFailures, accountWindowMs } = this.#deps.settings;
    const ipKey = addressKey(address);
    const [ip, held] = await this.#deps.failures.getPair(
      ipKey,
      account ? accountKey(account, address) : ipKey,
    );
    const now = this.#deps.now();
    this.#assertBelowAddressCap(ip, now);
    return { locked: account !== null && isLocked(held, accountMaxFailures, accountWindowMs, now) };
  }

  /** A login succeeded: the account's counter for this address starts again (documented choice). */
  async succeeded(ticket: AttemptTicket): Promise<void> {
    if (ticket.key) await this.#deps.failures.delete(ticket.key);
  }

  /** A login failed: it counts against the client address. */
  async recordAddressFailure(address: string): Promise<void> {
    if (!this.#on) return;
    const { addressWindowMs: windowMs } = this.#deps.settings;
    const now = this.#deps.now();
    await this.#deps.failures.increment({
      key: addressKey(address),
      now,
      windowMs,
      expiresAtMs: now + windowMs,
    });
  }

  /**
   * A password-reset request: spends one of the address's failures, and says whether a mail may
   * go out for this login name (at most reset_max_per_login per account window).
   */
  async countResetRequest(login: string, address: string): Promise<boolean> {
    if (!this.#on) return true;
    await this.assertAddressAllowed(address);
    await this.recordAddressFailure(address);
    const { accountWindowMs: windowMs, resetMaxPerLogin } = this.#deps.settings;
    const now = this.#deps.now();
    const key = resetKey(login);
    const state = await this.#deps.failures.increment({ key, now, windowMs, expiresAtMs: now + windowMs });
    return state.failures <= resetMaxPerLogin;
  }

  /** The failures counted on an account from one address (inspection and tests). */
  async accountFailures(account: AccountRef, address: string): Promise<number> {
    const state = await this.#deps.failures.get(accountKey(account, address));
    return state?.failures ?? 0;
  }

  /**
   * Clears every lock and counter of a login, from every address (`gatehouse user unlock`): those
   * kept under the user's UUID and those kept under the login name while it named no enabled user.
   */
  async unlock(login: string, userUuid: string | null): Promise<number> {
    const subjects = [accountSubject({ login, user: null })];
    if (userUuid) subjects.push(accountSubject({ login, user: { uuid: userUuid, tenantUuid: '' } }));
    let total = 0;
    for (const subject of subjects)
      total += await this.#deps.failures.deleteMatching(accountKeyPattern(subject));
    return total;
  }

  /** Purges counters nobody touched for a window (called by the expiry job). */
  async purgeExpired(batchSize: number): Promise<number> {
    const now = this.#deps.now();
    let total = 0;
    for (;;) {
      const purged = await this.#deps.failures.purgeExpired(now, batchSize);
      total += purged;
      if (purged < batchSize) return total;
    }
  }

  async #startLock(
    key: string,
    account: AccountRef,
    address: string,
    lockCount: number,
    failures: number,
  ): Promise<void> {
    const now = this.#deps.now();
    const { lockMaxMs, accountWindowMs, accountMaxFailures } = this.#deps.settings;
    const untilMs = now + lockDurationMs(lockCount, this.#deps.settings);
    const lockId = this.#deps.newId();
    const expiresAtMs = untilMs + accountWindowMs + lockMaxMs;
    const started = await this.#deps.failures.startLock({
      key,
      now,
      untilMs,
      lockId,
      maxFailures: accountMaxFailures,
      expiresAtMs,
    });
    if (!started) return;
    // The audit line names the account as the log of failed logins does; never the password.
    this.#deps.log.warn(
      {
        audit: 'login_locked',
        login: account.login,
        user_uuid: account.user?.uuid ?? null,
        remote_addr: address,
        failures,
        locked_until: new Date(untilMs).toISOString(),
      },
      'login locked after repeated failures',
    );
    if (account.user) this.#deps.events.publish(loginLocked(account.user, address, untilMs));
  }
}
