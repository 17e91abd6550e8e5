import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import pg from 'pg';
import {
  isConnectionLost,
  isStorageUnavailable,
  isTransientConflict,
  retryOnConflict,
  retryReadOnce,
} from './db-errors.ts';

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

/**
 * Runs `work` against a listener that accepts and never speaks: what a black-holed PostgreSQL
 * looks like to pg. Resolves with what `work` rejected with (null if it did not).
 */
async function failureAgainstSilentListener(work: (port: number) => Promise<unknown>): Promise<unknown> {
  const held: Socket[] = [];
  const server = createServer((socket) => held.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  try {
    return await work(port).then(
      () => null,
      (reason: unknown) => reason,
    );
  } finally {
    for (const socket of held) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
}

test('FT-4 a connection attempt to a database that never answers is "unavailable" (503), not a 500', async () => {
  const error = await failureAgainstSilentListener((port) => {
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'x', connectionTimeoutMillis: 100 });
    client.on('error', () => {});
    return client.connect();
  });
  assert.ok(error instanceof Error, 'the connection attempt fails');
  assert.equal(isStorageUnavailable(error), true, `classified: ${error.message}`);
});

test('FT-4 a pooled connection that does not open in time is unavailable, and a read is not retried after it', async () => {
  // pg-pool's own connect timeout.
  let attempts = 0;
  const error = await failureAgainstSilentListener(async (port) => {
    const pool = new pg.Pool({ host: '127.0.0.1', port, user: 'x', connectionTimeoutMillis: 100 });
    try {
      await retryReadOnce(async () => {
        attempts += 1;
        (await pool.connect()).release();
      });
    } finally {
      await pool.end();
    }
  });
  assert.ok(error instanceof Error, 'the read fails');
  assert.match(error.message, /timeout/, 'the pool timed the connection out');
  assert.equal(isStorageUnavailable(error), true, `503: ${error.message}`);
  assert.equal(isConnectionLost(error), false, 'a timeout is not a lost connection');
  assert.equal(attempts, 1, 'not retried: a retry would only wait the timeout again');
});
