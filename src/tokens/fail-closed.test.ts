import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeEachDialect } from '../testing/dialect-suite.ts';
import {
  type CreatedUser,
  createUser,
  type HttpResult,
  login,
  postToken,
  request,
  tokenStatus,
} from '../testing/http-client.ts';
import { TcpFaultProxy } from '../testing/tcp-fault-proxy.ts';
import { POSTGRES_URL, postgresUnavailableReason } from '../testing/test-databases.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';

/**
 * Fail closed (security.md FT-2, FT-4, LD-6; issue #4): when PostgreSQL cannot be reached, no token
 * is accepted, not even one the cache holds, and nothing hangs; when it is back, everything works
 * again without a restart. A full password-hashing queue sheds logins with 503 + Retry-After while
 * token checks go on.
 */

/** wazo's legacy error body of the token routes, for a 503. */
function assertLegacy503(result: HttpResult, label: string): void {
  assert.equal(result.status, 503, `${label}: ${result.status} ${result.text}`);
  const body = result.body as { reason?: unknown; status_code?: unknown } | null;
  assert.ok(
    body && Array.isArray(body.reason) && typeof body.reason[0] === 'string',
    `${label}: ${result.text}`,
  );
  assert.equal(body.status_code, 503, label);
  assert.ok(result.headers.get('retry-after'), `${label}: a 503 says when to retry`);
}

async function statusOf(srv: TestServer): Promise<number> {
  return (await request(srv, '/status', { method: 'HEAD' })).status;
}

/** Polls `probe` every 20 ms until it gives `want` (or fails after `withinMs`); returns the statuses seen. */
async function pollUntil(probe: () => Promise<number>, want: number, withinMs: number): Promise<number[]> {
  const deadline = Date.now() + withinMs;
  const seen: number[] = [];
  for (;;) {
    const status = await probe();
    seen.push(status);
    if (status === want) return seen;
    assert.ok(Date.now() < deadline, `no ${want} within ${withinMs} ms; saw ${seen.join(',')}`);
    await sleep(20);
  }
}

const postgresSkip = await postgresUnavailableReason();

describe('FT-2 FT-4 fail closed when PostgreSQL is unreachable [postgres]', {
  skip: postgresSkip ?? false,
}, () => {
  let proxy: TcpFaultProxy | undefined;
  let instance: TestServer | undefined;
  const srv = () => instance as TestServer;

  before(async () => {
    const target = new URL(POSTGRES_URL);
    proxy = await TcpFaultProxy.start({
      targetHost: target.hostname,
      targetPort: Number(target.port || 5432),
    });
    instance = await startTestServer('postgres', { databaseUrlOverride: proxy.urlFor(POSTGRES_URL) });
  });
  after(async () => {
    proxy?.resume();
    await instance?.close();
    await proxy?.close();
  });

  test('FT-2 FT-4 database down: cached and uncached checks, logins and readiness give 503, then recover', async () => {
    const fault = proxy as TcpFaultProxy;
    const bound = srv().container.config.token_cache.max_staleness_ms;
    const user: CreatedUser = await createUser(srv(), { password: `pw-${randomUUID()}` });
    const cached = (await login(srv(), user.username, user.password)).token;
    const uncached = (await login(srv(), user.username, user.password)).token;
    assert.equal(await tokenStatus(srv(), cached), 204);
    const { hits } = srv().container.cache.stats;
    assert.equal(await tokenStatus(srv(), cached), 204);
    assert.equal(srv().container.cache.stats.hits, hits + 1, 'the token is answered from the cache');
    assert.equal(await statusOf(srv()), 200);
    assert.ok(fault.connectionCount > 0, 'the server reaches PostgreSQL through the proxy');

    fault.pause();
    try {
      const seen = await pollUntil(() => tokenStatus(srv(), cached), 503, bound + 1000);
      assert.deepEqual(
        seen.filter((s) => s !== 204 && s !== 503),
        [],
        'while the cache may still be trusted: 204 or 503, nothing else',
      );
      // From now on nothing is accepted: not the cached token, not an uncached one, not an unknown one.
      for (let i = 0; i < 3; i += 1) {
        assert.equal(await tokenStatus(srv(), cached), 503, 'cached token');
        assert.equal(await tokenStatus(srv(), uncached), 503, 'uncached token');
        assert.equal(await tokenStatus(srv(), randomUUID()), 503, 'unknown token');
      }
      assertLegacy503(await request(srv(), `/token/${cached}`), 'GET /token/{cached}');
      assertLegacy503(await request(srv(), `/token/${uncached}`), 'GET /token/{uncached}');
      const scopes = await request(srv(), `/token/${cached}/scopes/check`, {
        method: 'POST',
        body: { scopes: ['auth.users.me.read'] },
      });
      assert.equal(scopes.status, 503, scopes.text);
      assertLegacy503(await postToken(srv(), user.username, user.password), 'POST /token');
      assert.equal(await statusOf(srv()), 503, 'HEAD /status');
      const management = await request(srv(), '/users', { token: cached });
      assert.equal(management.status, 503, `GET /users: ${management.text}`);
    } finally {
      fault.resume();
    }

    await pollUntil(() => tokenStatus(srv(), cached), 204, 5000);
    assert.equal(await tokenStatus(srv(), uncached), 204);
    assert.equal(await statusOf(srv()), 200);
    assert.equal((await postToken(srv(), user.username, user.password)).status, 200);
    // The revocation feed reconnects too: checks are answered from the cache again.
    await pollUntil(
      async () => {
        const before = srv().container.cache.stats.hits;
        assert.equal(await tokenStatus(srv(), cached), 204);
        return srv().container.cache.stats.hits > before ? 1 : 0;
      },
      1,
      5000,
    );
  });

  test('issue-4 dropped database connections: checks give 204 or 503, never accept a revoked token, and recover', async () => {
    const fault = proxy as TcpFaultProxy;
    const user: CreatedUser = await createUser(srv(), { password: `pw-${randomUUID()}` });
    const kept = (await login(srv(), user.username, user.password)).token;
    const revoked = (await login(srv(), user.username, user.password)).token;
    assert.equal(await tokenStatus(srv(), kept), 204);
    assert.equal(await tokenStatus(srv(), revoked), 204);
    assert.equal((await request(srv(), `/token/${revoked}`, { method: 'DELETE' })).status, 200);

    fault.dropConnections();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      statuses.push(await tokenStatus(srv(), kept));
      assert.notEqual(await tokenStatus(srv(), revoked), 204, 'a revoked token is never accepted');
    }
    assert.deepEqual(
      statuses.filter((s) => s !== 204 && s !== 503),
      [],
      'a valid token is 204 or, at worst, 503',
    );
    await pollUntil(() => tokenStatus(srv(), kept), 204, 5000);
    assert.equal(await tokenStatus(srv(), revoked), 404);
  });

  test('FT-3 connections reset under load: no uncaught driver error, checks give 204/404 or 503, then recover', async () => {
    const fault = proxy as TcpFaultProxy;
    const user: CreatedUser = await createUser(srv(), { password: `pw-${randomUUID()}` });
    const kept = (await login(srv(), user.username, user.password)).token;
    const revoked = (await login(srv(), user.username, user.password)).token;
    assert.equal((await request(srv(), `/token/${revoked}`, { method: 'DELETE' })).status, 200);

    // An `error` event nobody listens to (e.g. on a checked-out pg client) would kill the process.
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    const seen = { kept: new Set<number>(), revoked: new Set<number>() };
    let running = true;
    const lane = async () => {
      while (running) {
        seen.kept.add(await tokenStatus(srv(), kept));
        seen.revoked.add(await tokenStatus(srv(), revoked));
      }
    };
    const lanes = Array.from({ length: 4 }, lane);
    try {
      for (let i = 0; i < 30; i += 1) {
        await sleep(37);
        fault.dropConnections();
      }
    } finally {
      running = false;
      await Promise.all(lanes);
      await sleep(100);
      process.off('uncaughtException', onUncaught);
    }
    assert.deepEqual(uncaught.map(String), [], 'a dropped connection never becomes an uncaught exception');
    assert.deepEqual(
      [...seen.kept].filter((s) => s !== 204 && s !== 503),
      [],
      'valid token: 204 or 503',
    );
    assert.deepEqual(
      [...seen.revoked].filter((s) => s !== 404 && s !== 503),
      [],
      'revoked token: 404 or 503',
    );
    await pollUntil(() => tokenStatus(srv(), kept), 204, 5000);
    assert.equal(await tokenStatus(srv(), revoked), 404);
    assert.equal(await statusOf(srv()), 200);
  });
});

const OVERLOAD = { config: { passwords: { hash_concurrency: 1, hash_queue_limit: 1 } } };

await describeEachDialect('LD-6 a full password-hashing queue', OVERLOAD, ({ server }) => {
  test('LD-6 20 concurrent logins: some 503 with Retry-After and a JSON body, the rest 200; checks go on', async () => {
    // Twenty accounts: the brute-force gate has logins of one account from one address take turns,
    // so only logins of different accounts can reach the hash queue together.
    const users: CreatedUser[] = [];
    for (let i = 0; i < 20; i += 1) {
      // One at a time: creating a user hashes its password through the same one-slot queue.
      users.push(await createUser(server(), { purpose: 'internal', password: `pw-${randomUUID()}` }));
    }
    const user = users[0] as CreatedUser;
    const existing = (await login(server(), user.username, user.password)).token;

    const logins = users.map((u) => postToken(server(), u.username, u.password));
    const checks = Array.from({ length: 20 }, () => tokenStatus(server(), existing));
    const [loginResults, checkResults] = await Promise.all([Promise.all(logins), Promise.all(checks)]);

    const statuses = loginResults.map((r) => r.status);
    assert.deepEqual(
      statuses.filter((s) => s !== 200 && s !== 503),
      [],
      `only 200 or 503: ${statuses.join(',')}`,
    );
    const refused = loginResults.filter((r) => r.status === 503);
    assert.ok(refused.length > 0, `the queue limit sheds some logins: ${statuses.join(',')}`);
    assert.ok(refused.length < 20, 'the logins that got a slot succeed');
    for (const result of refused) {
      assertLegacy503(result, 'POST /token');
      assert.match(result.headers.get('content-type') ?? '', /application\/json/);
    }
    for (const result of loginResults.filter((r) => r.status === 200)) {
      assert.equal(typeof (result.body as { data: { token: unknown } }).data.token, 'string');
    }
    assert.deepEqual(checkResults, new Array(20).fill(204), 'token checks never wait for hashing');

    // The queue drains: a login afterwards succeeds.
    assert.equal((await postToken(server(), user.username, user.password)).status, 200);
  });
});
