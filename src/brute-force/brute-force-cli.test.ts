import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { failed, runGatehouse, succeeded } from '../cli/cli-test-support.ts';
import {
  BRUTE_FORCE_TEST_CONFIG,
  failLogins,
  loginFrom,
  newAddress,
} from '../testing/brute-force-fixtures.ts';
import { newUser } from '../testing/test-fixtures.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';

/** `gatehouse user unlock` run as a real process on the SQLite file of a running server. */
describe('gatehouse user unlock [sqlite]', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer('sqlite', { config: BRUTE_FORCE_TEST_CONFIG });
  });
  after(() => server.close());

  test('§5.5 user unlock clears the lock of a login at every address; the owner logs in at once', async () => {
    const user = await newUser(server);
    const [first, second] = [newAddress(), newAddress()];
    await failLogins(server, first, user.username, 11);
    await failLogins(server, second, user.username.toUpperCase(), 11);
    assert.equal((await loginFrom(server, first, user.username, user.password)).status, 401);
    const stdout = succeeded(await runGatehouse(server, ['user', 'unlock', user.username]));
    assert.match(stdout, new RegExp(`unlocked login "${user.username}": 2 counter\\(s\\) cleared`));
    for (const address of [first, second]) {
      assert.equal((await loginFrom(server, address, user.username, user.password)).status, 200);
    }
  });

  test('§5.5 user unlock of an unknown login clears its counters too; no argument is a usage error', async () => {
    const address = newAddress();
    await failLogins(server, address, 'no-such-login', 2);
    succeeded(await runGatehouse(server, ['user', 'unlock', 'no-such-login']));
    const ref = { login: 'no-such-login', user: null };
    assert.equal(await server.container.loginGate.accountFailures(ref, address), 0);
    failed(await runGatehouse(server, ['user', 'unlock']), 2, /exactly one/);
  });
});
