import assert from 'node:assert/strict';
import { test } from 'node:test';
import { insertAccessToken } from '../../testing/access-token-fixtures.ts';
import { describeEachDialect } from '../../testing/dialect-suite.ts';
import { dpopProof, newDpopKey } from '../../testing/dpop-fixtures.ts';
import { adminRequest, login } from '../../testing/http-client.ts';
import { newUser, uniqueTag } from '../../testing/test-fixtures.ts';
import type { TestServer } from '../../testing/test-server.ts';

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

async function userinfo(
  server: TestServer,
  headers: Record<string, string> = {},
  options: { method?: string; query?: string } = {},
): Promise<Answer> {
  const response = await fetch(`${server.origin}/oauth2/userinfo${options.query ?? ''}`, {
    method: options.method ?? 'GET',
    headers,
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : {} };
}

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** A user with a full profile and a confirmed main email. */
async function ada(server: TestServer) {
  const tag = uniqueTag();
  const user = await newUser(server, { username: `ada-${tag}`, firstname: 'Ada', lastname: 'Lovelace' });
  const email = `ada-${tag}@example.com`;
  const put = await adminRequest(server, `/admin/users/${user.uuid}/emails`, {
    method: 'PUT',
    body: { emails: [{ address: email, main: true, confirmed: true }] },
  });
  assert.equal(put.status, 200, put.text);
  return { user, email };
}

await describeEachDialect('§8 OpenID Connect UserInfo endpoint (Core §5.3)', {}, ({ server }) => {
  test('openid profile email: sub, names and the confirmed main email; no-store', async () => {
    const s = server();
    const { user, email } = await ada(s);
    const token = await insertAccessToken(s, { userUuid: user.uuid, scope: 'openid profile email' });
    const answer = await userinfo(s, bearer(token));
    assert.equal(answer.status, 200);
    assert.match(String(answer.headers.get('content-type')), /^application\/json/);
    assert.equal(answer.headers.get('cache-control'), 'no-store');
    assert.deepEqual(answer.body, {
      sub: user.uuid,
      preferred_username: user.username,
      given_name: 'Ada',
      family_name: 'Lovelace',
      name: 'Ada Lovelace',
      email,
      email_verified: true,
    });
  });

  test('claims follow the granted scopes: openid alone gives sub; email without profile', async () => {
    const s = server();
    const { user, email } = await ada(s);
    const onlyOpenid = await insertAccessToken(s, { userUuid: user.uuid, scope: 'openid' });
    assert.deepEqual((await userinfo(s, bearer(onlyOpenid))).body, { sub: user.uuid });
    const withEmail = await insertAccessToken(s, { userUuid: user.uuid, scope: 'email openid' });
    assert.deepEqual((await userinfo(s, bearer(withEmail), { method: 'POST' })).body, {
      sub: user.uuid,
      email,
      email_verified: true,
    });
  });

  test('an unconfirmed email is email_verified false; absent names are left out', async () => {
    const s = server();
    const user = await newUser(s, { username: `bare-${uniqueTag()}` });
    const address = `bare-${uniqueTag()}@example.com`;
    await adminRequest(s, `/admin/users/${user.uuid}/emails`, {
      method: 'PUT',
      body: { emails: [{ address, main: true, confirmed: false }] },
    });
    const token = await insertAccessToken(s, { userUuid: user.uuid, scope: 'openid profile email' });
    assert.deepEqual((await userinfo(s, bearer(token))).body, {
      sub: user.uuid,
      preferred_username: user.username,
      email: address,
      email_verified: false,
    });
  });

  test('RFC 6750 §3.1: a token without the openid scope gets 403 insufficient_scope', async () => {
    const s = server();
    const { user } = await ada(s);
    const oauth = await insertAccessToken(s, { userUuid: user.uuid, scope: 'profile email' });
    const refused = await userinfo(s, bearer(oauth));
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error, 'insufficient_scope');
    assert.equal(
      refused.headers.get('www-authenticate'),
      'Bearer error="insufficient_scope", scope="openid"',
    );
    const wazo = await login(s, user.username, user.password);
    assert.equal((await userinfo(s, bearer(wazo.token))).status, 403, 'a wazo token has no OAuth scope');
  });

  test('an unknown, expired or malformed token gets 401 invalid_token', async () => {
    const s = server();
    const { user } = await ada(s);
    const expired = await insertAccessToken(s, { userUuid: user.uuid, scope: 'openid', lifetimeSeconds: -1 });
    for (const token of ['aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee', expired, 'not-a-token']) {
      const answer = await userinfo(s, bearer(token));
      assert.equal(answer.status, 401, token);
      assert.equal(answer.body.error, 'invalid_token');
      assert.equal(answer.headers.get('www-authenticate'), 'Bearer error="invalid_token"');
    }
  });

  test('no credentials: 401 with the Bearer and DPoP challenges; a token in the URL is refused', async () => {
    const s = server();
    const cases: Record<string, string>[] = [
      {},
      { Authorization: 'Basic dXNlcjpwYXNz' },
      { 'X-Auth-Token': 'x' },
    ];
    for (const headers of cases) {
      const answer = await userinfo(s, headers);
      assert.equal(answer.status, 401);
      assert.match(String(answer.headers.get('www-authenticate')), /^Bearer, DPoP algs="[^"]*ES256/);
    }
    const { user } = await ada(s);
    const token = await insertAccessToken(s, { userUuid: user.uuid, scope: 'openid' });
    const inUrl = await userinfo(s, {}, { query: `?access_token=${token}` });
    assert.equal(inUrl.status, 400);
    assert.equal(inUrl.body.error, 'invalid_request');
    assert.equal(
      s.logs.some((line) => line.includes(token)),
      false,
      'the access log shows the token redacted, as wazo-auth does',
    );
  });

  test('RFC 9449 §7: a bound token needs the DPoP scheme and a proof for this request', async () => {
    const s = server();
    const { user } = await ada(s);
    const key = await newDpopKey();
    const token = await insertAccessToken(s, { userUuid: user.uuid, scope: 'openid', dpopJkt: key.jkt });
    const htu = `${s.origin}/oauth2/userinfo`;
    const proof = (htm = 'GET', url = htu) => dpopProof(key, { htm, htu: url, accessToken: token });
    const ok = await userinfo(s, { Authorization: `DPoP ${token}`, DPoP: await proof() });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body, { sub: user.uuid });
    const post = await userinfo(
      s,
      { Authorization: `DPoP ${token}`, DPoP: await proof('POST') },
      { method: 'POST' },
    );
    assert.equal(post.status, 200);

    const asBearer = await userinfo(s, { ...bearer(token), DPoP: await proof() });
    assert.equal(asBearer.status, 401, 'a bound token is no bearer token');
    assert.equal(asBearer.headers.get('www-authenticate'), 'Bearer error="invalid_token"');
    const noProof = await userinfo(s, { Authorization: `DPoP ${token}` });
    assert.equal(noProof.status, 401);
    assert.match(String(noProof.headers.get('www-authenticate')), /^DPoP error="invalid_token", algs="/);
    const wrongUrl = await userinfo(s, {
      Authorization: `DPoP ${token}`,
      DPoP: await proof('GET', `${s.origin}/oauth2/token`),
    });
    assert.equal(wrongUrl.status, 401);
    assert.equal(wrongUrl.body.error, 'invalid_dpop_proof');
    assert.match(String(wrongUrl.headers.get('www-authenticate')), /^DPoP error="invalid_dpop_proof"/);
    const otherKey = await dpopProof(await newDpopKey(), { htm: 'GET', htu, accessToken: token });
    assert.equal((await userinfo(s, { Authorization: `DPoP ${token}`, DPoP: otherKey })).status, 401);
  });

  test('an unbound token presented with the DPoP scheme is refused', async () => {
    const s = server();
    const { user } = await ada(s);
    const token = await insertAccessToken(s, { userUuid: user.uuid, scope: 'openid' });
    const key = await newDpopKey();
    const proof = await dpopProof(key, {
      htm: 'GET',
      htu: `${s.origin}/oauth2/userinfo`,
      accessToken: token,
    });
    const answer = await userinfo(s, { Authorization: `DPoP ${token}`, DPoP: proof });
    assert.equal(answer.status, 401);
    assert.equal(answer.body.error, 'invalid_token');
  });
});
