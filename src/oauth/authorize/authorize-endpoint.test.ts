import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newAddress } from '../../testing/brute-force-fixtures.ts';
import { describeEachDialect } from '../../testing/dialect-suite.ts';
import {
  AUTHORIZE_TEST_CONFIG,
  authorizeQuery,
  insertClient,
  type PageResponse,
  PageSession,
  redirectParams,
} from '../../testing/oauth-authorize-fixtures.ts';
import type { TestServer } from '../../testing/test-server.ts';

function session(server: TestServer): PageSession {
  return new PageSession(server, { 'X-Forwarded-For': newAddress() });
}

function assertErrorPage(result: PageResponse, message: RegExp) {
  assert.equal(result.status, 400, result.text);
  assert.equal(result.location, null, 'never redirected to an unverified URI');
  assert.match(result.text, message);
  assert.equal(result.headers.get('x-frame-options'), 'DENY');
  assert.equal(result.headers.get('cache-control'), 'no-store');
  assert.match(
    result.headers.get('content-security-policy') ?? '',
    /^default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'/,
  );
}

await describeEachDialect(
  'OAuth authorization endpoint: request validation',
  { config: AUTHORIZE_TEST_CONFIG },
  ({ server }) => {
    test('RFC 6749 §4.1.2.1 an unknown or missing client_id gets an error page, never a redirect', async () => {
      const client = await insertClient(server());
      const unknown = authorizeQuery(client, { client_id: 'no-such-client' });
      assertErrorPage(await session(server()).get(`/oauth2/authorize?${unknown}`), /not known/);
      const missing = authorizeQuery(client, { client_id: null });
      assertErrorPage(await session(server()).get(`/oauth2/authorize?${missing}`), /client_id/);
    });

    test('O1 a redirect_uri near miss (trailing slash, extra path, other host, query) is refused without redirect', async () => {
      const client = await insertClient(server());
      for (const uri of [
        'https://app.example.com/callback/',
        'https://app.example.com/callback/extra',
        'https://evil.example.com/callback',
        'https://app.example.com/callback?x=1',
        'http://app.example.com/callback',
      ]) {
        const query = authorizeQuery(client, { redirect_uri: uri });
        assertErrorPage(await session(server()).get(`/oauth2/authorize?${query}`), /redirect_uri/);
      }
    });

    test('RFC 6749 §3.1.2.3 redirect_uri may be omitted only when exactly one is registered', async () => {
      const one = await insertClient(server());
      const ok = await session(server()).get(
        `/oauth2/authorize?${authorizeQuery(one, { redirect_uri: null })}`,
      );
      assert.equal(ok.status, 200, ok.text);
      const two = await insertClient(server(), {
        redirectUris: ['https://app.example.com/callback', 'https://app.example.com/other'],
      });
      const query = authorizeQuery(two, { redirect_uri: null });
      assertErrorPage(await session(server()).get(`/oauth2/authorize?${query}`), /redirect_uri/);
    });

    test('RFC 8252 §7.3 a loopback redirect URI may use another port, but nothing else may differ', async () => {
      const client = await insertClient(server(), { redirectUris: ['http://127.0.0.1/cb'] });
      const ok = await session(server()).get(
        `/oauth2/authorize?${authorizeQuery(client, { redirect_uri: 'http://127.0.0.1:51234/cb' })}`,
      );
      assert.equal(ok.status, 200, ok.text);
      for (const uri of [
        'http://127.0.0.1:51234/cb/',
        'http://localhost:51234/cb',
        'http://[::1]:51234/cb',
      ]) {
        const query = authorizeQuery(client, { redirect_uri: uri });
        assertErrorPage(await session(server()).get(`/oauth2/authorize?${query}`), /redirect_uri/);
      }
    });

    const REDIRECTED: Array<[string, Record<string, string | null>, string]> = [
      ['response_type missing', { response_type: null }, 'invalid_request'],
      ['response_type=token', { response_type: 'token' }, 'unsupported_response_type'],
      ['PKCE code_challenge missing', { code_challenge: null }, 'invalid_request'],
      [
        'code_challenge_method missing (plain by default)',
        { code_challenge_method: null },
        'invalid_request',
      ],
      ['code_challenge_method=plain', { code_challenge_method: 'plain' }, 'invalid_request'],
      ['malformed S256 challenge', { code_challenge: 'short' }, 'invalid_request'],
      ['unknown scope', { scope: 'openid no-such-scope' }, 'invalid_scope'],
      ['scope not allowed for the client', { scope: 'email' }, 'invalid_scope'],
      ['malformed dpop_jkt', { dpop_jkt: 'not a thumbprint' }, 'invalid_request'],
      ['prompt=none', { prompt: 'none' }, 'login_required'],
    ];
    for (const [label, overrides, error] of REDIRECTED) {
      test(`O4 O7 ${label} redirects with error=${error}, state and iss`, async () => {
        const client = await insertClient(server());
        const query = authorizeQuery(client, overrides);
        const result = await session(server()).get(`/oauth2/authorize?${query}`);
        assert.equal(result.status, 303, result.text);
        assert.ok(result.location?.startsWith('https://app.example.com/callback?'), result.location ?? '');
        const params = redirectParams(result.location);
        assert.equal(params.get('error'), error);
        assert.ok(params.get('error_description'));
        assert.equal(params.get('state'), query.get('state'));
        assert.equal(params.get('iss'), server().container.oauth.issuer.value);
        assert.equal(params.get('code'), null);
      });
    }

    test('RFC 6749 §3.1 a repeated parameter is invalid_request', async () => {
      const client = await insertClient(server());
      const query = authorizeQuery(client);
      query.append('scope', 'openid');
      const params = redirectParams((await session(server()).get(`/oauth2/authorize?${query}`)).location);
      assert.equal(params.get('error'), 'invalid_request');
    });

    test('unauthorized_client when the client lacks the authorization_code grant', async () => {
      const client = await insertClient(server(), { grantTypes: ['client_credentials'] });
      const result = await session(server()).get(`/oauth2/authorize?${authorizeQuery(client)}`);
      assert.equal(redirectParams(result.location).get('error'), 'unauthorized_client');
    });

    test('§5 the login page: headers, CSRF cookie, form with labels, escaped names', async () => {
      const client = await insertClient(server(), { name: '<script>alert("x")</script> App' });
      const result = await session(server()).get(`/oauth2/authorize?${authorizeQuery(client)}`);
      assert.equal(result.status, 200, result.text);
      const h = result.headers;
      assert.equal(
        h.get('content-security-policy'),
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' https://app.example.com; " +
          "frame-ancestors 'none'; base-uri 'none'",
      );
      assert.equal(h.get('x-frame-options'), 'DENY');
      assert.equal(h.get('cache-control'), 'no-store');
      assert.equal(h.get('referrer-policy'), 'no-referrer');
      assert.equal(h.get('x-content-type-options'), 'nosniff');
      assert.equal(h.get('content-type'), 'text/html; charset=utf-8');
      const cookie = h.getSetCookie().find((c) => c.startsWith('gatehouse_oauth_csrf='));
      assert.match(cookie ?? '', /; Path=\/oauth2\/; HttpOnly; SameSite=Strict$/);
      assert.match(result.text, /<form method="post" action="\/oauth2\/authorize">/);
      assert.match(result.text, /<label for="username">/);
      assert.match(result.text, /<label for="password">/);
      assert.match(result.text, /&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt; App/);
      assert.doesNotMatch(result.text, /<script/);
      const tenant = await server().container.repositories.tenants.get(server().topTenantUuid);
      assert.ok(result.text.includes(tenant?.name || tenant?.slug || '?'));
    });

    test('RFC 9700 §2.6 no CORS on the authorization endpoint, even with an Origin or a preflight', async () => {
      const client = await insertClient(server());
      const origin = { Origin: 'https://app.example.com' };
      const get = await session(server()).get(`/oauth2/authorize?${authorizeQuery(client)}`, origin);
      assert.equal(get.status, 200);
      const preflight = await fetch(`${server().origin}/oauth2/authorize`, {
        method: 'OPTIONS',
        headers: { ...origin, 'Access-Control-Request-Method': 'POST' },
      });
      for (const response of [get, preflight]) {
        const names = [...response.headers.keys()].filter((n) => n.startsWith('access-control-'));
        assert.deepEqual(names, []);
      }
      assert.equal(preflight.status, 405);
    });
  },
);

await describeEachDialect(
  'OAuth authorization endpoint under a path prefix',
  { config: { ...AUTHORIZE_TEST_CONFIG, http: { ...AUTHORIZE_TEST_CONFIG.http, path_prefix: '/api/auth' } } },
  ({ server }) => {
    test('§5 the form, the cookie path and iss follow http.path_prefix', async () => {
      const client = await insertClient(server());
      const page = session(server());
      const login = await page.get(`/api/auth/oauth2/authorize?${authorizeQuery(client)}`);
      assert.equal(login.status, 200, login.text);
      assert.match(login.text, /<form method="post" action="\/api\/auth\/oauth2\/authorize">/);
      assert.match(login.headers.getSetCookie().join('\n'), /; Path=\/api\/auth\/oauth2\/;/);
      const error = await page.get(`/api/auth/oauth2/authorize?${authorizeQuery(client, { scope: 'nope' })}`);
      assert.equal(redirectParams(error.location).get('iss'), `${server().origin}/api/auth`);
    });
  },
);
