import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  burst,
  type Cluster,
  ccIterations,
  describeClusterEachDialect,
  seededRandom,
} from '../testing/concurrency-harness.ts';
import {
  type HttpResult,
  login,
  postRefreshToken,
  postToken,
  type TokenData,
} from '../testing/http-client.ts';
import { newUser, uniqueTag } from '../testing/test-fixtures.ts';
import type { TestServer } from '../testing/test-server.ts';

/**
 * security.md §5.3 CC-1 and CC-2: one refresh token used by many requests at once, and many
 * offline logins of one (user, client_id) at once. Wazo mode only: the rotation mode of OAuth
 * clients is in cc-oauth.test.ts.
 */

const SIZES = [2, 10, 50];

async function countRows(server: TestServer, table: 'auth_session' | 'auth_refresh_token', userUuid: string) {
  const row = await server.container.storage.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_uuid', '=', userUuid)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

function assertNo5xx(results: readonly HttpResult[], label: string): void {
  const failures = results.filter((r) => r.status >= 500);
  assert.deepEqual(
    failures.map((r) => `${r.status} ${r.text}`),
    [],
    `${label}: no 5xx`,
  );
}

const tokenOf = (result: HttpResult): TokenData => (result.body as { data: TokenData }).data;

await describeClusterEachDialect(
  'CC-1 CC-2 concurrent refresh and offline logins',
  // Sessions are what CC-1 counts, so the cap must stay out of the way.
  { config: { max_user_concurrent_sessions: 1000 } },
  (cluster: () => Cluster) => {
    test('CC-1 wazo mode: N concurrent refresh logins with one refresh token all succeed, one row stays', async () => {
      const random = seededRandom('CC-1');
      const iterations = ccIterations(1);
      for (let i = 0; i < iterations; i += 1) {
        const { first } = cluster();
        const user = await newUser(first);
        const clientId = `cc1-${uniqueTag()}`;
        const offline = await login(first, user.username, user.password, {
          access_type: 'offline',
          client_id: clientId,
        });
        const refreshToken = offline.refresh_token as string;
        for (const n of SIZES) {
          const sessionsBefore = await countRows(first, 'auth_session', user.uuid);
          const results = await burst(n, () =>
            postRefreshToken(cluster().pick(random), refreshToken, clientId),
          );
          assertNo5xx(results, `CC-1 N=${n}`);
          assert.deepEqual(
            results.filter((r) => r.status !== 200).map((r) => `${r.status} ${r.text}`),
            [],
            `CC-1 N=${n}: every refresh login succeeds (iteration ${i})`,
          );
          const tokens = new Set(results.map((r) => tokenOf(r).token));
          assert.equal(tokens.size, n, `CC-1 N=${n}: ${n} distinct access tokens`);
          assert.equal(
            await countRows(first, 'auth_refresh_token', user.uuid),
            1,
            'exactly 1 refresh-token row',
          );
          assert.equal(
            await countRows(first, 'auth_session', user.uuid),
            sessionsBefore + n,
            `sessions +${n}`,
          );
        }
      }
    });

    test('CC-2 20 concurrent offline logins of one (user, client_id): 20×200, exactly 1 refresh-token row (D2)', async () => {
      const random = seededRandom('CC-2');
      const iterations = ccIterations(1);
      for (let i = 0; i < iterations; i += 1) {
        const user = await newUser(cluster().first);
        const clientId = `cc2-${uniqueTag()}`;
        const body = { access_type: 'offline', client_id: clientId };
        const results = await burst(20, () =>
          postToken(cluster().pick(random), user.username, user.password, body),
        );
        assertNo5xx(results, 'CC-2');
        assert.deepEqual(
          results.filter((r) => r.status !== 200).map((r) => `${r.status} ${r.text}`),
          [],
          `CC-2: 20×200 (iteration ${i})`,
        );
        assert.equal(await countRows(cluster().first, 'auth_refresh_token', user.uuid), 1);
        // D2: non-mobile offline logins of one client_id share one refresh token, so every value
        // returned is that one token and every one of them refreshes.
        const values = new Set(results.map((r) => tokenOf(r).refresh_token));
        assert.equal(values.size, 1, 'D2: every login returned the same refresh token');
        const [value] = values;
        const refreshed = await postRefreshToken(cluster().pick(random), value as string, clientId);
        assert.equal(refreshed.status, 200, refreshed.text);
      }
    });
  },
);
