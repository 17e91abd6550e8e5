import assert from 'node:assert/strict';
import { test } from 'node:test';
import { digestToken } from '../crypto/token-values.ts';
import {
  burst,
  type Cluster,
  ccIterations,
  describeClusterEachDialect,
  seededRandom,
} from '../testing/concurrency-harness.ts';
import { tokenStatus } from '../testing/http-client.ts';
import {
  insertCode,
  newOAuthClient,
  OAUTH_TOKEN_TEST_CONFIG,
  oauthErrorOf,
  oauthUser,
  refresh,
  TEST_REDIRECT_URI,
  type TokenBody,
  tokenRequest,
  tokensByCode,
} from '../testing/oauth-token-fixtures.ts';

const SIZES = [2, 10, 50];

/**
 * security.md §5.3 CC-12 for authorization codes (one conditional update: one winner) and CC-1, rotation mode (D3, issue #6): N concurrent refreshes with one OAuth refresh
 * token, spread over the instances. Exactly one rotation wins (one generation step); every loser
 * finds its token is now the previous one within the grace window and gets the winner's successor,
 * so all N succeed with one successor, the family is not revoked, and nothing answers 5xx.
 */
await describeClusterEachDialect(
  'CC-1 CC-12 concurrent OAuth refreshes and code redemptions',
  // Every losing redemption is a refused grant, counted against the (one) test address.
  { config: { ...OAUTH_TOKEN_TEST_CONFIG, brute_force: { address_max_failures: 10_000_000 } } },
  (cluster: () => Cluster) => {
    test('CC-12 N concurrent redemptions of one authorization code: exactly one 200, no 5xx', async () => {
      const random = seededRandom('CC-12');
      for (let i = 0; i < ccIterations(1); i += 1) {
        const { first } = cluster();
        const tc = await newOAuthClient(first);
        const user = await oauthUser(first);
        for (const n of SIZES) {
          const { code, verifier } = await insertCode(first, tc.client, user.uuid);
          const params = {
            grant_type: 'authorization_code',
            code,
            code_verifier: verifier,
            redirect_uri: TEST_REDIRECT_URI,
          };
          const results = await burst(n, () => tokenRequest(cluster().pick(random), tc, params));
          const statuses = results.map((r) => r.status);
          assert.equal(statuses.filter((s) => s === 200).length, 1, `CC-12 N=${n}: ${statuses.join(',')}`);
          assert.ok(
            results.every((r) => r.status === 200 || oauthErrorOf(r) === 'invalid_grant'),
            `CC-12 N=${n}: the others are invalid_grant (iteration ${i})`,
          );
        }
      }
    });

    test('CC-1 rotation mode: reuse during concurrent refreshes leaves no live token of the family', async () => {
      const random = seededRandom('CC-1 reuse');
      for (let i = 0; i < ccIterations(1); i += 1) {
        const { first } = cluster();
        const tc = await newOAuthClient(first);
        const user = await oauthUser(first);
        const stale = (await tokensByCode(first, tc, user.uuid)).refresh_token as string;
        const first1 = await refresh(first, tc, stale);
        const current = (first1.body as TokenBody).refresh_token as string;
        const second = await refresh(first, tc, current);
        const latest = (second.body as TokenBody).refresh_token as string;
        const results = await burst(21, (index) =>
          refresh(cluster().pick(random), tc, index === 10 ? stale : latest),
        );
        assert.ok(
          results.every((r) => r.status < 500),
          'no 5xx',
        );
        const issued = results.filter((r) => r.status === 200).map((r) => (r.body as TokenBody).access_token);
        for (const access of issued) {
          assert.equal(
            await tokenStatus(cluster().pick(random), access),
            404,
            `iteration ${i}: a token survived`,
          );
        }
        assert.equal(oauthErrorOf(await refresh(first, tc, latest)), 'invalid_grant');
      }
    });

    test('CC-1 rotation mode: N concurrent refreshes, one winner, one successor for all', async () => {
      const random = seededRandom('CC-1 rotation');
      for (let i = 0; i < ccIterations(1); i += 1) {
        const { first } = cluster();
        const tc = await newOAuthClient(first);
        const user = await oauthUser(first);
        let current = (await tokensByCode(first, tc, user.uuid)).refresh_token as string;
        let generation = 1;
        for (const n of SIZES) {
          const results = await burst(n, () => refresh(cluster().pick(random), tc, current));
          assert.deepEqual(
            results.filter((r) => r.status !== 200).map((r) => `${r.status} ${r.text}`),
            [],
            `CC-1 rotation N=${n}: every refresh succeeds (iteration ${i})`,
          );
          const successors = new Set(results.map((r) => (r.body as TokenBody).refresh_token));
          assert.equal(successors.size, 1, `CC-1 rotation N=${n}: one successor`);
          current = [...successors][0] as string;
          generation += 1;
          const match = await first.container.oauthTokens.grants.locate(digestToken(current));
          assert.equal(match?.kind, 'current');
          assert.equal(match?.grant.generation, generation, `CC-1 rotation N=${n}: exactly one rotation`);
        }
      }
    });
  },
);
