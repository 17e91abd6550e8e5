import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { HashPool } from './hash-pool.ts';

const HASH = { password: 'correct horse battery', memoryKib: 19_456, timeCost: 2 };
const IDLE_MS = 300;

describe('hash pool', () => {
  const pool = new HashPool(2, 0, () => {}, IDLE_MS);
  after(() => pool.close());

  test('#4 threads start with the hashes, not with the pool', () => {
    assert.equal(pool.runningThreads, 0);
  });

  test('#4 two hashes at once run on two threads, which end once idle and start again', async () => {
    const first = await Promise.all([pool.run('argon2Hash', HASH), pool.run('argon2Hash', HASH)]);
    assert.equal(pool.runningThreads, 2);
    assert.ok(first.every((hash) => hash.startsWith('$argon2id$')));

    const deadline = Date.now() + 20 * IDLE_MS;
    while (pool.runningThreads > 0 && Date.now() < deadline) await sleep(IDLE_MS / 3);
    assert.equal(pool.runningThreads, 0, 'idle threads end');

    const stored = first[0] as string;
    assert.equal(await pool.run('argon2Verify', { hash: stored, password: HASH.password }), true);
    assert.equal(pool.runningThreads > 0, true, 'a later hash starts a thread again');
  });
});
