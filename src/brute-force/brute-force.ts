import { createHash } from 'node:crypto';

/**
 * Pure rules of the brute-force gate (docs/brute-force.md). A counter is a row of
 * auth_login_failure named by its key:
 * - `a:<account>@<address>`: failed attempts on one account from one client address (the lock);
 * - `ip:<address>`: failed logins and reset requests from one client address (the 429 cap);
 * - `r:<login digest>`: password-reset requests for one login name (the mail-flood cap).
 * An account is the user's UUID when the login names an enabled user, else a digest of the login
 * name lower-cased as the user lookup does, so unknown names are counted exactly like real ones.
 */

export interface BruteForceSettings {
  enabled: boolean;
  accountMaxFailures: number;
  accountWindowMs: number;
  lockMs: number;
  lockMaxMs: number;
  addressMaxFailures: number;
  addressWindowMs: number;
  resetMaxPerLogin: number;
}

/** Who an attempt is about: the login name as typed and, when it names an enabled user, that user. */
export interface AccountRef {
  login: string;
  user: { uuid: string; tenantUuid: string } | null;
}

/** The state of one counter row. */
export interface CounterState {
  failures: number;
  windowStartMs: number;
  lockedUntilMs: number;
  lockCount: number;
}

/** Login names are matched case-insensitively (user-repository.ts lower-cases both sides). */
export function loginDigest(login: string): string {
  return createHash('sha256').update(login.toLowerCase(), 'utf8').digest('hex');
}

export function accountSubject(account: AccountRef): string {
  return account.user ? `u:${account.user.uuid}` : `l:${loginDigest(account.login)}`;
}

export function accountKey(account: AccountRef, address: string): string {
  return `a:${accountSubject(account)}@${address}`;
}

/** The LIKE pattern of every per-address counter of one account (unlock). */
export function accountKeyPattern(subject: string): string {
  return `a:${subject}@%`;
}

export const addressKey = (address: string): string => `ip:${address}`;
export const resetKey = (login: string): string => `r:${loginDigest(login)}`;

/**
 * Whether the next increment starts the count again: a lock has ended, or the window has passed
 * with no lock running. The repository's upsert states the same rule in SQL.
 */
export function restarts(state: CounterState, windowMs: number, now: number): boolean {
  if (state.lockedUntilMs > now) return false;
  return state.lockedUntilMs > 0 || state.windowStartMs + windowMs <= now;
}

/** An account counter refuses attempts while a lock runs or while it holds more than `max` failures. */
export function isLocked(state: CounterState | null, max: number, windowMs: number, now: number): boolean {
  if (!state) return false;
  if (state.lockedUntilMs > now) return true;
  return !restarts(state, windowMs, now) && state.failures > max;
}

/** An address is blocked once it holds `max` failures in its window. */
export function isAtCap(state: CounterState | null, max: number, windowMs: number, now: number): boolean {
  return state !== null && !restarts(state, windowMs, now) && state.failures >= max;
}

/** Lock length: doubles with each lock of the same counter, capped (security.md A1: 1 min … 15 min). */
export function lockDurationMs(
  lockCount: number,
  settings: Pick<BruteForceSettings, 'lockMs' | 'lockMaxMs'>,
) {
  return Math.min(settings.lockMaxMs, settings.lockMs * 2 ** Math.min(lockCount, 30));
}

/** Whole seconds until a capped address may try again, at least 1 (RFC 9110 Retry-After). */
export function retryAfterSeconds(state: CounterState, windowMs: number, now: number): number {
  return Math.max(1, Math.ceil((state.windowStartMs + windowMs - now) / 1000));
}
