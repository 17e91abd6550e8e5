import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { digestToken, newId, newTokenValue } from '../crypto/token-values.ts';
import { createTenant, tenantRequest } from '../tenants/tenant-test-fixtures.ts';
import {
  assertRevokedAfter,
  assertRevokedWithin,
  burst,
  type Cluster,
  ccIterations,
  ccLongForm,
  describeClusterEachDialect,
  raceChecks,
  seededRandom,
} from '../testing/concurrency-harness.ts';
import { adminToken, login, postRefreshToken, request, type TokenData } from '../testing/http-client.ts';
import { newUser, uniqueTag } from '../testing/test-fixtures.ts';
import type { TestServer } from '../testing/test-server.ts';

/**
 * security.md §5.3 CC-3 (a user deleted while four workers validate its 100 tokens) and CC-4 (a
 * tenant deleted while its users' tokens are validated; 100 users in the short form, 1,000 in
 * the long form). Afterwards nothing refers to what was deleted: every foreign key (and the
 * unenforced auth_session.user_uuid) is checked for orphans.
 */

/** Every reference between tables: [table, column, referenced table]; the referenced column is uuid. */
const REFERENCES = [
  ['auth_tenant', 'parent_uuid', 'auth_tenant'],
  ['auth_user', 'tenant_uuid', 'auth_tenant'],
  ['auth_email', 'user_uuid', 'auth_user'],
  ['auth_group', 'tenant_uuid', 'auth_tenant'],
  ['auth_user_group', 'group_uuid', 'auth_group'],
  ['auth_user_group', 'user_uuid', 'auth_user'],
  ['auth_policy', 'tenant_uuid', 'auth_tenant'],
  ['auth_policy_access', 'policy_uuid', 'auth_policy'],
  ['auth_user_policy', 'user_uuid', 'auth_user'],
  ['auth_user_policy', 'policy_uuid', 'auth_policy'],
  ['auth_group_policy', 'group_uuid', 'auth_group'],
  ['auth_group_policy', 'policy_uuid', 'auth_policy'],
  ['auth_session', 'tenant_uuid', 'auth_tenant'],
  ['auth_session', 'user_uuid', 'auth_user'],
  ['auth_refresh_token', 'user_uuid', 'auth_user'],
  ['auth_token', 'session_uuid', 'auth_session'],
  ['auth_token', 'refresh_token_uuid', 'auth_refresh_token'],
  ['auth_tenant_domain', 'tenant_uuid', 'auth_tenant'],
  ['auth_address', 'tenant_uuid', 'auth_tenant'],
] as const;

async function assertNoOrphans(server: TestServer): Promise<void> {
  const orphans: string[] = [];
  for (const [table, column, target] of REFERENCES) {
    const { rows } = await sql<{ n: number | string }>`
      select count(*) as n from ${sql.table(table)} c
      where c.${sql.ref(column)} is not null
        and not exists (select 1 from ${sql.table(target)} p where p.uuid = c.${sql.ref(column)})`.execute(
      server.container.storage.db,
    );
    if (Number(rows[0]?.n) > 0) orphans.push(`${table}.${column}: ${rows[0]?.n}`);
  }
  assert.deepEqual(orphans, [], 'no row refers to a deleted one');
}

/** `count` tokens of `user`: one offline login, then refresh logins (no password hashing). */
async function tokensOfUser(server: TestServer, user: { username: string; password: string }, count: number) {
  const clientId = `cc3-${uniqueTag()}`;
  const offline = await login(server, user.username, user.password, {
    access_type: 'offline',
    client_id: clientId,
  });
  const refresh = offline.refresh_token as string;
  const made = await burst(count - 1, () => postRefreshToken(server, refresh, clientId));
  for (const result of made) assert.equal(result.status, 200, result.text);
  const tokens = [offline, ...made.map((r) => (r.body as { data: TokenData }).data)].map((t) => t.token);
  return { tokens, refresh, clientId };
}

/**
 * A token for a user created without a password, written by the same repository call a login
 * makes: CC-4 is about the deletion, and a thousand argon2 hashes would not fit the time budget.
 */
async function tokenFor(server: TestServer, user: { uuid: string; tenant_uuid: string }): Promise<string> {
  const value = newTokenValue();
  const now = Date.now();
  const session = { uuid: newId(), tenantUuid: user.tenant_uuid, userUuid: user.uuid, mobile: false };
  await server.container.repositories.tokens.insertWithSession(
    session,
    {
      digest: digestToken(value),
      sessionUuid: session.uuid,
      authId: user.uuid,
      pbxUserUuid: user.uuid,
      xivoUuid: null,
      issuedAtMs: now,
      expiresAtMs: now + 3_600_000,
      metadata: { uuid: user.uuid, tenant_uuid: user.tenant_uuid },
      userAgent: 'cc-4',
      remoteAddr: '127.0.0.1',
      acl: [],
      refreshTokenUuid: null,
    },
    now,
  );
  return value;
}

/** Like burst, `size` requests at a time, so a thousand creations do not flood one event loop. */
async function inChunks<T>(count: number, size: number, run: () => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let done = 0; done < count; done += size)
    results.push(...(await burst(Math.min(size, count - done), run)));
  return results;
}

async function listedUserUuids(server: TestServer, admin: string): Promise<Set<string>> {
  const list = await request(server, '/users?recurse=true&limit=100000', { token: admin });
  assert.equal(list.status, 200, list.text);
  return new Set((list.body as { items: { uuid: string }[] }).items.map((u) => u.uuid));
}

await describeClusterEachDialect(
  'CC-3 CC-4 deletions racing token checks',
  { config: { max_user_concurrent_sessions: 1000 } },
  (cluster: () => Cluster) => {
    test('CC-3 user deleted while 4 workers validate its 100 tokens: 404 after the DELETE, 0 5xx, refresh 401', async () => {
      const random = seededRandom('CC-3');
      const staleness = cluster().first.container.config.token_cache.max_staleness_ms;
      const admin = await adminToken(cluster().first);
      let stale = 0;
      for (let i = 0; i < ccIterations(1); i += 1) {
        const user = await newUser(cluster().first);
        const { tokens, refresh, clientId } = await tokensOfUser(cluster().first, user, 100);
        const race = await raceChecks({
          cluster: cluster(),
          random,
          tokens,
          total: 400,
          action: (server) => request(server, `/users/${user.uuid}`, { method: 'DELETE', token: admin }),
        });
        assert.equal(race.action.value.status, 204, race.action.value.text);
        stale += assertRevokedAfter(race, staleness, `CC-3 iteration ${i}`);
        for (const server of cluster().servers) {
          await assertRevokedWithin(server, random.pick(tokens), race.action.endedAt, staleness);
          assert.equal((await postRefreshToken(server, refresh, clientId)).status, 401);
          assert.ok(!(await listedUserUuids(server, admin)).has(user.uuid), 'gone from GET /users');
          const sessions = await request(server, `/sessions?recurse=true&limit=100000`, { token: admin });
          const owners = (sessions.body as { items: { user_uuid: string }[] }).items.map((s) => s.user_uuid);
          assert.ok(!owners.includes(user.uuid), 'no session of the user is listed');
        }
      }
      await assertNoOrphans(cluster().first);
      console.log(
        `CC-3 [${cluster().dialect}]: ${stale} stale answers from the other instance, within the bound`,
      );
    });

    test('CC-4 tenant deleted while its users’ tokens are validated: 404 after the DELETE, no orphan rows', async () => {
      const random = seededRandom('CC-4');
      const staleness = cluster().first.container.config.token_cache.max_staleness_ms;
      const admin = await adminToken(cluster().first);
      const population = ccLongForm() ? 1000 : 100;
      // A tenant of 1,000 users takes ~20 times one of 100: the long form runs N/20 iterations.
      const iterations = ccLongForm() ? Math.ceil(ccIterations(1) / 20) : 1;
      for (let i = 0; i < iterations; i += 1) {
        const { first } = cluster();
        const tenant = await createTenant(first);
        const withPassword = await newUser(first, {}, tenant.uuid);
        const { tokens: own, refresh, clientId } = await tokensOfUser(first, withPassword, 2);
        const users = await inChunks(population - 1, 50, () =>
          tenantRequest(first, 'POST', '/users', {
            token: admin,
            tenant: tenant.uuid,
            body: { username: `cc4-${uniqueTag()}` },
          }),
        );
        const tokens = [...own];
        for (const created of users) {
          assert.equal(created.status, 200, created.text);
          tokens.push(await tokenFor(first, created.body as { uuid: string; tenant_uuid: string }));
        }
        const race = await raceChecks({
          cluster: cluster(),
          random,
          tokens,
          total: 400,
          action: (server) => tenantRequest(server, 'DELETE', `/tenants/${tenant.uuid}`, { token: admin }),
        });
        assert.equal(race.action.value.status, 204, race.action.value.text);
        assertRevokedAfter(race, staleness, `CC-4 iteration ${i}`);
        for (const server of cluster().servers) {
          for (const token of tokens)
            await assertRevokedWithin(server, token, race.action.endedAt, staleness);
          assert.equal((await postRefreshToken(server, refresh, clientId)).status, 401);
          const listed = await listedUserUuids(server, admin);
          assert.ok(!listed.has(withPassword.uuid), 'gone from GET /users');
        }
        await assertNoOrphans(first);
      }
    });
  },
);
