import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { newAddress } from '../../testing/brute-force-fixtures.ts';
import { describeEachDialect } from '../../testing/dialect-suite.ts';
import { adminRequest, type CreatedUser } from '../../testing/http-client.ts';
import {
  AUTHORIZE_TEST_CONFIG,
  authorizeQuery,
  hiddenFields,
  insertClient,
  type PageResponse,
  PageSession,
  pkcePair,
  redirectParams,
} from '../../testing/oauth-authorize-fixtures.ts';
import { createSubTenant, newUser } from '../../testing/test-fixtures.ts';
import type { TestServer } from '../../testing/test-server.ts';
import type { OAuthClient } from '../clients/oauth-client.ts';

interface Started {
  page: PageSession;
  query: URLSearchParams;
  login: PageResponse;
}

async function start(server: TestServer, client: OAuthClient, overrides: Record<string, string | null> = {}) {
  const page = new PageSession(server, { 'X-Forwarded-For': newAddress() });
  const query = authorizeQuery(client, overrides);
  const login = await page.get(`/oauth2/authorize?${query}`);
  assert.equal(login.status, 200, login.text);
  return { page, query, login } satisfies Started;
}

function submitLogin(
  started: Started,
  username: string,
  password: string,
  from: PageResponse = started.login,
) {
  return started.page.post('/oauth2/authorize', { ...hiddenFields(from.text), username, password });
}

async function consent(started: Started, user: CreatedUser): Promise<PageResponse> {
  const page = await submitLogin(started, user.username, user.password);
  assert.equal(page.status, 200, page.text);
  assert.match(page.text, /name="decision" value="allow"/);
  return page;
}

function decide(started: Started, consentPage: PageResponse, decision: 'allow' | 'deny') {
  return started.page.post('/oauth2/authorize', { ...hiddenFields(consentPage.text), decision });
}

function assertLoginRefused(result: PageResponse) {
  assert.equal(result.status, 401, result.text);
  assert.match(result.text, /Invalid username or password\./);
  assert.match(result.text, /<input type="password"/);
}

await describeEachDialect(
  'OAuth authorization endpoint: login and consent',
  { config: AUTHORIZE_TEST_CONFIG },
  ({ server }) => {
    test('§4 allow: 303 to the redirect URI with code, state and iss; the code is stored hashed', async () => {
      const client = await insertClient(server());
      const user = await newUser(server());
      const { challenge } = pkcePair();
      const jkt = createHash('sha256').update('key').digest('base64url');
      const started = await start(server(), client, {
        code_challenge: challenge,
        nonce: 'n-0S6',
        dpop_jkt: jkt,
      });
      const consentPage = await consent(started, user);
      assert.match(consentPage.text, /Test App/);
      assert.match(consentPage.text, /<strong>openid<\/strong>: Sign you in/);
      assert.match(consentPage.text, /<strong>profile<\/strong>: Read your name/);
      assert.match(
        consentPage.headers.get('content-security-policy') ?? '',
        /form-action 'self' https:\/\/app\.example\.com;/,
      );
      const before = Date.now();
      const done = await decide(started, consentPage, 'allow');
      assert.equal(done.status, 303, done.text);
      assert.ok(done.location?.startsWith('https://app.example.com/callback?'));
      const params = redirectParams(done.location);
      const code = params.get('code') ?? '';
      assert.match(code, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(params.get('state'), started.query.get('state'));
      assert.equal(params.get('iss'), server().container.oauth.issuer.value);
      const rows = await server().container.storage.db.selectFrom('auth_oauth_code').selectAll().execute();
      assert.ok(!JSON.stringify(rows).includes(code), 'the clear code is nowhere in the table');
      const row = rows.find((r) => r.code_hash === createHash('sha256').update(code).digest('hex'));
      assert.ok(row, 'stored by its SHA-256');
      assert.equal(row.client_id, client.clientId);
      assert.equal(row.user_uuid, user.uuid);
      assert.equal(row.redirect_uri, 'https://app.example.com/callback');
      assert.equal(row.scope, 'openid profile');
      assert.equal(row.code_challenge, challenge);
      assert.equal(row.nonce, 'n-0S6');
      assert.equal(row.dpop_jkt, jkt);
      const lifetime = server().container.config.oauth.code_lifetime_seconds * 1000;
      assert.ok(
        Number(row.expires_at_ms) >= before + lifetime - 1000 &&
          Number(row.expires_at_ms) <= Date.now() + lifetime,
      );
      assert.ok(
        server().logs.some((l) => l.includes('"event":"oauth_consent"') && l.includes('"outcome":"allowed"')),
      );
      assert.ok(
        !server().logs.some((l) => l.includes(user.password) || l.includes(code)),
        'no secret in the logs',
      );
    });

    test('§4 deny: 303 with error=access_denied, state and iss, and no code', async () => {
      const client = await insertClient(server());
      const user = await newUser(server());
      const started = await start(server(), client);
      const done = await decide(started, await consent(started, user), 'deny');
      assert.equal(done.status, 303);
      const params = redirectParams(done.location);
      assert.equal(params.get('error'), 'access_denied');
      assert.equal(params.get('state'), started.query.get('state'));
      assert.equal(params.get('iss'), server().container.oauth.issuer.value);
      assert.equal(params.get('code'), null);
    });

    test('§4 a client with skip_consent gets its code right after the login; a loopback port is kept', async () => {
      const client = await insertClient(server(), {
        skipConsent: true,
        redirectUris: ['http://127.0.0.1/cb'],
      });
      const user = await newUser(server());
      const started = await start(server(), client, { redirect_uri: 'http://127.0.0.1:40123/cb' });
      assert.match(
        started.login.headers.get('content-security-policy') ?? '',
        /form-action 'self' http:\/\/127\.0\.0\.1:40123;/,
      );
      const done = await submitLogin(started, user.username, user.password);
      assert.equal(done.status, 303, done.text);
      assert.ok(done.location?.startsWith('http://127.0.0.1:40123/cb?code='));
    });

    test('§5 CSRF: a missing cookie or a field that does not match it is a 403 page', async () => {
      const client = await insertClient(server());
      const user = await newUser(server());
      const started = await start(server(), client);
      const fields = {
        ...hiddenFields(started.login.text),
        username: user.username,
        password: user.password,
      };
      const wrongField = await started.page.post('/oauth2/authorize', { ...fields, csrf: 'A'.repeat(43) });
      assert.equal(wrongField.status, 403);
      assert.match(wrongField.headers.get('content-type') ?? '', /text\/html/);
      const otherBrowser = new PageSession(server());
      const noCookie = await otherBrowser.post('/oauth2/authorize', fields);
      assert.equal(noCookie.status, 403);
      // Another browser's own cookie and field do not open this browser's transaction.
      await otherBrowser.get(`/oauth2/authorize?${authorizeQuery(client)}`);
      const theirs = otherBrowser.cookies.get('gatehouse_oauth_csrf') ?? '';
      const mixed = await otherBrowser.post('/oauth2/authorize', { ...fields, csrf: theirs });
      assert.equal(mixed.status, 400);
      assert.match(mixed.text, /expired/);
    });

    test('§5 a tampered transaction or a consent proof of another transaction is refused', async () => {
      const client = await insertClient(server());
      const user = await newUser(server());
      const started = await start(server(), client);
      const fields = hiddenFields(started.login.text);
      const tampered = await started.page.post('/oauth2/authorize', {
        ...fields,
        tx: `${fields.tx}x`,
        username: user.username,
        password: user.password,
      });
      assert.equal(tampered.status, 400);
      const consentPage = await consent(started, user);
      const second = await started.page.get(`/oauth2/authorize?${authorizeQuery(client)}`);
      const swapped = {
        ...hiddenFields(consentPage.text),
        tx: hiddenFields(second.text).tx ?? '',
        decision: 'allow',
      };
      const result = await started.page.post('/oauth2/authorize', swapped);
      assert.equal(result.status, 400, result.text);
      assert.equal(result.location, null);
    });

    test('§5 wrong password, unknown user and disabled user get the same 401 login page', async () => {
      const client = await insertClient(server());
      const user = await newUser(server());
      const started = await start(server(), client);
      assertLoginRefused(await submitLogin(started, user.username, 'wrong-password'));
      assertLoginRefused(await submitLogin(started, 'no-such-user', 'whatever'));
      const disabled = await newUser(server());
      const put = await adminRequest(server(), `/users/${disabled.uuid}`, {
        method: 'PUT',
        body: { username: disabled.username, enabled: false },
      });
      assert.equal(put.status, 200, put.text);
      assertLoginRefused(await submitLogin(started, disabled.username, disabled.password));
      assert.equal((await submitLogin(started, user.username, user.password)).status, 200);
    });

    test('§5 users of the client tenant and its sub-tenants may authorize; others fail like a wrong password', async () => {
      const parent = await createSubTenant(server(), server().topTenantUuid, { allUsersGroup: true });
      const child = await createSubTenant(server(), parent, { allUsersGroup: true });
      const sibling = await createSubTenant(server(), server().topTenantUuid, { allUsersGroup: true });
      const client = await insertClient(server(), { tenantUuid: parent });
      const inChild = await newUser(server(), {}, child);
      const inSibling = await newUser(server(), {}, sibling);
      const started = await start(server(), client);
      assertLoginRefused(await submitLogin(started, inSibling.username, inSibling.password));
      assert.equal((await submitLogin(started, inChild.username, inChild.password)).status, 200);
    });

    test('S-BF-1 the login page goes through the brute-force gate: a locked account refuses the right password', async () => {
      const client = await insertClient(server());
      const user = await newUser(server());
      const started = await start(server(), client);
      for (let i = 0; i < 3; i += 1)
        assertLoginRefused(await submitLogin(started, user.username, `wrong-${i}`));
      assertLoginRefused(await submitLogin(started, user.username, user.password));
    });

    test('S-BF-3 too many failures from one address give a 429 page with Retry-After', async () => {
      const client = await insertClient(server());
      const started = await start(server(), client);
      for (let i = 0; i < 8; i += 1) assertLoginRefused(await submitLogin(started, `nobody-${i}`, 'x'));
      const throttled = await submitLogin(started, 'nobody-else', 'x');
      assert.equal(throttled.status, 429, throttled.text);
      assert.ok(Number(throttled.headers.get('retry-after')) > 0);
      assert.match(throttled.headers.get('content-type') ?? '', /text\/html/);
      assert.equal(throttled.headers.get('x-frame-options'), 'DENY');
    });

    test('invalid_scope for an allowed scope no tenant defines', async () => {
      const client = await insertClient(server(), { scopes: ['openid', 'ghost'] });
      const page = new PageSession(server());
      const result = await page.get(`/oauth2/authorize?${authorizeQuery(client, { scope: 'openid ghost' })}`);
      assert.equal(redirectParams(result.location).get('error'), 'invalid_scope');
    });
  },
);
