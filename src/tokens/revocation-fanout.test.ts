import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { digestToken } from '../crypto/token-values.ts';
import { PgRevocationFeed } from '../storage/pg-revocation-feed.ts';
import { describeEachDialect } from '../testing/dialect-suite.ts';
import {
  adminToken,
  type CreatedUser,
  createUser,
  type HttpResult,
  login,
  postRefreshToken,
  postToken,
  request,
  type TokenData,
  tokenStatus,
} from '../testing/http-client.ts';
import { postgresUnavailableReason } from '../testing/test-databases.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';

/**
 * Issue #4: the token-check cache never outlives a revocation. On one instance every kind of
 * revocation evicts at once; across instances sharing one PostgreSQL, LISTEN/NOTIFY carries it
 * within `token_cache.max_staleness_ms` (security.md T6, FT-10).
 */

const MOBILE = { 'Wazo-Session-Type': 'mobile' };
const offline = (clientId: string) => ({ access_type: 'offline', client_id: clientId });

/** A revocation ready to run on the server it was prepared on, and the tokens it must end. */
interface Revocation {
  tokens: string[];
  revoke(): Promise<HttpResult>;
}

interface RevocationKind {
  title: string;
  prepare(srv: TestServer, admin: string): Promise<Revocation>;
}

async function userAndToken(srv: TestServer, fields: Record<string, unknown> = {}) {
  const user = await createUser(srv, { password: `pw-${randomUUID()}`, ...fields });
  return { user, token: await login(srv, user.username, user.password) };
}

/** A token made from the refresh token `refreshToken` (no password involved). */
async function refreshed(srv: TestServer, refreshToken: string, clientId: string): Promise<TokenData> {
  const result = await postRefreshToken(srv, refreshToken, clientId);
  assert.equal(result.status, 200, result.text);
  return (result.body as { data: TokenData }).data;
}

const asAdmin = (srv: TestServer, admin: string, path: string, method: string, body?: unknown) =>
  request(srv, path, { method, token: admin, body });

const KINDS: RevocationKind[] = [
  {
    title: 'DELETE /token/{t}',
    prepare: async (srv) => {
      const { token } = await userAndToken(srv);
      return {
        tokens: [token.token],
        revoke: () => request(srv, `/token/${token.token}`, { method: 'DELETE' }),
      };
    },
  },
  {
    title: 'DELETE /sessions/{s}',
    prepare: async (srv, admin) => {
      const { token } = await userAndToken(srv);
      return {
        tokens: [token.token],
        revoke: () => asAdmin(srv, admin, `/sessions/${token.session_uuid}`, 'DELETE'),
      };
    },
  },
  {
    title: 'DELETE /users/{u}/sessions/{s}',
    prepare: async (srv, admin) => {
      const { user, token } = await userAndToken(srv);
      return {
        tokens: [token.token],
        revoke: () => asAdmin(srv, admin, `/users/${user.uuid}/sessions/${token.session_uuid}`, 'DELETE'),
      };
    },
  },
  {
    title: 'PUT /users/{u} enabled false',
    prepare: async (srv, admin) => {
      const { user, token } = await userAndToken(srv);
      const second = await login(srv, user.username, user.password);
      const body = { username: user.username, enabled: false };
      return {
        tokens: [token.token, second.token],
        revoke: () => asAdmin(srv, admin, `/users/${user.uuid}`, 'PUT', body),
      };
    },
  },
  {
    title: 'PUT /users/{u}/password',
    prepare: async (srv, admin) => {
      const { user, token } = await userAndToken(srv);
      const body = { old_password: user.password, new_password: `pw-${randomUUID()}` };
      return {
        tokens: [token.token],
        revoke: () => asAdmin(srv, admin, `/users/${user.uuid}/password`, 'PUT', body),
      };
    },
  },
  {
    title: 'DELETE /users/{u}',
    prepare: async (srv, admin) => {
      const { user, token } = await userAndToken(srv);
      return { tokens: [token.token], revoke: () => asAdmin(srv, admin, `/users/${user.uuid}`, 'DELETE') };
    },
  },
  {
    title: 'D15 DELETE /users/{u}/tokens/{client_id}',
    prepare: async (srv, admin) => {
      const user = await createUser(srv, { password: `pw-${randomUUID()}` });
      const first = await login(srv, user.username, user.password, offline('fanout-d15'));
      const fromRefresh = await refreshed(srv, first.refresh_token ?? '', 'fanout-d15');
      return {
        tokens: [fromRefresh.token, first.token],
        revoke: () => asAdmin(srv, admin, `/users/${user.uuid}/tokens/fanout-d15`, 'DELETE'),
      };
    },
  },
  {
    title: 'B29 mobile offline re-login purging an older mobile refresh token',
    prepare: async (srv) => {
      const user = await createUser(srv, { password: `pw-${randomUUID()}` });
      const first = await login(srv, user.username, user.password, offline('fanout-mobile-a'), MOBILE);
      const fromRefresh = await refreshed(srv, first.refresh_token ?? '', 'fanout-mobile-a');
      return {
        tokens: [first.token, fromRefresh.token],
        revoke: () => postToken(srv, user.username, user.password, offline('fanout-mobile-b'), MOBILE),
      };
    },
  },
];

/** Checks `token` twice on `srv`: valid both times, the second answered from the cache. */
async function warm(srv: TestServer, token: string): Promise<void> {
  assert.equal(await tokenStatus(srv, token), 204);
  const { hits } = srv.container.cache.stats;
  assert.equal(await tokenStatus(srv, token), 204);
  assert.equal(srv.container.cache.stats.hits, hits + 1, 'the second check is a cache hit');
}

function assertRevokeSucceeded(result: HttpResult, title: string): void {
  assert.ok(result.status >= 200 && result.status < 300, `${title}: ${result.status} ${result.text}`);
}

await describeEachDialect('issue-4 revocations evict the token-check cache at once', {}, ({ server }) => {
  let admin = '';
  before(async () => {
    admin = await adminToken(server());
  });

  for (const kind of KINDS) {
    test(`T6 issue-4 ${kind.title}: the next check of a cached token is 404 on the same instance`, async () => {
      const srv = server();
      const revocation = await kind.prepare(srv, admin);
      const bystander = await userAndToken(srv);
      for (const token of [...revocation.tokens, bystander.token.token]) await warm(srv, token);

      assertRevokeSucceeded(await revocation.revoke(), kind.title);
      for (const token of revocation.tokens) assert.equal(await tokenStatus(srv, token), 404, kind.title);
      // Only the revoked sessions left the cache: another user's token is still answered from it.
      await warm(srv, bystander.token.token);
    });
  }

  test('issue-4 checking a token fills the cache; an unknown token is remembered as unknown', async () => {
    const srv = server();
    const { token } = await userAndToken(srv);
    const size = srv.container.cache.size;
    assert.equal(await tokenStatus(srv, token.token), 204);
    assert.equal(srv.container.cache.size, size + 1);
    const unknown = randomUUID();
    assert.equal(await tokenStatus(srv, unknown), 404);
    const { hits } = srv.container.cache.stats;
    assert.equal(await tokenStatus(srv, unknown), 404);
    assert.equal(srv.container.cache.stats.hits, hits + 1);
  });
});

/** Polls `token` on `srv` every 20 ms until 404; returns the delay since `sinceMs` (or fails). */
async function delayUntilRevoked(srv: TestServer, token: string, sinceMs: number): Promise<number> {
  const bound = srv.container.config.token_cache.max_staleness_ms;
  const deadline = sinceMs + bound + 1000;
  for (;;) {
    const status = await tokenStatus(srv, token);
    if (status === 404) return Date.now() - sinceMs;
    assert.equal(status, 204, 'only valid or revoked');
    assert.ok(Date.now() < deadline, `still valid ${Date.now() - sinceMs} ms after the revocation`);
    await sleep(20);
  }
}

/** Runs `work` on every item with at most `width` in flight; returns the results in order. */
async function inParallel<T, R>(
  items: readonly T[],
  width: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await work(items[i] as T);
  };
  await Promise.all(Array.from({ length: width }, lane));
  return results;
}

const postgresSkip = await postgresUnavailableReason();

describe('FT-10 two instances on one PostgreSQL [postgres]', { skip: postgresSkip ?? false }, () => {
  let instanceA: TestServer | undefined;
  let instanceB: TestServer | undefined;
  let admin = '';
  const a = () => instanceA as TestServer;
  const b = () => instanceB as TestServer;
  const bound = () => b().container.config.token_cache.max_staleness_ms;

  before(async () => {
    instanceA = await startTestServer('postgres');
    instanceB = await startTestServer('postgres', { shareDatabaseWith: instanceA });
    admin = await adminToken(a());
  });
  after(async () => {
    await instanceB?.close();
    await instanceA?.close();
  });

  test('FT-10 a token issued on A is valid on B at once, and one issued on B on A', async () => {
    const onA = await userAndToken(a());
    assert.equal(await tokenStatus(b(), onA.token.token), 204);
    const onB = await userAndToken(b());
    assert.equal(await tokenStatus(a(), onB.token.token), 204);
  });

  for (const kind of KINDS) {
    test(`T6 FT-10 ${kind.title} on A: B, its cache warm, answers 404 within the staleness bound`, async () => {
      const revocation = await kind.prepare(a(), admin);
      for (const token of revocation.tokens) await warm(b(), token);

      assertRevokeSucceeded(await revocation.revoke(), kind.title);
      const revokedAt = Date.now();
      for (const token of revocation.tokens) {
        const delay = await delayUntilRevoked(b(), token, revokedAt);
        assert.ok(delay <= bound() + 500, `${kind.title}: B answered 404 only after ${delay} ms`);
      }
      for (const token of revocation.tokens) assert.equal(await tokenStatus(a(), token), 404);
    });
  }

  test('T6 FT-10 DELETE /token on B: A, its cache warm, answers 404 within the staleness bound', async () => {
    const { token } = await userAndToken(a());
    await warm(a(), token.token);
    const result = await request(b(), `/token/${token.token}`, { method: 'DELETE' });
    assert.equal(result.status, 200, result.text);
    const delay = await delayUntilRevoked(a(), token.token, Date.now());
    assert.ok(delay <= bound() + 500, `A answered 404 only after ${delay} ms`);
  });

  test('FT-10 1,000 tokens made on A validate on B; one revocation on A ends all 1,000 on B', async () => {
    const user: CreatedUser = await createUser(a(), { purpose: 'internal', password: `pw-${randomUUID()}` });
    const offlineLogin = await login(a(), user.username, user.password, offline('ft10'));
    const refreshToken = offlineLogin.refresh_token ?? '';
    const indexes = Array.from({ length: 1000 }, (_, i) => i);
    const made = await inParallel(indexes, 16, async () => {
      const token = (await refreshed(a(), refreshToken, 'ft10')).token;
      return { token, onB: await tokenStatus(b(), token) };
    });
    const tokens = made.map((m) => m.token);
    assert.equal(new Set(tokens).size, 1000);
    assert.equal(made.filter((m) => m.onB === 204).length, 1000, 'every token made on A validates on B');

    // A second pass: every token is now answered from B's cache.
    const checks = await inParallel(tokens, 16, (token) => tokenStatus(b(), token));
    assert.equal(checks.filter((s) => s === 204).length, 1000);
    const now = Date.now();
    const cached = tokens.filter((t) => b().container.cache.get(digestToken(t), now)).length;
    assert.equal(cached, 1000, "B's cache holds every token");

    const disable = { username: user.username, purpose: 'internal', enabled: false };
    const result = await asAdmin(a(), admin, `/users/${user.uuid}`, 'PUT', disable);
    assert.equal(result.status, 200, result.text);
    await sleep(bound());
    const after = await inParallel(tokens, 16, (token) => tokenStatus(b(), token));
    assert.equal(after.filter((s) => s === 204).length, 0, 'no revoked token validates on B after the bound');
    assert.equal(after.filter((s) => s === 404).length, 1000);
  });

  test('issue-4 a dropped LISTEN connection flushes B; checks stay right until cached checks resume', async () => {
    const feed = b().container.feed;
    assert.ok(feed instanceof PgRevocationFeed);
    const cache = b().container.cache;
    const { token: kept } = await userAndToken(a());
    const { token: revoked } = await userAndToken(a());
    await warm(b(), kept.token);
    await warm(b(), revoked.token);

    const flushes = cache.stats.flushes;
    feed.simulateDisconnect();
    assert.equal(cache.stats.flushes, flushes + 1);
    assert.equal(cache.size, 0);
    assert.equal(feed.isCurrent(Date.now()), false, 'the cache is not trusted while reconnecting');

    // Revoked while B may not hear it: B must read the database rather than trust its memory.
    const result = await request(a(), `/token/${revoked.token}`, { method: 'DELETE' });
    assert.equal(result.status, 200, result.text);
    assert.equal(await tokenStatus(b(), kept.token), 204);
    assert.equal(await tokenStatus(b(), revoked.token), 404);

    // Once the listener is back, checks are answered from the cache again.
    const deadline = Date.now() + 5000;
    for (;;) {
      const { hits } = cache.stats;
      assert.equal(await tokenStatus(b(), kept.token), 204);
      assert.equal(await tokenStatus(b(), revoked.token), 404);
      if (cache.stats.hits > hits && feed.isCurrent(Date.now())) break;
      assert.ok(Date.now() < deadline, 'cached checks did not resume within 5 s');
      await sleep(50);
    }
    await warm(b(), kept.token);

    // And revocations made on A reach B again through the new connection.
    const again = await request(a(), `/token/${kept.token}`, { method: 'DELETE' });
    assert.equal(again.status, 200, again.text);
    const delay = await delayUntilRevoked(b(), kept.token, Date.now());
    assert.ok(delay <= bound() + 500, `B answered 404 only after ${delay} ms`);
  });
});
