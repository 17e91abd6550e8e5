import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OAuthError } from '../oauth-error.ts';
import { narrowedScope } from './grant-refresh-token.ts';
import { familyExpired } from './rotation.ts';

const DAY_MS = 86_400_000;

test('RFC 6749 §6 a refresh may narrow the scope, never widen it', () => {
  assert.deepEqual(narrowedScope(['a', 'b'], []), ['a', 'b']);
  assert.deepEqual(narrowedScope(['a', 'b'], ['b', 'b']), ['b']);
  assert.throws(
    () => narrowedScope(['a'], ['a', 'c']),
    (error: unknown) => error instanceof OAuthError && error.code === 'invalid_scope',
  );
});

test('D1 a family expires after its idle or absolute lifetime; 0 means never', () => {
  const grant = { createdAtMs: 0, lastUsedAtMs: 10 * DAY_MS };
  const never = { refreshIdleSeconds: 0, refreshMaxLifetimeSeconds: 0 };
  assert.equal(familyExpired(grant, never, 10_000 * DAY_MS), false);
  const idle = { refreshIdleSeconds: 86_400, refreshMaxLifetimeSeconds: 0 };
  assert.equal(familyExpired(grant, idle, 11 * DAY_MS), false);
  assert.equal(familyExpired(grant, idle, 11 * DAY_MS + 1), true);
  const absolute = { refreshIdleSeconds: 0, refreshMaxLifetimeSeconds: 30 * 86_400 };
  assert.equal(familyExpired(grant, absolute, 30 * DAY_MS), false);
  assert.equal(familyExpired(grant, absolute, 30 * DAY_MS + 1), true);
});
