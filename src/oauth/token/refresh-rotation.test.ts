import assert from 'node:assert/strict';
import { test } from 'node:test';
import { digestToken, newTokenValue } from '../../crypto/token-values.ts';
import { describeEachDialect } from '../../testing/dialect-suite.ts';
import { tokenStatus } from '../../testing/http-client.ts';
import {
  newOAuthClient,
  OAUTH_TOKEN_TEST_CONFIG,
  oauthErrorOf,
  oauthUser,
  postForm,
  refresh,
  type TestClient,
  type TokenBody,
  tokensByCode,
} from '../../testing/oauth-token-fixtures.ts';
import type { TestServer } from '../../testing/test-server.ts';

/** security.md §5.5 S-RT-1..5 and §5.3 CC-1 for OAuth clients with rotation (D3). */
await describeEachDialect(
  'OAuth refresh tokens: rotation, reuse detection, lifetimes',
  { config: OAUTH_TOKEN_TEST_CONFIG, manualClock: true },
  ({ server }) => {
    const clock = () => {
      const c = server().clock;
      if (!c) throw new Error('manual clock expected');
      return c;
    };

    async function start(overrides: Parameters<typeof newOAuthClient>[1] = {}) {
      const tc = await newOAuthClient(server(), overrides);
      const user = await oauthUser(server());
      const tokens = await tokensByCode(server(), tc, user.uuid, { scope: 'calls:read me:read' });
      return { tc, user, tokens, refreshToken: tokens.refresh_token as string };
    }

    async function refreshed(
      tc: TestClient,
      value: string,
      extra: Record<string, string> = {},
    ): Promise<TokenBody> {
      const result = await refresh(server(), tc, value, extra);
      assert.equal(result.status, 200, result.text);
      return result.body as TokenBody;
    }

    test('S-RT-1 another client, or a wrong secret, is refused and does not burn the token', async () => {
      const { tc, refreshToken } = await start();
      const other = await newOAuthClient(server());
      const stolen = await refresh(server(), other, refreshToken);
      assert.equal(stolen.status, 400);
      assert.equal(oauthErrorOf(stolen), 'invalid_grant');
      const wrongSecret = await refresh(server(), { ...tc, secret: 'wrong' }, refreshToken);
      assert.equal(wrongSecret.status, 401);
      const next = await refreshed(tc, refreshToken);
      assert.notEqual(next.refresh_token, refreshToken);
    });

    test('S-RT-2 revoking the refresh token: the next refresh fails, its access tokens are gone', async () => {
      const { tc, tokens, refreshToken } = await start();
      const second = await refreshed(tc, refreshToken);
      const revoked = await postForm(
        server(),
        '/oauth2/revoke',
        { token: second.refresh_token as string },
        { basic: tc },
      );
      assert.equal(revoked.status, 200);
      assert.equal(
        oauthErrorOf(await refresh(server(), tc, second.refresh_token as string)),
        'invalid_grant',
      );
      assert.equal(await tokenStatus(server(), tokens.access_token), 404);
      assert.equal(await tokenStatus(server(), second.access_token), 404);
    });

    test('S-RT-2 revoking an access token ends its session only; an unknown token is a 200', async () => {
      const { tc, tokens, refreshToken } = await start();
      const revoked = await postForm(
        server(),
        '/oauth2/revoke',
        { token: tokens.access_token, token_type_hint: 'access_token' },
        { basic: tc },
      );
      assert.equal(revoked.status, 200);
      assert.equal(await tokenStatus(server(), tokens.access_token), 404);
      await refreshed(tc, refreshToken);
      const unknown = await postForm(server(), '/oauth2/revoke', { token: newTokenValue() }, { basic: tc });
      assert.equal(unknown.status, 200);
    });

    test('S-RT-3 the previous token within the grace window gets the same successor', async () => {
      const { tc, refreshToken } = await start();
      const first = await refreshed(tc, refreshToken);
      clock().advance(10_000);
      const retry = await refreshed(tc, refreshToken);
      assert.equal(retry.refresh_token, first.refresh_token);
      assert.notEqual(retry.access_token, first.access_token);
      await refreshed(tc, first.refresh_token as string);
    });

    test('S-RT-3 a token two generations old revokes the whole family', async () => {
      const { tc, user, tokens, refreshToken } = await start();
      const first = await refreshed(tc, refreshToken);
      const second = await refreshed(tc, first.refresh_token as string);
      server().events.clear();
      const reuse = await refresh(server(), tc, refreshToken);
      assert.equal(reuse.status, 400);
      assert.equal(oauthErrorOf(reuse), 'invalid_grant');
      assert.equal(
        oauthErrorOf(await refresh(server(), tc, second.refresh_token as string)),
        'invalid_grant',
      );
      for (const access of [tokens.access_token, first.access_token, second.access_token]) {
        assert.equal(await tokenStatus(server(), access), 404);
      }
      const [event] = server().events.named('auth_refresh_token_reuse_detected');
      assert.equal(event?.data.user_uuid, user.uuid);
      assert.equal(event?.data.client_id, tc.client.clientId);
      assert.ok(server().logs.some((line) => line.includes('refresh token reuse detected')));
    });

    test('S-RT-3 the previous token after the grace window is reuse too', async () => {
      const { tc, refreshToken } = await start();
      const first = await refreshed(tc, refreshToken);
      clock().advance(31_000);
      assert.equal(oauthErrorOf(await refresh(server(), tc, refreshToken)), 'invalid_grant');
      assert.equal(oauthErrorOf(await refresh(server(), tc, first.refresh_token as string)), 'invalid_grant');
    });

    test('S-RT-3 an unknown token revokes nothing', async () => {
      const { tc, tokens, refreshToken } = await start();
      assert.equal(oauthErrorOf(await refresh(server(), tc, newTokenValue())), 'invalid_grant');
      assert.equal(oauthErrorOf(await refresh(server(), tc, 'not-even-token-shaped')), 'invalid_grant');
      const audited = server().logs.filter(
        (line) => line.includes('"method":"oauth:refresh_token"') && line.includes('"outcome":"failure"'),
      );
      assert.ok(audited.length >= 2, 'each refused refresh is an audit line');
      assert.ok(
        audited.every((line) => !line.includes(refreshToken)),
        'never the token itself',
      );
      assert.equal(await tokenStatus(server(), tokens.access_token), 204);
      await refreshed(tc, refreshToken);
    });

    test('S-RT-4 the ACL is recomputed at each refresh; a disabled user gets invalid_grant', async () => {
      const { tc, user, refreshToken } = await start();
      const { policies, users } = server().container.repositories;
      const first = await refreshed(tc, refreshToken);
      assert.equal(await checkScope(server(), first.access_token, 'calld.calls.read'), 204);
      await policies.detachFromUser(user.uuid, user.policyUuid);
      const second = await refreshed(tc, first.refresh_token as string);
      assert.equal(await checkScope(server(), second.access_token, 'calld.calls.read'), 403);
      await users.setEnabled(user.uuid, false);
      assert.equal(
        oauthErrorOf(await refresh(server(), tc, second.refresh_token as string)),
        'invalid_grant',
      );
    });

    test('S-RT-5 idle and absolute lifetimes of the client apply; the expiry job purges the family', async () => {
      const idle = await start({ refreshIdleSeconds: 60 });
      clock().advance(30_000);
      const kept = await refreshed(idle.tc, idle.refreshToken);
      clock().advance(61_000);
      assert.equal(
        oauthErrorOf(await refresh(server(), idle.tc, kept.refresh_token as string)),
        'invalid_grant',
      );
      const absolute = await start({ refreshMaxLifetimeSeconds: 100 });
      let current = absolute.refreshToken;
      for (let i = 0; i < 2; i += 1) {
        clock().advance(40_000);
        current = (await refreshed(absolute.tc, current)).refresh_token as string;
      }
      clock().advance(40_000);
      assert.equal(oauthErrorOf(await refresh(server(), absolute.tc, current)), 'invalid_grant');
      const { grants } = server().container.oauthTokens;
      assert.ok(await grants.locate(digestToken(kept.refresh_token as string)));
      await server().container.expiryJob.runOnce();
      assert.equal(await grants.locate(digestToken(kept.refresh_token as string)), null);
      assert.equal(await grants.locate(digestToken(current)), null);
    });

    test('two concurrent refreshes with one token both succeed with the same successor', async () => {
      const { tc, refreshToken } = await start();
      const [a, b] = await Promise.all([
        refresh(server(), tc, refreshToken),
        refresh(server(), tc, refreshToken),
      ]);
      assert.equal(a.status, 200, a.text);
      assert.equal(b.status, 200, b.text);
      assert.equal((a.body as TokenBody).refresh_token, (b.body as TokenBody).refresh_token);
    });

    test('CC-1 rotation: N parallel refreshes of one token, one successor, one generation', async () => {
      const { tc, refreshToken } = await start();
      const results = await Promise.all(
        Array.from({ length: 10 }, () => refresh(server(), tc, refreshToken)),
      );
      assert.deepEqual(
        results.map((r) => r.status),
        results.map(() => 200),
      );
      const successors = new Set(results.map((r) => (r.body as TokenBody).refresh_token));
      assert.equal(successors.size, 1);
      const match = await server().container.oauthTokens.grants.locate(
        digestToken([...successors][0] as string),
      );
      assert.equal(match?.kind, 'current');
      assert.equal(match?.grant.generation, 2);
    });

    test('S-CONF-1 a refresh token is no access token, and an access token no refresh token', async () => {
      const { tc, tokens, refreshToken } = await start();
      assert.equal(await tokenStatus(server(), refreshToken), 404);
      assert.equal(oauthErrorOf(await refresh(server(), tc, tokens.access_token)), 'invalid_grant');
      assert.equal(await tokenStatus(server(), tokens.access_token), 204);
    });

    test('without rotation the refresh token stays the same', async () => {
      const { tc, refreshToken } = await start({ rotation: 'none' });
      const first = await refreshed(tc, refreshToken);
      const second = await refreshed(tc, refreshToken);
      assert.equal(first.refresh_token, refreshToken);
      assert.equal(second.refresh_token, refreshToken);
    });

    test('a public client refreshes with its client_id only', async () => {
      const { tc, refreshToken } = await start({ tokenEndpointAuthMethod: 'none' });
      const next = await refreshed(tc, refreshToken);
      assert.notEqual(next.refresh_token, refreshToken);
    });

    // Last: it moves the suite's clock half a year ahead.
    test('§6 the expiry job purges spent codes, expired device codes and old retired digests', async () => {
      const { tc, refreshToken } = await start();
      const next = await refreshed(tc, refreshToken);
      const started = await postForm(server(), '/oauth2/device_authorization', {}, { basic: tc });
      assert.equal(started.status, 200, started.text);
      const { db } = server().container.storage;
      const count = async (
        table: 'auth_oauth_code' | 'auth_oauth_device_code' | 'auth_oauth_retired_token',
      ) =>
        Number(
          (
            await db
              .selectFrom(table)
              .select((eb) => eb.fn.countAll<number>().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        );
      assert.ok((await count('auth_oauth_code')) > 0);
      assert.ok((await count('auth_oauth_device_code')) > 0);
      assert.ok((await count('auth_oauth_retired_token')) > 0);
      clock().advance(181 * 86_400_000);
      await server().container.expiryJob.runOnce();
      assert.equal(await count('auth_oauth_code'), 0);
      assert.equal(await count('auth_oauth_device_code'), 0);
      assert.equal(await count('auth_oauth_retired_token'), 0);
      // The family itself lives on (this client sets no lifetime): its old token is now merely unknown.
      assert.equal(oauthErrorOf(await refresh(server(), tc, refreshToken)), 'invalid_grant');
      await refreshed(tc, next.refresh_token as string);
    });
  },
);

async function checkScope(server: TestServer, token: string, scope: string): Promise<number> {
  const response = await fetch(`${server.api}/token/${token}?scope=${encodeURIComponent(scope)}`, {
    method: 'HEAD',
  });
  return response.status;
}
