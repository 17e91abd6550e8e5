import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { from, newAddress } from '../../testing/brute-force-fixtures.ts';
import { describeEachDialect } from '../../testing/dialect-suite.ts';
import {
  newOAuthClient,
  OAUTH_TOKEN_TEST_CONFIG,
  oauthErrorOf,
  postForm,
  tokenRequest,
} from '../../testing/oauth-token-fixtures.ts';
import { JWT_BEARER_ASSERTION } from './client-credentials.ts';

/** RFC 6749 §2.3, RFC 7523 and RFC 9700 §2.5: how OAuth clients authenticate, and brute force against it. */
await describeEachDialect(
  'OAuth client authentication',
  {
    config: {
      ...OAUTH_TOKEN_TEST_CONFIG,
      http: { trusted_proxies: ['127.0.0.1'] },
      brute_force: { account_max_failures: 5, lock_seconds: 60, lock_max_seconds: 900 },
    },
  },
  ({ server }) => {
    test('§2 item 12 failed client secrets lock the client, even against the right secret', async () => {
      const tc = await newOAuthClient(server());
      const address = newAddress();
      const wrong = { ...tc, secret: 'not-the-secret' };
      for (let i = 0; i < 6; i += 1) {
        const result = await tokenRequest(
          server(),
          wrong,
          { grant_type: 'client_credentials' },
          from(address),
        );
        assert.equal(result.status, 401);
        assert.equal(oauthErrorOf(result), 'invalid_client');
        assert.equal(result.headers.get('www-authenticate'), 'Basic realm="oauth"');
      }
      const locked = await tokenRequest(server(), tc, { grant_type: 'client_credentials' }, from(address));
      assert.equal(locked.status, 401);
      assert.equal(oauthErrorOf(locked), 'invalid_client');
      const elsewhere = await tokenRequest(
        server(),
        tc,
        { grant_type: 'client_credentials' },
        from(newAddress()),
      );
      assert.equal(elsewhere.status, 200, 'the lock is per client and address (S-BF-4)');
    });

    test('RFC 6749 §2.3 two client authentication methods at once are invalid_request', async () => {
      const tc = await newOAuthClient(server());
      const result = await postForm(
        server(),
        '/oauth2/token',
        {
          grant_type: 'client_credentials',
          client_id: tc.client.clientId,
          client_secret: tc.secret as string,
        },
        { basic: tc },
      );
      assert.equal(result.status, 400);
      assert.equal(oauthErrorOf(result), 'invalid_request');
    });

    test('only the registered method: a Basic client sending its secret in the body is invalid_client', async () => {
      const tc = await newOAuthClient(server());
      const result = await postForm(server(), '/oauth2/token', {
        grant_type: 'client_credentials',
        client_id: tc.client.clientId,
        client_secret: tc.secret as string,
      });
      assert.equal(result.status, 401);
      assert.equal(oauthErrorOf(result), 'invalid_client');
      assert.equal(result.headers.get('www-authenticate'), null);
    });

    test('RFC 7523 private_key_jwt: accepted once; replayed, long-lived or foreign-key assertions are not', async () => {
      const { publicKey, privateKey } = await generateKeyPair('ES256');
      const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
      const tc = await newOAuthClient(server(), {
        tokenEndpointAuthMethod: 'private_key_jwt',
        jwks: { keys: [jwk] },
      });
      const audience = server().container.oauth.issuer.url('/oauth2/token');
      const assertion = (exp = '2m', key = privateKey) =>
        new SignJWT({})
          .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
          .setIssuer(tc.client.clientId)
          .setSubject(tc.client.clientId)
          .setAudience(audience)
          .setJti(randomUUID())
          .setIssuedAt()
          .setExpirationTime(exp)
          .sign(key);
      const post = (value: string) =>
        postForm(server(), '/oauth2/token', {
          grant_type: 'client_credentials',
          client_assertion_type: JWT_BEARER_ASSERTION,
          client_assertion: value,
        });
      const first = await assertion();
      assert.equal((await post(first)).status, 200);
      assert.equal((await post(first)).status, 401, 'a jti is single-use');
      assert.equal((await post(await assertion('1h'))).status, 401, 'exp at most 5 minutes ahead');
      const other = await generateKeyPair('ES256');
      assert.equal((await post(await assertion('2m', other.privateKey))).status, 401);
    });
  },
);
