import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { checkToken, LoadLoop, loginSample, tally } from '../testing/fault-load.ts';
import { createUser, login } from '../testing/http-client.ts';
import { createProcessDatabase } from '../testing/process-databases.ts';
import { ServerProcess } from '../testing/server-process.ts';

/**
 * FT-7 (security.md §5.2): SIGTERM under load. Thirty logins are sent first and, with one password
 * hash at a time, are still queued in the server when the signal arrives: every one of them must
 * complete with 200. Meanwhile readiness turns false at once, a new TCP connection is refused, and
 * the process exits 0 well within 10 s.
 */
const IN_FLIGHT = 30;

test('FT-7 SIGTERM under load: readiness false at once, in-flight requests complete, new connections refused, exit within 10 s', async (t) => {
  const database = await createProcessDatabase('sqlite');
  const server = await ServerProcess.start({
    databaseUrl: database.url,
    dataDir: database.dir,
    env: { GATEHOUSE_PASSWORDS_HASH_CONCURRENCY: '1' },
  });
  try {
    const user = await createUser(server);
    const token = (await login(server, user.username, user.password)).token;
    const background = new LoadLoop(2, () => checkToken(server, token), 20_000);
    const inFlight = Array.from({ length: IN_FLIGHT }, () =>
      loginSample(server, user.username, user.password),
    );
    // Long enough for every login to reach the server, far shorter than 30 queued argon2 hashes.
    await sleep(250);
    const signalled = Date.now();
    server.kill('SIGTERM');
    await sleep(50);

    assert.notEqual(await server.readiness(), 200, 'readiness is false at once');
    assert.equal(await connectionRefused(server.port), true, 'a new connection is refused');

    const logins = await Promise.all(inFlight);
    const exit = await server.exited();
    const exitMs = Date.now() - signalled;
    const checks = await background.stop();
    const finishedAfter = logins.filter((s) => s.end > signalled).length;
    t.diagnostic(`in-flight logins: ${tally(logins)}, ${finishedAfter} finished after the signal`);
    t.diagnostic(`exit ${exit.code} after ${exitMs} ms; background checks: ${tally(checks)}`);

    assert.ok(
      finishedAfter > 0,
      'some logins were still in flight at the signal (else the test proves nothing)',
    );
    assert.deepEqual(
      logins.filter((s) => s.status !== 200),
      [],
      'every request in flight at the signal completes',
    );
    assert.equal(exit.code, 0, 'a clean exit');
    assert.ok(exitMs <= 10_000, `exited within 10 s (${exitMs} ms)`);
    // A check sent in the very millisecond of the signal may reach the server after it: one per lane.
    const late = checks.filter((s) => s.start < signalled && s.status !== 204);
    assert.ok(late.length <= 2, `checks sent before the signal complete: ${tally(checks)}`);
    assert.deepEqual(
      checks.filter((s) => s.status >= 500 && s.status !== 503),
      [],
      'after the signal: refused or 503, never a 500',
    );
  } finally {
    await server.stop();
    await database.dispose();
  }
});

/** True when a TCP connection to 127.0.0.1:port is refused. */
function connectionRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}
