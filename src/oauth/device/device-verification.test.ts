import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { newAddress } from '../../testing/brute-force-fixtures.ts';
import { describeEachDialect } from '../../testing/dialect-suite.ts';
import {
  AUTHORIZE_TEST_CONFIG,
  hiddenFields,
  insertClient,
  type PageResponse,
  PageSession,
} from '../../testing/oauth-authorize-fixtures.ts';
import { newUser } from '../../testing/test-fixtures.ts';
import type { TestServer } from '../../testing/test-server.ts';
import { formatUserCode, generateUserCode } from '../codes/user-code.ts';

async function pendingDeviceCode(
  server: TestServer,
  expiresInMs = 600_000,
): Promise<{ userCode: string; hash: string }> {
  const client = await insertClient(server, { name: 'Living-room TV' });
  const userCode = generateUserCode();
  const hash = randomBytes(32).toString('hex');
  const inserted = await server.container.oauth.repositories.deviceCodes.insert({
    deviceCodeHash: hash,
    userCode,
    clientId: client.clientId,
    scope: 'openid profile',
    status: 'pending',
    userUuid: null,
    authTimeMs: null,
    intervalSeconds: 5,
    lastPolledAtMs: null,
    expiresAtMs: Date.now() + expiresInMs,
  });
  assert.ok(inserted);
  return { userCode, hash };
}

function browser(server: TestServer): PageSession {
  return new PageSession(server, { 'X-Forwarded-For': newAddress() });
}

async function enterCode(page: PageSession, typed: string): Promise<PageResponse> {
  const form = await page.get('/oauth2/device');
  assert.equal(form.status, 200, form.text);
  return page.post('/oauth2/device', { ...hiddenFields(form.text), user_code: typed });
}

async function statusOf(server: TestServer, hash: string) {
  return server.container.oauth.repositories.deviceCodes.findByDeviceCodeHash(hash);
}

await describeEachDialect(
  'OAuth device verification page',
  { config: AUTHORIZE_TEST_CONFIG },
  ({ server }) => {
    test('RFC 8628 §3.3 the code form, prefilled from verification_uri_complete, with the page headers', async () => {
      const page = browser(server());
      const result = await page.get('/oauth2/device?user_code=bcdfghjk');
      assert.equal(result.status, 200);
      assert.match(result.text, /<label for="user_code">/);
      assert.match(result.text, /value="BCDF-GHJK"/);
      assert.equal(result.headers.get('x-frame-options'), 'DENY');
      assert.match(
        result.headers.get('content-security-policy') ?? '',
        /form-action 'self'; frame-ancestors 'none'/,
      );
      assert.ok(page.cookies.has('gatehouse_oauth_csrf'));
    });

    test('RFC 8628 §3.3 typed code (any case, dashes), login, consent, allow: the device code is approved', async () => {
      const { userCode, hash } = await pendingDeviceCode(server());
      const user = await newUser(server());
      const page = browser(server());
      const typed = formatUserCode(userCode).toLowerCase();
      const login = await enterCode(page, typed);
      assert.equal(login.status, 200, login.text);
      assert.match(login.text, /Living-room TV/);
      assert.ok(login.text.includes(formatUserCode(userCode)));
      const consent = await page.post('/oauth2/device', {
        ...hiddenFields(login.text),
        username: user.username,
        password: user.password,
      });
      assert.equal(consent.status, 200, consent.text);
      assert.match(consent.text, /<strong>profile<\/strong>/);
      const done = await page.post('/oauth2/device', { ...hiddenFields(consent.text), decision: 'allow' });
      assert.equal(done.status, 200, done.text);
      assert.match(done.text, /Device connected/);
      const stored = await statusOf(server(), hash);
      assert.equal(stored?.status, 'approved');
      assert.equal(stored?.userUuid, user.uuid);
      assert.ok(stored?.authTimeMs);
      // The decision is final: the same consent cannot be replayed into a second decision.
      const again = await page.post('/oauth2/device', { ...hiddenFields(consent.text), decision: 'deny' });
      assert.equal(again.status, 400);
      assert.equal((await statusOf(server(), hash))?.status, 'approved');
    });

    test('RFC 8628 §3.3 deny marks the device code denied', async () => {
      const { userCode, hash } = await pendingDeviceCode(server());
      const user = await newUser(server());
      const page = browser(server());
      const login = await enterCode(page, userCode);
      const consent = await page.post('/oauth2/device', {
        ...hiddenFields(login.text),
        username: user.username,
        password: user.password,
      });
      const done = await page.post('/oauth2/device', { ...hiddenFields(consent.text), decision: 'deny' });
      assert.match(done.text, /Access denied/);
      assert.equal((await statusOf(server(), hash))?.status, 'denied');
    });

    test('RFC 8628 §3.3 a wrong or expired code re-renders the form with an error', async () => {
      const { userCode } = await pendingDeviceCode(server(), -1000);
      const page = browser(server());
      for (const typed of [userCode, 'BCDF-GHJK', 'not a code']) {
        const result = await enterCode(page, typed);
        assert.equal(result.status, 400, result.text);
        assert.match(result.text, /not valid or has expired/);
        assert.match(result.text, /<input type="text" id="user_code"/);
      }
    });

    test('RFC 8628 §5.1 wrong user codes count against the address: 429 once it used its failures', async () => {
      const page = browser(server());
      for (let i = 0; i < 8; i += 1) assert.equal((await enterCode(page, 'BCDF-GHJK')).status, 400);
      const { userCode } = await pendingDeviceCode(server());
      const throttled = await enterCode(page, userCode);
      assert.equal(throttled.status, 429, throttled.text);
      assert.ok(Number(throttled.headers.get('retry-after')) > 0);
    });

    test('§5 CSRF: the code form without the matching cookie is a 403 page', async () => {
      const { userCode } = await pendingDeviceCode(server());
      const page = browser(server());
      const form = await page.get('/oauth2/device');
      const result = await page.post('/oauth2/device', {
        ...hiddenFields(form.text),
        csrf: 'B'.repeat(43),
        user_code: userCode,
      });
      assert.equal(result.status, 403);
    });
  },
);
