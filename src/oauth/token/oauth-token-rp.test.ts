import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateKeyPair, SignJWT } from 'jose';
import * as oidc from 'openid-client';
import { describeEachDialect } from '../../testing/dialect-suite.ts';
import { request } from '../../testing/http-client.ts';
import {
  insertCode,
  newOAuthClient,
  normalizeUserCodeForTest,
  OAUTH_TOKEN_TEST_CONFIG,
  oauthUser,
  TEST_REDIRECT_URI,
  type TestClient,
} from '../../testing/oauth-token-fixtures.ts';
import type { TestServer } from '../../testing/test-server.ts';

/**
 * The token side as a certified relying-party library sees it (openid-client v6): discovery, then
 * every grant, introspection and revocation, each through the library's own checks.
 */
await describeEachDialect(
  '§6 OAuth token endpoints through openid-client',
  {
    config: {
      ...OAUTH_TOKEN_TEST_CONFIG,
      oauth: { ...OAUTH_TOKEN_TEST_CONFIG.oauth, device_poll_interval_seconds: 1 },
    },
  },
  ({ server }) => {
    async function discover(tc: TestClient, method: 'post' | 'basic' | 'none' = 'post') {
      const issuer = new URL(server().container.oauth.issuer.value);
      const auth =
        method === 'none'
          ? oidc.None()
          : method === 'basic'
            ? oidc.ClientSecretBasic(tc.secret as string)
            : oidc.ClientSecretPost(tc.secret as string);
      return oidc.discovery(issuer, tc.client.clientId, undefined, auth, {
        execute: [oidc.allowInsecureRequests],
      });
    }

    test('discovery: both documents name this issuer and its endpoints', async () => {
      const tc = await newOAuthClient(server(), { tokenEndpointAuthMethod: 'client_secret_post' });
      const config = await discover(tc);
      const metadata = config.serverMetadata();
      const issuer = server().container.oauth.issuer.value;
      assert.equal(metadata.token_endpoint, `${issuer}/oauth2/token`);
      assert.deepEqual(metadata.code_challenge_methods_supported, ['S256']);
      assert.equal(metadata.authorization_response_iss_parameter_supported, true);
      assert.ok(!(metadata.grant_types_supported as string[]).includes('password'));
      const rfc8414 = await fetch(`${issuer}/.well-known/oauth-authorization-server`);
      assert.equal(rfc8414.status, 200);
      assert.equal(rfc8414.headers.get('access-control-allow-origin'), '*');
      const body = (await rfc8414.json()) as Record<string, unknown>;
      assert.equal(body.issuer, issuer);
      assert.ok((body.scopes_supported as string[]).includes('calls:read'));
      assert.equal(body.subject_types_supported, undefined);
    });

    test('client_credentials: a client token whose ACL is its scope within the client acl', async () => {
      const tc = await newOAuthClient(server(), { tokenEndpointAuthMethod: 'client_secret_post' });
      const config = await discover(tc);
      const tokens = await oidc.clientCredentialsGrant(config, { scope: 'calls:read' });
      assert.equal(tokens.token_type, 'bearer');
      assert.equal(tokens.scope, 'calls:read');
      assert.equal(tokens.refresh_token, undefined);
      await assertGrants(server(), tokens.access_token, 'calld.calls.read', 204);
      await assertGrants(server(), tokens.access_token, 'confd.users.me.read', 403);
      const info = await request(server(), `/token/${tokens.access_token}`);
      const data = (info.body as { data: { auth_id: string; metadata: Record<string, unknown> } }).data;
      assert.equal(data.auth_id, `client:${tc.client.clientId}`);
      assert.equal(data.metadata.client_id, tc.client.clientId);
      assert.equal(data.metadata.tenant_uuid, server().topTenantUuid);
      const tenantCheck = await request(
        server(),
        `/token/${tokens.access_token}?tenant=${server().topTenantUuid}`,
        {
          method: 'HEAD',
        },
      );
      assert.equal(tenantCheck.status, 204);
    });

    test('authorization_code with PKCE, then refresh with rotation', async () => {
      const tc = await newOAuthClient(server(), { tokenEndpointAuthMethod: 'client_secret_basic' });
      const user = await oauthUser(server());
      const config = await discover(tc, 'basic');
      const { code, verifier } = await insertCode(server(), tc.client, user.uuid);
      const callback = new URL(TEST_REDIRECT_URI);
      callback.searchParams.set('code', code);
      callback.searchParams.set('state', 'st-1');
      callback.searchParams.set('iss', server().container.oauth.issuer.value);
      const tokens = await oidc.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: verifier,
        expectedState: 'st-1',
      });
      assert.equal(tokens.scope, 'openid calls:read me:read');
      assert.ok(tokens.refresh_token);
      await assertGrants(server(), tokens.access_token, 'calld.calls.read', 204);
      await assertGrants(server(), tokens.access_token, `confd.users.${user.uuid}.read`, 204);
      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token as string);
      assert.ok(refreshed.refresh_token);
      assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
      await assertGrants(server(), refreshed.access_token, 'calld.calls.read', 204);
      const narrowed = await oidc.refreshTokenGrant(config, refreshed.refresh_token as string, {
        scope: 'calls:read',
      });
      assert.equal(narrowed.scope, 'calls:read');
      await assertGrants(server(), narrowed.access_token, `confd.users.${user.uuid}.read`, 403);
    });

    test('OIDC Core §3.1.3 an ID token when openid was granted and a signer exists', async () => {
      const { oauth } = server().container;
      const { privateKey } = await generateKeyPair('ES256');
      const keyring = oauth.idTokenSigner;
      oauth.idTokenSigner = {
        algorithm: 'ES256',
        sign: (claims) =>
          new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'test' }).sign(privateKey),
      };
      try {
        const tc = await newOAuthClient(server(), { tokenEndpointAuthMethod: 'client_secret_post' });
        const user = await oauthUser(server());
        const config = await discover(tc);
        assert.deepEqual(config.serverMetadata().id_token_signing_alg_values_supported, ['ES256']);
        const { code, verifier } = await insertCode(server(), tc.client, user.uuid, { nonce: 'n-123' });
        const callback = new URL(`${TEST_REDIRECT_URI}?code=${code}&iss=${oauth.issuer.value}`);
        const tokens = await oidc.authorizationCodeGrant(config, callback, {
          pkceCodeVerifier: verifier,
          expectedNonce: 'n-123',
          idTokenExpected: true,
        });
        const claims = tokens.claims();
        assert.equal(claims?.sub, user.uuid);
        assert.equal(claims?.aud, tc.client.clientId);
        assert.equal(claims?.iss, oauth.issuer.value);
        assert.equal(claims?.nonce, 'n-123');
        assert.equal(typeof claims?.at_hash, 'string');
        const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token as string);
        assert.equal(refreshed.id_token, undefined);
      } finally {
        oauth.idTokenSigner = keyring;
      }
    });

    test('device authorization: pending until approved, then tokens once', async () => {
      const tc = await newOAuthClient(server(), { tokenEndpointAuthMethod: 'none' });
      const user = await oauthUser(server());
      const config = await discover(tc, 'none');
      const started = await oidc.initiateDeviceAuthorization(config, { scope: 'calls:read' });
      assert.match(started.user_code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
      assert.equal(started.verification_uri, `${server().container.oauth.issuer.value}/oauth2/device`);
      assert.ok(started.verification_uri_complete?.includes('user_code='));
      const { deviceCodes } = server().container.oauth.repositories;
      const decided = await deviceCodes.decide(
        normalizeUserCodeForTest(started.user_code),
        { status: 'approved', userUuid: user.uuid, authTimeMs: Date.now() },
        server().container.clock.now(),
      );
      assert.ok(decided);
      const tokens = await oidc.pollDeviceAuthorizationGrant(config, started);
      assert.equal(tokens.scope, 'calls:read');
      assert.ok(tokens.refresh_token);
      await assertGrants(server(), tokens.access_token, 'calld.calls.read', 204);
    });

    test('introspection and revocation of a refresh token and its access tokens', async () => {
      const tc = await newOAuthClient(server(), { tokenEndpointAuthMethod: 'client_secret_post' });
      const user = await oauthUser(server());
      const config = await discover(tc);
      const { code, verifier } = await insertCode(server(), tc.client, user.uuid, { scope: 'calls:read' });
      const callback = new URL(
        `${TEST_REDIRECT_URI}?code=${code}&iss=${server().container.oauth.issuer.value}`,
      );
      const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier });
      const active = await oidc.tokenIntrospection(config, tokens.access_token);
      assert.equal(active.active, true);
      assert.equal(active.client_id, tc.client.clientId);
      assert.equal(active.sub, user.uuid);
      assert.equal(active.scope, 'calls:read');
      assert.equal(active.token_type, 'Bearer');
      assert.equal(active.wazo_tenant_uuid, user.tenant_uuid);
      const refreshInfo = await oidc.tokenIntrospection(config, tokens.refresh_token as string);
      assert.equal(refreshInfo.active, true);
      assert.equal(refreshInfo.token_type, 'refresh_token');
      await oidc.tokenRevocation(config, tokens.refresh_token as string);
      assert.equal((await oidc.tokenIntrospection(config, tokens.access_token)).active, false);
      assert.equal((await oidc.tokenIntrospection(config, tokens.refresh_token as string)).active, false);
      await assertGrants(server(), tokens.access_token, 'calld.calls.read', 404);
      await assert.rejects(
        oidc.refreshTokenGrant(config, tokens.refresh_token as string),
        oauthError('invalid_grant'),
      );
    });

    test('introspection: another client sees active:false; a public client may not introspect', async () => {
      const owner = await newOAuthClient(server(), { tokenEndpointAuthMethod: 'client_secret_post' });
      const other = await newOAuthClient(server(), { tokenEndpointAuthMethod: 'client_secret_post' });
      const tokens = await oidc.clientCredentialsGrant(await discover(owner), { scope: 'calls:read' });
      assert.equal((await oidc.tokenIntrospection(await discover(other), tokens.access_token)).active, false);
      const publicClient = await newOAuthClient(server(), { tokenEndpointAuthMethod: 'none' });
      await assert.rejects(
        oidc.tokenIntrospection(await discover(publicClient, 'none'), tokens.access_token),
        oauthError('invalid_client'),
      );
      // Revoking someone else's token is a 200 that does nothing (RFC 7009 §2.2).
      await oidc.tokenRevocation(await discover(other), tokens.access_token);
      await assertGrants(server(), tokens.access_token, 'calld.calls.read', 204);
    });
  },
);

/** Matches openid-client's ResponseBodyError by its OAuth error code. */
function oauthError(code: string) {
  return (error: unknown) => (error as { error?: string }).error === code;
}

async function assertGrants(server: TestServer, token: string, scope: string, status: number): Promise<void> {
  const result = await request(server, `/token/${token}?scope=${encodeURIComponent(scope)}`, {
    method: 'HEAD',
  });
  assert.equal(result.status, status, `HEAD /token?scope=${scope}`);
}
