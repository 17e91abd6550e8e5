import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isStorageUnavailable, isTransientConflict, retryOnConflict } from './db-errors.ts';

const deadlock = Object.assign(new Error('deadlock detected'), { code: '40P01' });
const uniqueViolation = Object.assign(new Error('duplicate key'), { code: '23505' });

test('S-REV-2 a deadlock is a transient conflict: 503 when it escapes, never a 500', () => {
  assert.equal(isTransientConflict(deadlock), true);
  assert.equal(isTransientConflict({ code: '40001' }), true);
  assert.equal(isTransientConflict(uniqueViolation), false);
  assert.equal(isStorageUnavailable(deadlock), true);
  assert.equal(isStorageUnavailable(uniqueViolation), false);
});

test('S-REV-2 retryOnConflict runs a transaction again after a deadlock, and only then', async () => {
  let calls = 0;
  const value = await retryOnConflict(async () => {
    calls += 1;
    if (calls < 3) throw deadlock;
    return 'committed';
  });
  assert.deepEqual([value, calls], ['committed', 3]);

  calls = 0;
  await assert.rejects(
    retryOnConflict(async () => {
      calls += 1;
      throw deadlock;
    }),
    /deadlock/,
  );
  assert.equal(calls, 3, 'gives up after three attempts');

  calls = 0;
  await assert.rejects(
    retryOnConflict(async () => {
      calls += 1;
      throw uniqueViolation;
    }),
    /duplicate key/,
  );
  assert.equal(calls, 1, 'other errors are not retried');
});
