import assert from 'node:assert/strict';
import { test } from 'node:test';
import { insertAccessToken } from '../../testing/access-token-fixtures.ts';
import { describeEachDialect } from '../../testing/dialect-suite.ts';
import { type DpopKey, dpopProof, newDpopKey } from '../../testing/dpop-fixtures.ts';
import { request } from '../../testing/http-client.ts';
import type { TestServer } from '../../testing/test-server.ts';

/** The request of the client at the resource service, whose proof the service forwards. */
const RS_URL = 'https://rs.example.com/api/calls';

function clientProof(
  key: DpopKey,
  token: string,
  options: { htm?: string; htu?: string; jti?: string } = {},
) {
  return dpopProof(key, {
    htm: options.htm ?? 'GET',
    htu: options.htu ?? RS_URL,
    accessToken: token,
    jti: options.jti,
  });
}

async function check(server: TestServer, token: string, headers: Record<string, string> = {}, query = '') {
  return (await request(server, `/token/${token}${query}`, { method: 'HEAD', headers })).status;
}

/** The log lines Fastify wrote for requests on this token (the fast path writes none). */
function framework(server: TestServer, token: string): number {
  const suffix = token.slice(-8);
  return server.logs.filter((line) => line.includes('"incoming request"') && line.includes(suffix)).length;
}

async function boundToken(server: TestServer, key: DpopKey, acl: string[] = ['calld.#']): Promise<string> {
  return insertAccessToken(server, { scope: 'openid', dpopJkt: key.jkt, acl });
}

await describeEachDialect('§7 RFC 9449 DPoP-bound tokens at the token check', {}, ({ server }) => {
  test('a bound token without a proof is unknown: HEAD 404, GET 404, scopes/check 404', async () => {
    const s = server();
    const token = await boundToken(s, await newDpopKey());
    assert.equal(await check(s, token), 404);
    assert.equal((await request(s, `/token/${token}`)).status, 404);
    const scopes = await request(s, `/token/${token}/scopes/check`, {
      method: 'POST',
      body: { scopes: ['calld.x'] },
    });
    assert.equal(scopes.status, 404);
  });

  test('with a valid proof of its key it is valid (204), and the scope is still checked (403)', async () => {
    const s = server();
    const key = await newDpopKey();
    const token = await boundToken(s, key);
    assert.equal(await check(s, token, { DPoP: await clientProof(key, token) }), 204);
    assert.equal(
      await check(s, token, { DPoP: await clientProof(key, token) }, '?scope=calld.calls.read'),
      204,
    );
    assert.equal(
      await check(s, token, { DPoP: await clientProof(key, token) }, '?scope=confd.users.read'),
      403,
    );
  });

  test('GET shows cnf.jkt for a bound token only; scopes/check accepts a forwarded proof', async () => {
    const s = server();
    const key = await newDpopKey();
    const token = await boundToken(s, key);
    const bound = await request(s, `/token/${token}`, { headers: { DPoP: await clientProof(key, token) } });
    assert.equal(bound.status, 200);
    assert.deepEqual((bound.body as { data: { cnf?: unknown } }).data.cnf, { jkt: key.jkt });
    const unbound = await insertAccessToken(s, { acl: ['calld.#'] });
    const plain = await request(s, `/token/${unbound}`);
    assert.equal('cnf' in (plain.body as { data: object }).data, false, 'wazo tokens read exactly as before');
    const scopes = await request(s, `/token/${token}/scopes/check`, {
      method: 'POST',
      headers: { DPoP: await clientProof(key, token) },
      body: { scopes: ['calld.x', 'confd.y'] },
    });
    assert.equal(scopes.status, 200);
    assert.deepEqual(scopes.body, { scopes: { 'calld.x': true, 'confd.y': false } });
  });

  test('a proof of another key, for another token, or replayed is refused (404)', async () => {
    const s = server();
    const key = await newDpopKey();
    const token = await boundToken(s, key);
    assert.equal(await check(s, token, { DPoP: await clientProof(await newDpopKey(), token) }), 404);
    const other = await boundToken(s, key);
    assert.equal(await check(s, token, { DPoP: await clientProof(key, other) }), 404, 'ath of another token');
    const proof = await clientProof(key, token);
    assert.equal(await check(s, token, { DPoP: proof }), 204);
    assert.equal(await check(s, token, { DPoP: proof }), 404, 'replayed');
    assert.equal(
      await check(s, token, { DPoP: `${proof},${await clientProof(key, token)}` }),
      404,
      'two proofs',
    );
  });

  test('DPoP-Method and DPoP-Url, when forwarded, must match the proof', async () => {
    const s = server();
    const key = await newDpopKey();
    const token = await boundToken(s, key);
    const forwarded = (proof: string, method: string, url: string) => ({
      DPoP: proof,
      'DPoP-Method': method,
      'DPoP-Url': url,
    });
    assert.equal(
      await check(s, token, forwarded(await clientProof(key, token), 'GET', `${RS_URL}?page=2`)),
      204,
    );
    assert.equal(await check(s, token, forwarded(await clientProof(key, token), 'POST', RS_URL)), 404);
    assert.equal(
      await check(
        s,
        token,
        forwarded(await clientProof(key, token), 'GET', 'https://rs.example.com/api/other'),
      ),
      404,
    );
  });

  test('an unbound token ignores a DPoP header, valid or not (unchanged behaviour)', async () => {
    const s = server();
    const token = await insertAccessToken(s, { acl: ['calld.#'] });
    assert.equal(await check(s, token, { DPoP: 'not-a-proof' }), 204);
    assert.equal(await check(s, token, { DPoP: await clientProof(await newDpopKey(), token) }), 204);
    assert.equal(await check(s, token), 204);
    assert.equal(
      s.container.tokenCheck.grantsFromCache(token, 'calld.calls.read'),
      true,
      'cached and granted',
    );
    const before = framework(s, token);
    assert.equal(await check(s, token, { DPoP: 'not-a-proof' }, '?scope=calld.calls.read'), 204);
    assert.equal(framework(s, token), before + 1, 'a request with a DPoP header goes to the full path');
  });

  test('the fast path never answers for a bound token: still 404 without a proof once cached', async () => {
    const s = server();
    const key = await newDpopKey();
    const token = await boundToken(s, key);
    assert.equal(
      await check(s, token, { DPoP: await clientProof(key, token) }, '?scope=calld.calls.read'),
      204,
    );
    const hitsBefore = s.container.cache.stats.hits;
    const before = framework(s, token);
    for (let i = 0; i < 20; i += 1) {
      assert.equal(await check(s, token, {}, '?scope=calld.calls.read'), 404);
      assert.equal(await check(s, token), 404);
    }
    assert.equal(framework(s, token), before + 40, 'every check went through the full path');
    assert.ok(s.container.cache.stats.hits > hitsBefore, 'the answers came from the cached entry');
    assert.equal(s.container.tokenCheck.grantsFromCache(token, 'calld.calls.read'), false);
    assert.equal(
      await check(s, token, { DPoP: await clientProof(key, token) }, '?scope=calld.calls.read'),
      204,
    );
  });

  test('X-Auth-Token: a bound token without a proof gets 401; with a proof of the request, 200', async () => {
    const s = server();
    const key = await newDpopKey();
    const token = await boundToken(s, key, ['auth.#']);
    const path = `/users/${s.adminUuid}`;
    assert.equal((await request(s, path, { token })).status, 401);
    const proofFor = (htu: string, htm = 'GET') => dpopProof(key, { htm, htu, accessToken: token });
    const ok = await request(s, path, { token, headers: { DPoP: await proofFor(`${s.api}${path}`) } });
    assert.equal(ok.status, 200);
    const wrongUrl = await request(s, path, { token, headers: { DPoP: await proofFor(`${s.api}/users`) } });
    assert.equal(wrongUrl.status, 401);
    const wrongMethod = await request(s, path, {
      token,
      headers: { DPoP: await proofFor(`${s.api}${path}`, 'DELETE') },
    });
    assert.equal(wrongMethod.status, 401);
    const unbound = await insertAccessToken(s, { acl: ['auth.#'] });
    assert.equal((await request(s, path, { token: unbound, headers: { DPoP: 'ignored' } })).status, 200);
  });
});
