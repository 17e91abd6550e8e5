import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LogRateLimiter } from '../logging/log-rate-limiter.ts';
import { DatabaseHealth } from './database-health.ts';

test('FT-4 readiness never waits on a hung database: the last state at once, then down once the ping is stale', async () => {
  let now = 0;
  let hang = false;
  const health = new DatabaseHealth({
    ping: () => (hang ? new Promise<void>(() => {}) : Promise.resolve()),
    answerWithinMs: 5,
    firstAnswerWithinMs: 5,
    staleAfterMs: 1000,
    timeoutMs: 1500,
    now: () => now,
  });
  assert.equal(await health.state(), 'ok');
  hang = true;
  const started = Date.now();
  assert.equal(await health.state(), 'ok', 'a ping pending for less than staleAfterMs: last known state');
  now = 1500;
  assert.equal(await health.state(), 'fail', 'a ping pending for longer: down');
  assert.ok(Date.now() - started < 1000, 'no probe waited for the hung ping');
});

test('FT-2 readiness reports a database that refuses connections at once', async () => {
  const health = new DatabaseHealth({ ping: () => Promise.reject(new Error('ECONNREFUSED')) });
  assert.equal(await health.state(), 'fail');
});

test('FT-6 outage log lines: one per interval, with the count of those suppressed', () => {
  let now = 0;
  const limiter = new LogRateLimiter(1000, () => now);
  assert.equal(limiter.take(), 0);
  assert.equal(limiter.take(), null);
  now = 500;
  assert.equal(limiter.take(), null);
  now = 1000;
  assert.equal(limiter.take(), 2, 'the two lines held back are counted');
});
