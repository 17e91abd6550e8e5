import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { describeEachDialect } from '../testing/dialect-suite.ts';
import {
  adminToken,
  basic,
  type CreatedUser,
  createUser,
  JSON_CONTENT_TYPE,
  login,
  request,
} from '../testing/http-client.ts';
import { ADMIN_PASSWORD, ADMIN_USERNAME, startTestServer } from '../testing/test-server.ts';

/**
 * Caps and response headers of issue #5 item 3 (security.md FZ-PROTO, FZ-SCOPE, S-HDR-1, S-XFF-1).
 * Default caps: http.max_scope_length 1024, http.max_scopes_per_check 128.
 */

const PROTO_BODIES = [
  '{"__proto__": {"acl": ["#"], "admin": true}}',
  '{"constructor": {"prototype": {"acl": ["#"], "admin": true}}}',
  '{"\\u005f_proto__": {"acl": ["#"]}}',
  '{"username": "p", "password": "longenough1", "firstname": {"__proto__": {"admin": true}}}',
  '{"scopes": ["a"], "x": [{"constructor": {"prototype": {"admin": true}}}]}',
];

function assertPrototypeClean(): void {
  const probe = {} as Record<string, unknown>;
  assert.equal(probe.acl, undefined, 'Object.prototype.acl was polluted');
  assert.equal(probe.admin, undefined, 'Object.prototype.admin was polluted');
  assert.equal(Object.hasOwn(Object.prototype, 'acl'), false);
}

await describeEachDialect('input caps and response headers', {}, ({ server }) => {
  let token: string;
  let victim: CreatedUser;

  before(async () => {
    token = await adminToken(server());
    victim = await createUser(server(), {}, { token });
  });

  test('FZ-PROTO P6 __proto__ and constructor.prototype in any body get 400; nothing is polluted or granted', async () => {
    const victimToken = (await login(server(), victim.username, victim.password)).token;
    const before = await request(server(), `/token/${victimToken}`);
    const routes: [string, string, Record<string, string>][] = [
      ['POST', '/token', { Authorization: basic(victim.username, victim.password) }],
      ['POST', `/token/${victimToken}/scopes/check`, {}],
      ['POST', '/users', { 'X-Auth-Token': victimToken }],
      ['PUT', `/users/${victim.uuid}`, { 'X-Auth-Token': token }],
      ['POST', '/policies', { 'X-Auth-Token': token }],
    ];
    for (const [method, path, headers] of routes) {
      for (const rawBody of PROTO_BODIES) {
        const result = await request(server(), path, {
          method,
          rawBody,
          headers: { ...JSON_CONTENT_TYPE, ...headers },
        });
        assert.equal(result.status, 400, `${method} ${path} ${rawBody}: ${result.text}`);
        assertPrototypeClean();
      }
    }
    const query = await request(server(), '/users?__proto__[acl]=%23&constructor[prototype][admin]=1', {
      token: victimToken,
    });
    assert.ok(query.status === 400 || query.status === 401, `query pollution: ${query.status}`);
    assertPrototypeClean();
    const after = await request(server(), `/token/${victimToken}`);
    const acl = (result: typeof after) => (result.body as { data: { acl: string[] } }).data.acl;
    assert.deepEqual(acl(after), acl(before), 'the token ACL changed');
    assert.equal((await request(server(), '/users', { token: victimToken })).status, 401);
    const fresh = await login(server(), victim.username, victim.password);
    assert.deepEqual(fresh.acl, acl(before), 'a new login gets more rights');
  });

  test('FZ-SCOPE a scope over http.max_scope_length or more than max_scopes_per_check scopes gets 400', async () => {
    const long = 'a'.repeat(1025);
    for (const method of ['GET', 'HEAD']) {
      const over = await request(server(), `/token/${token}?scope=${long}`, { method });
      assert.equal(over.status, 400, method);
      const atCap = await request(server(), `/token/${token}?scope=${long.slice(1)}`, { method });
      assert.equal(atCap.status, method === 'GET' ? 200 : 204, `${method} at the cap`);
    }
    const legacy = await request(server(), `/token/${token}?scope=${long}`);
    assert.deepEqual((legacy.body as { reason: string[] }).reason, ['Too many or too long scopes']);
    const check = (scopes: unknown[]) =>
      request(server(), `/token/${token}/scopes/check`, { method: 'POST', body: { scopes } });
    assert.equal((await check(Array.from({ length: 129 }, (_, i) => `s${i}`))).status, 400);
    assert.equal((await check(['ok', long])).status, 400);
    const atCap = await check(Array.from({ length: 128 }, (_, i) => `s.${i}`));
    assert.equal(atCap.status, 200);
    assert.equal(Object.keys((atCap.body as { scopes: object }).scopes).length, 128);
  });

  test('FZ-SCOPE metacharacter scopes are data, and a check at the caps takes ≤ 10 ms (fastest of 15)', async (t) => {
    const user = (await login(server(), victim.username, victim.password)).token;
    const nasty = [
      '#',
      '*',
      '.*',
      '(a+)+$',
      'a\nb',
      '!x',
      'me',
      'my_session',
      'a..b',
      `${'a.'.repeat(100)}*`,
    ];
    const result = await request(server(), `/token/${user}/scopes/check`, {
      method: 'POST',
      body: { scopes: nasty },
    });
    assert.equal(result.status, 200, result.text);
    const granted = (result.body as { scopes: Record<string, boolean> }).scopes;
    for (const scope of ['#', '*', '.*', '(a+)+$', 'a..b']) assert.equal(granted[scope], false, scope);
    // At the caps: 128 scopes of 400 characters, against a user holding a 300-entry policy (wazo's
    // largest stock policies have about 100 entries).
    const acl = Array.from({ length: 300 }, (_, i) => `service${i}.*.items.${i}.#`);
    const policy = await request(server(), '/policies', {
      method: 'POST',
      token,
      body: { name: `big-${victim.uuid}`, acl },
    });
    const policyUuid = (policy.body as { uuid: string }).uuid;
    const associated = await request(server(), `/users/${victim.uuid}/policies/${policyUuid}`, {
      method: 'PUT',
      token,
    });
    assert.equal(associated.status, 204, associated.text);
    const holder = (await login(server(), victim.username, victim.password)).token;
    const scopes = Array.from({ length: 128 }, (_, i) => `${'x.'.repeat(200)}${i}`);
    const times: number[] = [];
    for (let run = 0; run < 15; run++) {
      const started = performance.now();
      await server().container.tokenCheck.checkScopes(holder, scopes, undefined);
      times.push(performance.now() - started);
    }
    // The fastest run is the check's own cost; the others add whatever else the shared machine runs.
    const [fastest = Number.POSITIVE_INFINITY] = times.sort((a, b) => a - b);
    t.diagnostic(
      `128 scopes × 300 ACL entries: fastest ${fastest.toFixed(2)} ms, median ${times[7]?.toFixed(2)} ms`,
    );
    assert.ok(fastest <= 10, `scope check at the caps took ${fastest.toFixed(2)} ms`);
  });

  test('S-HDR-1 P11 responses carrying tokens, refresh tokens or sessions have no-store and Pragma: no-cache', async () => {
    const offline = await request(server(), '/token', {
      method: 'POST',
      body: { access_type: 'offline', client_id: 'hdr-client' },
      headers: { Authorization: basic(victim.username, victim.password) },
    });
    assert.equal(offline.status, 200);
    const { token: userToken } = (offline.body as { data: { token: string } }).data;
    const responses = [
      offline,
      await request(server(), `/token/${userToken}`),
      await request(server(), '/users/me/tokens', { token: userToken }),
      await request(server(), `/users/${victim.uuid}/tokens`, { token }),
      await request(server(), '/tokens', { token }),
      await request(server(), '/sessions', { token }),
      await request(server(), `/users/${victim.uuid}/sessions`, { token }),
      await request(server(), '/token', { method: 'POST', body: {} }),
    ];
    for (const response of responses) {
      assert.match(response.headers.get('cache-control') ?? '', /no-store/, response.text.slice(0, 80));
      assert.equal(response.headers.get('pragma'), 'no-cache');
      assert.equal(response.headers.get('x-powered-by'), null);
      assert.match(response.headers.get('content-type') ?? '', /^application\/json; charset=utf-8/);
    }
  });

  test('S-XFF-1 P2 forwarding headers count only from a configured trusted proxy', async () => {
    const forged = {
      'X-Forwarded-For': '1.2.3.4',
      'X-Real-IP': '5.6.7.8',
      Forwarded: 'for=9.9.9.9',
      Authorization: basic(ADMIN_USERNAME, ADMIN_PASSWORD),
    };
    const direct = await request(server(), '/token', { method: 'POST', body: {}, headers: forged });
    assert.equal((direct.body as { data: { remote_addr: string } }).data.remote_addr, '127.0.0.1');
    const behindProxy = await startTestServer(server().dialect, {
      shareDatabaseWith: server(),
      config: { http: { trusted_proxies: ['127.0.0.1'] } },
    });
    try {
      const chain = { ...forged, 'X-Forwarded-For': '6.6.6.6, 1.2.3.4, 127.0.0.1' };
      const proxied = await request(behindProxy, '/token', { method: 'POST', body: {}, headers: chain });
      assert.equal(proxied.status, 200, proxied.text);
      // The last hop that is not a trusted proxy; what the client wrote before it is not believed.
      assert.equal((proxied.body as { data: { remote_addr: string } }).data.remote_addr, '1.2.3.4');
    } finally {
      await behindProxy.close();
    }
  });
});
