import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createRemoteJWKSet, exportJWK, jwtVerify, SignJWT } from 'jose';
import * as oidc from 'openid-client';
import type { Browser, Page } from 'playwright-core';
import { chromiumInstalled, chromiumOrSkip, launchChromium } from '../testing/chromium.ts';
import { adminRequest, type CreatedUser } from '../testing/http-client.ts';
import { postgresUnavailableReason } from '../testing/test-databases.ts';
import { grantAcl, newUser } from '../testing/test-fixtures.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';

/**
 * Issue #6 acceptance: every flow driven by openid-client (the certified relying-party library) as
 * a real application would, against a real server configured through the admin API like an
 * operator would, on SQLite and PostgreSQL. The code flow goes through the real login and consent
 * pages in headless Chromium; so does the device flow's verification page.
 */

const CALLS_ACL = 'calld.users.me.calls.read';
const USERS_ACL = 'confd.users.read';

type DpopKeyPair = Awaited<ReturnType<typeof oidc.randomDPoPKeyPair>>;

interface Setup {
  server: TestServer;
  alice: CreatedUser;
  softphone: string;
  billing: { clientId: string; secret: string };
}

/** The client's loopback redirect URI (RFC 8252 §7.3): records the full callback URLs it receives. */
interface Callback {
  server: Server;
  port: number;
  received: URL[];
}

async function startCallback(): Promise<Callback> {
  const callback: Callback = { server: createServer(), port: 0, received: [] };
  callback.server.on('request', (request, response) => {
    callback.received.push(new URL(request.url ?? '/', `http://127.0.0.1:${callback.port}`));
    response.writeHead(200, { 'content-type': 'text/plain' }).end('signed in');
  });
  await new Promise<void>((resolve) => callback.server.listen(0, '127.0.0.1', resolve));
  callback.port = (callback.server.address() as AddressInfo).port;
  return callback;
}

/** The operator's side: scopes and clients created through /0.1/oauth, a user holding the rights. */
async function configure(server: TestServer): Promise<Setup> {
  for (const [name, acl] of [
    ['calls:read', [CALLS_ACL]],
    ['users:read', [USERS_ACL]],
  ] as const) {
    const created = await adminRequest(server, '/oauth/scopes', { method: 'POST', body: { name, acl } });
    assert.equal(created.status, 200, created.text);
  }
  const softphone = await adminRequest(server, '/oauth/clients', {
    method: 'POST',
    body: {
      name: 'Softphone',
      client_type: 'public',
      redirect_uris: ['http://127.0.0.1/callback'],
      grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
      scopes: ['openid', 'profile', 'email', 'calls:read'],
      dpop_bound: true,
    },
  });
  assert.equal(softphone.status, 200, softphone.text);
  const billing = await adminRequest(server, '/oauth/clients', {
    method: 'POST',
    body: {
      name: 'Billing',
      client_type: 'confidential',
      grant_types: ['client_credentials'],
      scopes: ['users:read'],
      acl: [USERS_ACL],
    },
  });
  assert.equal(billing.status, 200, billing.text);
  const alice = await newUser(server, { firstname: 'Alice', lastname: 'Martin' });
  await grantAcl(server, alice, [CALLS_ACL, 'confd.#']);
  const body = (value: { body: unknown }) => value.body as { client_id: string; client_secret: string };
  return {
    server,
    alice,
    softphone: body(softphone).client_id,
    billing: { clientId: body(billing).client_id, secret: body(billing).client_secret },
  };
}

function discover(server: TestServer, clientId: string, auth: oidc.ClientAuth): Promise<oidc.Configuration> {
  const issuer = new URL(server.container.oauth.issuer.value);
  return oidc.discovery(issuer, clientId, undefined, auth, { execute: [oidc.allowInsecureRequests] });
}

/** HEAD /0.1/token/{t}?scope= as a Wazo service calls it, forwarding the client's DPoP proof. */
async function check(server: TestServer, token: string, scope: string, dpopProof?: string): Promise<number> {
  const url = `${server.api}/token/${token}?scope=${encodeURIComponent(scope)}`;
  const response = await fetch(url, { method: 'HEAD', headers: dpopProof ? { DPoP: dpopProof } : {} });
  return response.status;
}

/**
 * The proof an app sends with a request to a Wazo service (RFC 9449 §7), which the service forwards
 * to HEAD /0.1/token/{t}: bound to the token by `ath`, signed by the app's key.
 */
async function resourceProof(keyPair: DpopKeyPair, accessToken: string): Promise<string> {
  const jwk = await exportJWK(keyPair.publicKey);
  return new SignJWT({
    htm: 'GET',
    htu: 'https://calld.example.com/1.0/users/me/calls',
    jti: randomUUID(),
    iat: Math.floor(Date.now() / 1000),
    ath: createHash('sha256').update(accessToken).digest('base64url'),
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
    .sign(keyPair.privateKey);
}

/** Logs in and allows with the keyboard only, as a user would on the real pages. */
async function loginAndAllow(page: Page, user: CreatedUser): Promise<void> {
  await page.waitForSelector('#username');
  await page.focus('#username');
  await page.keyboard.type(user.username);
  await page.keyboard.press('Tab');
  await page.keyboard.type(user.password);
  await page.keyboard.press('Enter');
  await page.waitForSelector('button[value="allow"]');
  await page.click('button[value="allow"]');
}

let browser: Browser | undefined;
let callback: Callback;

before(async () => {
  callback = await startCallback();
  if (!chromiumInstalled()) return;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => callback.server.close(resolve));
});

const postgresSkip = await postgresUnavailableReason();

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`issue #6 OAuth flows through openid-client [${dialect}]`, {
    skip: dialect === 'postgres' && postgresSkip ? postgresSkip : false,
  }, () => {
    let setup: Setup;

    before(async () => {
      const server = await startTestServer(dialect);
      setup = await configure(server);
    });

    after(async () => {
      await setup?.server.close();
    });

    test('a mobile app: code + PKCE + DPoP through the login page, ID token, userinfo, rotation', async (t) => {
      if (!chromiumOrSkip(t) || !browser) return;
      const { server, alice } = setup;
      const config = await discover(server, setup.softphone, oidc.None());
      const keyPair = await oidc.randomDPoPKeyPair('ES256');
      const dpop = oidc.getDPoPHandle(config, keyPair);
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const redirectUri = `http://127.0.0.1:${callback.port}/callback`;
      const authorizationUrl = oidc.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: 'openid profile email calls:read',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      });

      const context = await browser.newContext();
      const page = await context.newPage();
      const seen = callback.received.length;
      await page.goto(authorizationUrl.href);
      await loginAndAllow(page, alice);
      await page.waitForURL((url) => url.port === String(callback.port));
      await context.close();
      const returned = callback.received[seen] as URL;

      const tokens = await oidc.authorizationCodeGrant(
        config,
        returned,
        { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true },
        { redirect_uri: redirectUri },
        { DPoP: dpop },
      );
      assert.equal(tokens.token_type, 'dpop');
      assert.equal(tokens.scope, 'openid profile email calls:read');

      // The ID token: claims checked by openid-client, the signature here against the published JWKS.
      const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri as string));
      const { payload, protectedHeader } = await jwtVerify(tokens.id_token as string, jwks, {
        issuer: server.container.oauth.issuer.value,
        audience: setup.softphone,
      });
      assert.equal(protectedHeader.alg, 'ES256');
      assert.equal(payload.sub, alice.uuid);
      assert.equal(payload.nonce, nonce);

      // A Wazo service checks the DPoP-bound token with the proof the app sent it.
      const access = tokens.access_token;
      const required = `calld.users.${alice.uuid}.calls.read`;
      const proofFor = () => resourceProof(keyPair, access);
      assert.equal(await check(server, access, required, await proofFor()), 204);
      assert.equal(await check(server, access, required), 404, 'a bound token without its proof fails');
      assert.equal(await check(server, access, USERS_ACL, await proofFor()), 403, 'the scopes limit the ACL');

      const userinfo = await oidc.fetchUserInfo(config, access, alice.uuid, { DPoP: dpop });
      assert.equal(userinfo.preferred_username, alice.username);
      assert.equal(userinfo.given_name, 'Alice');

      // Rotation: each refresh gives a new refresh token; replaying a spent one ends the family.
      const first = tokens.refresh_token as string;
      const second = await oidc.refreshTokenGrant(config, first, undefined, { DPoP: dpop });
      assert.notEqual(second.refresh_token, first);
      const third = await oidc.refreshTokenGrant(config, second.refresh_token as string, undefined, {
        DPoP: dpop,
      });
      await assert.rejects(oidc.refreshTokenGrant(config, first, undefined, { DPoP: dpop }), (error) => {
        assert.equal((error as oidc.ResponseBodyError).error, 'invalid_grant');
        return true;
      });
      await assert.rejects(
        oidc.refreshTokenGrant(config, third.refresh_token as string, undefined, { DPoP: dpop }),
        (error) => (error as oidc.ResponseBodyError).error === 'invalid_grant',
        'the reuse of a spent token revoked the whole family',
      );
      assert.equal(await check(server, third.access_token, required, await proofFor()), 404);
    });

    test('a device: the device code flow approved on the verification page', async (t) => {
      if (!chromiumOrSkip(t) || !browser) return;
      const { server, alice } = setup;
      const config = await discover(server, setup.softphone, oidc.None());
      const dpop = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair('ES256'));
      const started = await oidc.initiateDeviceAuthorization(config, { scope: 'calls:read' });
      assert.match(started.user_code, /^[B-DF-HJ-NP-TV-XZ]{4}-[B-DF-HJ-NP-TV-XZ]{4}$/);

      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(started.verification_uri_complete as string);
      const submit = page.locator('button[type="submit"]').first();
      if (!(await page.locator('#username').count())) await submit.click();
      await loginAndAllow(page, alice);
      await page.waitForLoadState();
      await context.close();

      const tokens = await oidc.pollDeviceAuthorizationGrant(config, { ...started, interval: 1 }, undefined, {
        DPoP: dpop,
      });
      assert.equal(tokens.token_type, 'dpop');
      assert.equal(tokens.scope, 'calls:read');
    });

    test('a service: client credentials, introspection and revocation', async () => {
      const { server, billing } = setup;
      const config = await discover(server, billing.clientId, oidc.ClientSecretBasic(billing.secret));
      const tokens = await oidc.clientCredentialsGrant(config, { scope: 'users:read' });
      assert.equal(tokens.token_type, 'bearer');
      assert.equal(tokens.refresh_token, undefined);
      assert.equal(await check(server, tokens.access_token, USERS_ACL), 204);
      assert.equal(await check(server, tokens.access_token, CALLS_ACL), 403);

      const introspected = await oidc.tokenIntrospection(config, tokens.access_token);
      assert.equal(introspected.active, true);
      assert.equal(introspected.client_id, billing.clientId);
      assert.equal(introspected.scope, 'users:read');

      await oidc.tokenRevocation(config, tokens.access_token);
      assert.equal(await check(server, tokens.access_token, USERS_ACL), 404);
      assert.equal((await oidc.tokenIntrospection(config, tokens.access_token)).active, false);
    });
  });
}
