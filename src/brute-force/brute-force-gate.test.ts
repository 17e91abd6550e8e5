import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  assertSameRefusal,
  BRUTE_FORCE_TEST_CONFIG,
  clockOf,
  failLogins,
  from,
  loginFrom,
  newAddress,
} from '../testing/brute-force-fixtures.ts';
import { describeEachDialect } from '../testing/dialect-suite.ts';
import { postRefreshToken, request } from '../testing/http-client.ts';
import { newUser, uniqueTag } from '../testing/test-fixtures.ts';
import type { TestServer } from '../testing/test-server.ts';

const LOCK_MS = 60_000;
const DAY_MS = 86_400_000;

function accountFailures(
  server: TestServer,
  user: { uuid: string; username: string; tenant_uuid: string },
  ip: string,
) {
  const ref = { login: user.username, user: { uuid: user.uuid, tenantUuid: user.tenant_uuid } };
  return server.container.loginGate.accountFailures(ref, ip);
}

await describeEachDialect(
  'brute-force gate',
  { manualClock: true, config: BRUTE_FORCE_TEST_CONFIG },
  ({ server }) => {
    test('S-BF-1 after F = 10 failures the 11th attempt, with the correct password, gets the same 401', async () => {
      const user = await newUser(server());
      const ip = newAddress();
      const reference = await loginFrom(server(), ip, user.username, 'not-the-password');
      await failLogins(server(), ip, user.username, 9);
      const eleventh = await loginFrom(server(), ip, user.username, user.password);
      assertSameRefusal(eleventh, reference, 'locked account, correct password');
      assert.equal(await accountFailures(server(), user, ip), 11);
      const locks = server()
        .events.named('auth_user_login_locked')
        .filter((e) => e.data.user_uuid === user.uuid);
      assert.equal(locks.length, 1);
      assert.equal(locks[0]?.data.remote_addr, ip);
      const audit = server().logs.filter(
        (line) => line.includes('"audit":"login_locked"') && line.includes(user.uuid),
      );
      assert.equal(audit.length, 1);
      assert.ok(!audit[0]?.includes(user.password), 'the audit line never holds the password');
    });

    test('S-BF-1 logins before the limit work, and a success starts the count again', async () => {
      const user = await newUser(server());
      const ip = newAddress();
      await failLogins(server(), ip, user.username, 9);
      assert.equal((await loginFrom(server(), ip, user.username, user.password)).status, 200);
      assert.equal(await accountFailures(server(), user, ip), 0);
      await failLogins(server(), ip, user.username, 10);
      assert.equal((await loginFrom(server(), ip, user.username, user.password)).status, 401);
    });

    test('S-BF-1 the login name is counted as the user lookup matches it: any letter case', async () => {
      const user = await newUser(server(), { username: `MiXeD-${uniqueTag()}` });
      const ip = newAddress();
      await failLogins(server(), ip, user.username.toUpperCase(), 5);
      await failLogins(server(), ip, user.username.toLowerCase(), 5);
      assert.equal((await loginFrom(server(), ip, user.username, user.password)).status, 401);
    });

    test('S-BF-2 once the injected clock passes the lock window, the correct password logs in', async () => {
      const user = await newUser(server());
      const ip = newAddress();
      await failLogins(server(), ip, user.username, 11);
      clockOf(server()).advance(LOCK_MS - 1000);
      assert.equal((await loginFrom(server(), ip, user.username, user.password)).status, 401);
      clockOf(server()).advance(1001);
      assert.equal((await loginFrom(server(), ip, user.username, user.password)).status, 200);
    });

    test('S-BF-2 each further lock of the same counter lasts twice as long (60 s, then 120 s)', async () => {
      const user = await newUser(server());
      const ip = newAddress();
      await failLogins(server(), ip, user.username, 11);
      clockOf(server()).advance(LOCK_MS + 1);
      await failLogins(server(), ip, user.username, 11);
      clockOf(server()).advance(LOCK_MS + 1);
      assert.equal((await loginFrom(server(), ip, user.username, user.password)).status, 401);
      clockOf(server()).advance(LOCK_MS);
      assert.equal((await loginFrom(server(), ip, user.username, user.password)).status, 200);
    });

    test('S-BF-3 from one IP, the 101st failure in 24 h over different users gets 429 with Retry-After', async () => {
      const ip = newAddress();
      const user = await newUser(server());
      // Ten at a time: the hashes dominate, and the count does not depend on the order.
      for (let batch = 0; batch < 10; batch += 1) {
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            loginFrom(server(), ip, `nobody-${batch}-${i}-${uniqueTag()}`, 'guess'),
          ),
        );
        assert.deepEqual(
          results.map((r) => r.status),
          Array(10).fill(401),
        );
      }
      const blocked = await loginFrom(server(), ip, `nobody-${uniqueTag()}`, 'guess');
      assert.equal(blocked.status, 429, blocked.text);
      assert.equal(Number(blocked.headers.get('retry-after')), DAY_MS / 1000);
      const body = blocked.body as { reason: string[]; status_code: number };
      assert.equal(body.status_code, 429);
      assert.deepEqual(body.reason, ['Too many failed attempts from this address, retry later']);
      // The right password does not get through a blocked address either; other addresses are unaffected.
      assert.equal((await loginFrom(server(), ip, user.username, user.password)).status, 429);
      assert.equal((await loginFrom(server(), newAddress(), user.username, user.password)).status, 200);
      clockOf(server()).advance(DAY_MS / 2);
      const later = await loginFrom(server(), ip, user.username, user.password);
      assert.equal(later.status, 429);
      assert.equal(Number(later.headers.get('retry-after')), DAY_MS / 2000);
      clockOf(server()).advance(DAY_MS / 2);
      assert.equal((await loginFrom(server(), ip, user.username, user.password)).status, 200);
    });

    test('S-BF-3 refresh-token failures count against the address (no hash: cheap to send)', async () => {
      const ip = newAddress();
      for (let i = 0; i < 100; i += 1) {
        const result = await postRefreshToken(server(), `bogus-${i}`, 'client', {}, from(ip));
        assert.equal(result.status, 401, result.text);
      }
      const blocked = await postRefreshToken(server(), 'bogus', 'client', {}, from(ip));
      assert.equal(blocked.status, 429, blocked.text);
      assert.ok(Number(blocked.headers.get('retry-after')) > 0);
    });

    test('S-BF-3 password-reset requests spend the address budget: the 101st gets 429 (api body)', async () => {
      const ip = newAddress();
      for (let i = 0; i < 100; i += 1) {
        const result = await request(server(), `/users/password/reset?username=nobody-${i}`, {
          headers: from(ip),
        });
        assert.equal(result.status, 204, result.text);
      }
      const blocked = await request(server(), '/users/password/reset?username=nobody', { headers: from(ip) });
      assert.equal(blocked.status, 429, blocked.text);
      assert.ok(Number(blocked.headers.get('retry-after')) > 0);
      assert.equal((blocked.body as { error_id: string }).error_id, 'too-many-failed-logins');
    });

    test('S-BF-4 an attacker at IP A cannot lock out the victim logging in from IP B', async () => {
      const victim = await newUser(server());
      const attacker = newAddress();
      const home = newAddress();
      await failLogins(server(), attacker, victim.username, 12);
      assert.equal((await loginFrom(server(), attacker, victim.username, victim.password)).status, 401);
      assert.equal((await loginFrom(server(), home, victim.username, victim.password)).status, 200);
      // A success from B clears B's counter only: A stays locked.
      assert.equal((await loginFrom(server(), attacker, victim.username, victim.password)).status, 401);
    });

    test('S-BF-4 setup: X-Forwarded-For from the trusted loopback proxy picks the counted address', async () => {
      // Sanity check of the setup the other tests rely on: the header does choose the counted address.
      const user = await newUser(server());
      const ip = newAddress();
      await failLogins(server(), ip, user.username, 3);
      assert.equal(await accountFailures(server(), user, ip), 3);
      assert.equal(await accountFailures(server(), user, '127.0.0.1'), 0);
    });

    test('§5.1 LD-5 expired counters are purged by the expiry job, live ones are kept', async () => {
      const user = await newUser(server());
      const old = newAddress();
      await failLogins(server(), old, user.username, 2);
      clockOf(server()).advance(DAY_MS + 1);
      const fresh = newAddress();
      await failLogins(server(), fresh, user.username, 2);
      const { othersPurged } = await server().container.expiryJob.runOnce();
      assert.ok(othersPurged >= 2, `purged ${othersPurged}`);
      assert.equal(await accountFailures(server(), user, old), 0);
      assert.equal(await accountFailures(server(), user, fresh), 2);
    });

    test('§5.5 unlock clears a locked login from every address', async () => {
      const user = await newUser(server());
      const ip = newAddress();
      await failLogins(server(), ip, user.username, 11);
      const cleared = await server().container.loginGate.unlock(user.username, user.uuid);
      assert.equal(cleared, 1);
      assert.equal((await loginFrom(server(), ip, user.username, user.password)).status, 200);
    });
  },
);
