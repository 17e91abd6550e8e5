import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  assertSameRefusal,
  BRUTE_FORCE_TEST_CONFIG,
  failLogins,
  loginFrom,
  newAddress,
} from '../testing/brute-force-fixtures.ts';
import { describeEachDialect } from '../testing/dialect-suite.ts';
import type { CreatedUser } from '../testing/http-client.ts';
import { postgresUnavailableReason } from '../testing/test-databases.ts';
import { newUser } from '../testing/test-fixtures.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';

const OPTIONS = { manualClock: true, config: BRUTE_FORCE_TEST_CONFIG } as const;
const LOCK_MS = 60_000;

function failuresOf(server: TestServer, user: CreatedUser, ip: string): Promise<number> {
  const ref = { login: user.username, user: { uuid: user.uuid, tenantUuid: user.tenant_uuid } };
  return server.container.loginGate.accountFailures(ref, ip);
}

function locksOf(servers: TestServer[], user: CreatedUser): number {
  return servers
    .flatMap((s) => s.events.named('auth_user_login_locked'))
    .filter((e) => e.data.user_uuid === user.uuid).length;
}

/** `count` wrong-password logins sent all at once. */
function burst(server: TestServer, ip: string, user: CreatedUser, count: number) {
  return Array.from({ length: count }, (_, i) => loginFrom(server, ip, user.username, `wrong-${i}`));
}

const postgresSkip = await postgresUnavailableReason();

describe('CC-5 failed logins spread across two instances [postgres]', { skip: postgresSkip ?? false }, () => {
  let instanceA: TestServer | undefined;
  let instanceB: TestServer | undefined;
  const a = () => instanceA as TestServer;
  const b = () => instanceB as TestServer;

  before(async () => {
    instanceA = await startTestServer('postgres', OPTIONS);
    instanceB = await startTestServer('postgres', { ...OPTIONS, shareDatabaseWith: instanceA });
  });
  after(async () => {
    await instanceB?.close();
    await instanceA?.close();
  });

  test('CC-5 2 × 25 parallel wrong passwords: the counter reads exactly 50, the lock holds, then clears', async () => {
    const victim = await newUser(a());
    const ip = newAddress();
    const results = await Promise.all([...burst(a(), ip, victim, 25), ...burst(b(), ip, victim, 25)]);
    assert.deepEqual(
      results.map((r) => r.status),
      Array(50).fill(401),
    );
    assert.equal(await failuresOf(a(), victim, ip), 50);
    assert.equal(await failuresOf(b(), victim, ip), 50);
    // The lock started once, announced by whichever instance won the compare-and-set.
    assert.equal(locksOf([a(), b()], victim), 1);
    const reference = results[0];
    assert.ok(reference);
    for (const server of [a(), b()]) {
      const right = await loginFrom(server, ip, victim.username, victim.password);
      assertSameRefusal(right, reference, `${server === a() ? 'A' : 'B'}: correct password while locked`);
    }
    for (const server of [a(), b()]) server.clock?.advance(LOCK_MS + 1);
    assert.equal((await loginFrom(b(), ip, victim.username, victim.password)).status, 200);
    assert.equal(await failuresOf(a(), victim, ip), 0);
  });
});

await describeEachDialect('CC-5 failed logins in parallel on one instance', OPTIONS, ({ server }) => {
  test('CC-5 50 parallel wrong passwords: the counter reads exactly 50 and one lock is announced', async () => {
    const victim = await newUser(server());
    const ip = newAddress();
    const results = await Promise.all(burst(server(), ip, victim, 50));
    assert.ok(results.every((r) => r.status === 401));
    assert.equal(await failuresOf(server(), victim, ip), 50);
    assert.equal(locksOf([server()], victim), 1);
    assert.equal((await loginFrom(server(), ip, victim.username, victim.password)).status, 401);
  });

  test('FT-1c the failure counter survives a restart: 7 before, still 7 after, 4 more lock', async () => {
    const victim = await newUser(server());
    const ip = newAddress();
    // A second instance on the same database (same SQLite file / PostgreSQL schema) takes the
    // failures, then stops; a third, started afresh, must find them in the database.
    const first = await startTestServer(server().dialect, { ...OPTIONS, shareDatabaseWith: server() });
    try {
      await failLogins(first, ip, victim.username, 7);
      assert.equal(await failuresOf(first, victim, ip), 7);
    } finally {
      await first.close();
    }
    const restarted = await startTestServer(server().dialect, { ...OPTIONS, shareDatabaseWith: server() });
    try {
      assert.equal(await failuresOf(restarted, victim, ip), 7);
      await failLogins(restarted, ip, victim.username, 4);
      assert.equal((await loginFrom(restarted, ip, victim.username, victim.password)).status, 401);
      assert.equal(await failuresOf(restarted, victim, ip), 12);
    } finally {
      await restarted.close();
    }
  });
});
