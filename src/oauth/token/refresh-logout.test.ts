import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeEachDialect } from '../../testing/dialect-suite.ts';
import {
  newOAuthClient,
  OAUTH_TOKEN_TEST_CONFIG,
  oauthErrorOf,
  oauthUser,
  postForm,
  refresh,
  type TokenBody,
  tokensByCode,
} from '../../testing/oauth-token-fixtures.ts';

/**
 * security.md §5.5 S-RT-6 for OAuth clients (the CVE-2022-3916 pattern): A logs out of an app, B
 * then signs in to the same app; A's old refresh token must never answer with B's identity.
 */
await describeEachDialect(
  'OAuth refresh tokens after a logout',
  { config: OAUTH_TOKEN_TEST_CONFIG },
  ({ server }) => {
    test('S-RT-6 after A logs out, B signing in to the same client never makes A’s token answer as B', async () => {
      const app = await newOAuthClient(server());
      const alice = await oauthUser(server());
      const bob = await oauthUser(server());
      const fromAlice = await tokensByCode(server(), app, alice.uuid, { scope: 'calls:read' });
      const logout = await postForm(
        server(),
        '/oauth2/revoke',
        { token: fromAlice.refresh_token as string, token_type_hint: 'refresh_token' },
        { basic: app },
      );
      assert.equal(logout.status, 200);

      const fromBob = await tokensByCode(server(), app, bob.uuid, { scope: 'calls:read' });
      const replayed = await refresh(server(), app, fromAlice.refresh_token as string);
      assert.equal(replayed.status, 400);
      assert.equal(oauthErrorOf(replayed), 'invalid_grant');

      const stillBob = await refresh(server(), app, fromBob.refresh_token as string);
      assert.equal(stillBob.status, 200, stillBob.text);
      const introspected = await postForm(
        server(),
        '/oauth2/introspect',
        { token: (stillBob.body as TokenBody).access_token },
        { basic: app },
      );
      assert.equal((introspected.body as { sub?: string }).sub, bob.uuid);
    });
  },
);
