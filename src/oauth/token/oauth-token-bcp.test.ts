import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeEachDialect } from '../../testing/dialect-suite.ts';
import { tokenStatus } from '../../testing/http-client.ts';
import {
  clientBasic,
  insertCode,
  newOAuthClient,
  OAUTH_TOKEN_TEST_CONFIG,
  oauthErrorOf,
  oauthUser,
  postForm,
  refresh,
  TEST_REDIRECT_URI,
  type TokenBody,
  tokenRequest,
  tokensByCode,
} from '../../testing/oauth-token-fixtures.ts';

/** landscape.md §2 and security.md §2: what RFC 9700 / OAuth 2.1 require of the token endpoint. */
await describeEachDialect(
  'RFC 9700 token endpoint requirements',
  {
    config: OAUTH_TOKEN_TEST_CONFIG,
  },
  ({ server }) => {
    test('§2 item 2 PKCE: no code_verifier is invalid_grant; a wrong one spends the code', async () => {
      const tc = await newOAuthClient(server());
      const user = await oauthUser(server());
      const { code, verifier } = await insertCode(server(), tc.client, user.uuid);
      const base = { grant_type: 'authorization_code', code, redirect_uri: TEST_REDIRECT_URI };
      const missing = await tokenRequest(server(), tc, base);
      assert.equal(missing.status, 400);
      assert.equal(oauthErrorOf(missing), 'invalid_grant');
      const wrong = await tokenRequest(server(), tc, { ...base, code_verifier: `${verifier.slice(1)}x` });
      assert.equal(oauthErrorOf(wrong), 'invalid_grant');
      const late = await tokenRequest(server(), tc, { ...base, code_verifier: verifier });
      assert.equal(
        oauthErrorOf(late),
        'invalid_grant',
        'a code is spent by its first well-formed redemption',
      );
    });

    test('§2 item 3 a redirect_uri other than the stored one is invalid_grant', async () => {
      const tc = await newOAuthClient(server());
      const user = await oauthUser(server());
      const { code, verifier } = await insertCode(server(), tc.client, user.uuid);
      const result = await tokenRequest(server(), tc, {
        grant_type: 'authorization_code',
        code,
        code_verifier: verifier,
        redirect_uri: `${TEST_REDIRECT_URI}/other`,
      });
      assert.equal(result.status, 400);
      assert.equal(oauthErrorOf(result), 'invalid_grant');
    });

    test('§2 item 3 redirect_uri left out: accepted only when the client has a single registered URI', async () => {
      const user = await oauthUser(server());
      const single = await newOAuthClient(server());
      const first = await insertCode(server(), single.client, user.uuid);
      const accepted = await tokenRequest(server(), single, {
        grant_type: 'authorization_code',
        code: first.code,
        code_verifier: first.verifier,
      });
      assert.equal(accepted.status, 200);
      const two = await newOAuthClient(server(), {
        redirectUris: [TEST_REDIRECT_URI, `${TEST_REDIRECT_URI}/second`],
      });
      const second = await insertCode(server(), two.client, user.uuid);
      const refused = await tokenRequest(server(), two, {
        grant_type: 'authorization_code',
        code: second.code,
        code_verifier: second.verifier,
      });
      assert.equal(refused.status, 400);
      assert.equal(oauthErrorOf(refused), 'invalid_grant');
    });

    test('§2 item 4 a code used twice is refused and what it issued is revoked', async () => {
      const tc = await newOAuthClient(server());
      const user = await oauthUser(server());
      const { code, verifier } = await insertCode(server(), tc.client, user.uuid);
      const params = {
        grant_type: 'authorization_code',
        code,
        code_verifier: verifier,
        redirect_uri: TEST_REDIRECT_URI,
      };
      const first = await tokenRequest(server(), tc, params);
      assert.equal(first.status, 200, first.text);
      const tokens = first.body as TokenBody;
      assert.equal(await tokenStatus(server(), tokens.access_token), 204);
      const second = await tokenRequest(server(), tc, params);
      assert.equal(oauthErrorOf(second), 'invalid_grant');
      assert.equal(await tokenStatus(server(), tokens.access_token), 404);
      assert.equal(
        oauthErrorOf(await refresh(server(), tc, tokens.refresh_token as string)),
        'invalid_grant',
      );
    });

    test('CC-12 two concurrent redemptions of one code: exactly one 200', async () => {
      const tc = await newOAuthClient(server());
      const user = await oauthUser(server());
      const { code, verifier } = await insertCode(server(), tc.client, user.uuid);
      const params = {
        grant_type: 'authorization_code',
        code,
        code_verifier: verifier,
        redirect_uri: TEST_REDIRECT_URI,
      };
      const results = await Promise.all([
        tokenRequest(server(), tc, params),
        tokenRequest(server(), tc, params),
      ]);
      assert.deepEqual(results.map((r) => r.status).sort(), [200, 400]);
    });

    test('§2 item 2 a code of another client is invalid_grant', async () => {
      const owner = await newOAuthClient(server());
      const thief = await newOAuthClient(server());
      const user = await oauthUser(server());
      const { code, verifier } = await insertCode(server(), owner.client, user.uuid);
      const result = await tokenRequest(server(), thief, {
        grant_type: 'authorization_code',
        code,
        code_verifier: verifier,
        redirect_uri: TEST_REDIRECT_URI,
      });
      assert.equal(oauthErrorOf(result), 'invalid_grant');
    });

    test('§2 item 7 a refresh may narrow the scope, never widen it; the grant keeps its scope', async () => {
      const tc = await newOAuthClient(server());
      const user = await oauthUser(server());
      const tokens = await tokensByCode(server(), tc, user.uuid, { scope: 'calls:read' });
      const wider = await refresh(server(), tc, tokens.refresh_token as string, {
        scope: 'calls:read me:read',
      });
      assert.equal(wider.status, 400);
      assert.equal(oauthErrorOf(wider), 'invalid_scope');
      const same = await refresh(server(), tc, tokens.refresh_token as string);
      assert.equal(same.status, 200, same.text);
      assert.equal((same.body as TokenBody).scope, 'calls:read');
    });

    test('§2 item 11 token responses and errors carry Cache-Control: no-store', async () => {
      const tc = await newOAuthClient(server());
      const ok = await tokenRequest(server(), tc, { grant_type: 'client_credentials', scope: 'calls:read' });
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.headers.get('cache-control'), 'no-store');
      assert.equal(ok.headers.get('pragma'), 'no-cache');
      const refused = await tokenRequest(server(), tc, { grant_type: 'authorization_code', code: 'nope' });
      assert.equal(refused.headers.get('cache-control'), 'no-store');
    });

    test('§2 item 1 / D7 the password and implicit grants are unsupported_grant_type', async () => {
      const tc = await newOAuthClient(server());
      const user = await oauthUser(server());
      for (const grantType of ['password', 'implicit', 'token']) {
        const result = await tokenRequest(server(), tc, {
          grant_type: grantType,
          username: user.username,
          password: user.password,
        });
        assert.equal(result.status, 400);
        assert.equal(oauthErrorOf(result), 'unsupported_grant_type');
      }
    });

    test('RFC 6749 §3.2 a JSON body is invalid_request; so is a repeated parameter', async () => {
      const tc = await newOAuthClient(server());
      const json = await fetch(server().container.oauth.issuer.url('/oauth2/token'), {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: clientBasic(tc.client.clientId, tc.secret as string),
        },
        body: JSON.stringify({ grant_type: 'client_credentials' }),
      });
      assert.equal(json.status, 400);
      assert.equal(((await json.json()) as { error: string }).error, 'invalid_request');
      const repeated = await fetch(server().container.oauth.issuer.url('/oauth2/token'), {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: clientBasic(tc.client.clientId, tc.secret as string),
        },
        body: 'grant_type=client_credentials&scope=a&scope=b',
      });
      assert.equal(repeated.status, 400);
    });

    test('a grant type the client lacks is unauthorized_client; a scope it lacks is invalid_scope', async () => {
      const tc = await newOAuthClient(server(), { grantTypes: ['authorization_code'] });
      const denied = await tokenRequest(server(), tc, { grant_type: 'client_credentials' });
      assert.equal(oauthErrorOf(denied), 'unauthorized_client');
      const scoped = await newOAuthClient(server());
      const wide = await tokenRequest(server(), scoped, {
        grant_type: 'client_credentials',
        scope: 'auth:all',
      });
      assert.equal(oauthErrorOf(wide), 'invalid_scope');
      const publicClient = await newOAuthClient(server(), { tokenEndpointAuthMethod: 'none' });
      const pub = await tokenRequest(server(), publicClient, { grant_type: 'client_credentials' });
      assert.equal(oauthErrorOf(pub), 'unauthorized_client');
    });

    test('S-SEC-1 no client secret, code, verifier or token in any log line', async () => {
      const tc = await newOAuthClient(server());
      const user = await oauthUser(server());
      const { code, verifier } = await insertCode(server(), tc.client, user.uuid);
      const params = {
        grant_type: 'authorization_code',
        code,
        code_verifier: verifier,
        redirect_uri: TEST_REDIRECT_URI,
      };
      const tokens = (await tokenRequest(server(), tc, params)).body as TokenBody;
      const next = (await refresh(server(), tc, tokens.refresh_token as string)).body as TokenBody;
      await tokenRequest(server(), { ...tc, secret: `${tc.secret}x` }, { grant_type: 'client_credentials' });
      await postForm(server(), '/oauth2/introspect', { token: next.access_token }, { basic: tc });
      await postForm(server(), '/oauth2/revoke', { token: next.refresh_token as string }, { basic: tc });
      const secrets = [
        tc.secret as string,
        code,
        verifier,
        tokens.access_token,
        tokens.refresh_token as string,
        next.access_token,
        next.refresh_token as string,
        clientBasic(tc.client.clientId, tc.secret as string).slice(6),
      ];
      const leaks = server().logs.filter((line) => secrets.some((secret) => line.includes(secret)));
      assert.deepEqual(leaks, []);
    });
  },
);
