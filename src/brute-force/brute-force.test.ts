import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../config/config-loader.ts';
import {
  type CounterState,
  isAtCap,
  isLocked,
  lockDurationMs,
  loginDigest,
  restarts,
  retryAfterSeconds,
} from './brute-force.ts';

const WINDOW = 900_000;
const state = (fields: Partial<CounterState>): CounterState => ({
  failures: 0,
  windowStartMs: 0,
  lockedUntilMs: 0,
  lockCount: 0,
  ...fields,
});

function problemsOf(brute_force: Record<string, unknown>): string[] {
  try {
    loadConfig({}, { brute_force });
    return [];
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
}

describe('brute-force rules', () => {
  test('S-BF-1 more than F failures in the window lock; a running lock locks whatever the count', () => {
    assert.equal(isLocked(null, 10, WINDOW, 1000), false);
    assert.equal(isLocked(state({ failures: 10, windowStartMs: 0 }), 10, WINDOW, 1000), false);
    assert.equal(isLocked(state({ failures: 11, windowStartMs: 0 }), 10, WINDOW, 1000), true);
    assert.equal(isLocked(state({ failures: 1, lockedUntilMs: 5000 }), 10, WINDOW, 1000), true);
  });

  test('S-BF-2 the count starts again when a lock has ended or the window passed without a lock', () => {
    assert.equal(restarts(state({ failures: 50, lockedUntilMs: 1000 }), WINDOW, 1000), true);
    assert.equal(restarts(state({ failures: 50, lockedUntilMs: 1001 }), WINDOW, 1000), false);
    assert.equal(restarts(state({ failures: 5, windowStartMs: 0 }), WINDOW, WINDOW - 1), false);
    assert.equal(restarts(state({ failures: 5, windowStartMs: 0 }), WINDOW, WINDOW), true);
    assert.equal(isLocked(state({ failures: 50, lockedUntilMs: 1000 }), 10, WINDOW, 1000), false);
  });

  test('S-BF-2 locks double from lock_seconds up to lock_max_seconds, without overflow', () => {
    const settings = { lockMs: 60_000, lockMaxMs: 900_000 };
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 1000, Number.MAX_SAFE_INTEGER].map((n) => lockDurationMs(n, settings)),
      [60_000, 120_000, 240_000, 480_000, 900_000, 900_000, 900_000, 900_000],
    );
  });

  test('S-BF-3 an address is capped at max failures; Retry-After counts the seconds left, at least 1', () => {
    const day = 86_400_000;
    assert.equal(isAtCap(state({ failures: 99 }), 100, day, 10), false);
    assert.equal(isAtCap(state({ failures: 100 }), 100, day, 10), true);
    assert.equal(isAtCap(state({ failures: 100 }), 100, day, day), false);
    assert.equal(retryAfterSeconds(state({ windowStartMs: 0 }), day, 1500), 86_399);
    assert.equal(retryAfterSeconds(state({ windowStartMs: 0 }), day, day - 1), 1);
  });

  test('S-BF-1 login names are counted case-insensitively, as the user lookup matches them', () => {
    assert.equal(loginDigest('Alice@Example.com'), loginDigest('alice@example.com'));
    assert.notEqual(loginDigest('alice'), loginDigest('alice '));
  });
});

describe('FZ-CFG brute_force configuration', () => {
  test('FZ-CFG the defaults load: enabled, F = 10 in 15 min, 1 to 15 min locks, 100 per address a day', () => {
    assert.deepEqual(loadConfig({}, {}).brute_force, {
      enabled: true,
      account_max_failures: 10,
      account_window_seconds: 900,
      lock_seconds: 60,
      lock_max_seconds: 900,
      address_max_failures: 100,
      address_window_seconds: 86_400,
      reset_max_per_login: 5,
    });
  });

  for (const key of [
    'account_max_failures',
    'account_window_seconds',
    'lock_seconds',
    'lock_max_seconds',
    'address_max_failures',
    'address_window_seconds',
    'reset_max_per_login',
  ]) {
    test(`FZ-CFG brute_force.${key}: zero, negative, fractional, 2^31, 2^63, infinity and text are refused at start`, () => {
      for (const value of [0, -1, 1.5, 2 ** 31, 2 ** 63, Number.POSITIVE_INFINITY, '10']) {
        const problems = problemsOf({ [key]: value });
        assert.ok(
          problems.some((p) => p.startsWith(`/brute_force/${key}`)),
          `${key}=${String(value)}: ${problems.join('; ')}`,
        );
      }
    });
  }

  test('FZ-CFG lock_max_seconds below lock_seconds is refused with a clear message', () => {
    assert.deepEqual(problemsOf({ lock_seconds: 600, lock_max_seconds: 60 }), [
      '/brute_force/lock_max_seconds: must be at least lock_seconds',
    ]);
  });

  test('FZ-CFG GATEHOUSE_BRUTE_FORCE_* variables are read and validated like YAML', () => {
    assert.equal(
      loadConfig({ GATEHOUSE_BRUTE_FORCE_ACCOUNT_MAX_FAILURES: '3' }).brute_force.account_max_failures,
      3,
    );
    assert.throws(() => loadConfig({ GATEHOUSE_BRUTE_FORCE_LOCK_SECONDS: '-5' }), ConfigError);
  });
});
