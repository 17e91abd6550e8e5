import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { describeEachDialect } from '../testing/dialect-suite.ts';
import { adminToken, basic, JSON_CONTENT_TYPE, request } from '../testing/http-client.ts';
import { sendRaw } from '../testing/raw-http.ts';
import { ADMIN_PASSWORD, ADMIN_USERNAME, startTestServer } from '../testing/test-server.ts';
import { inspectJsonText } from './json-depth.ts';

/**
 * Input hardening of issue #5 item 3 (security.md §5.4 and P3, P4, P6, P11, S-HDR-1, S-XFF-1), with
 * the default caps: http.max_header_bytes 16 KiB, json_max_depth 32, max_scope_length 1024,
 * max_scopes_per_check 256. Requests fetch cannot express go over a raw socket.
 */

const host = (origin: string) => new URL(origin).host;
const rawRequest = (origin: string, head: string, body = '') =>
  `${head.replace('{host}', host(origin))}\r\n\r\n${body}`;

function assertApiError(text: string, errorId: string): void {
  const body = JSON.parse(text) as Record<string, unknown>;
  assert.equal(body.error_id, errorId, text);
  assert.equal(typeof body.message, 'string');
}

test('FZ-JSON inspectJsonText counts nesting outside strings only and finds escaped NULs', () => {
  assert.equal(inspectJsonText('{"a":[[1]]}', 3), null);
  assert.equal(inspectJsonText('{"a":[[[1]]]}', 3), 'too-deep');
  assert.equal(inspectJsonText('{"a":"[[[[[[\\"[[[["}', 1), null);
  assert.equal(inspectJsonText('['.repeat(100_000), 32), 'too-deep');
  assert.equal(inspectJsonText('[]'.repeat(10_000), 1), null);
  assert.equal(inspectJsonText('{"a":"x\\u0000y"}', 3), 'nul');
  assert.equal(inspectJsonText('{"a":"x\\\\u0000y"}', 3), null, 'an escaped backslash then u0000 is text');
  assert.equal(inspectJsonText('{"a\\u0000":1}', 3), 'nul');
});

await describeEachDialect('input hardening', {}, ({ server }) => {
  let token: string;

  before(async () => {
    token = await adminToken(server());
  });

  test('FZ-METH P3 a served path with another method gets 405 and Allow; unknown paths stay 404', async () => {
    const cases: [string, string, string][] = [
      ['PATCH', '/token', 'POST'],
      ['GET', '/token', 'POST'],
      ['PUT', '/status', 'GET, HEAD'],
      ['PATCH', `/users/${server().adminUuid}`, 'DELETE, GET, PUT'],
      ['POST', '/users/me/tokens', 'GET'],
      ['PATCH', `/token/${token}`, 'DELETE, GET, HEAD'],
    ];
    for (const [method, path, allow] of cases) {
      const result = await request(server(), path, { method, token });
      assert.equal(result.status, 405, `${method} ${path}: ${result.text}`);
      assert.equal(result.headers.get('allow'), allow, `${method} ${path}`);
      assertApiError(result.text, 'method-not-allowed');
    }
    for (const method of ['TRACE', 'PROPFIND', 'TRACK']) {
      const head = `${method} /0.1/users HTTP/1.1\r\nHost: {host}\r\nConnection: close`;
      const reply = await sendRaw(server().origin, rawRequest(server().origin, head));
      if (method === 'TRACK') {
        assert.equal(reply.status, 400, 'llhttp refuses unknown methods');
        continue;
      }
      assert.equal(reply.status, 405, `${method}: ${reply.raw}`);
      assert.equal(reply.headers.allow, 'GET, POST');
      assert.equal(reply.headers['x-powered-by'], undefined);
    }
    const unknown = await request(server(), '/no-such-thing', { method: 'PATCH' });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.headers.get('allow'), null);
  });

  test('FZ-HDR headers over http.max_header_bytes get a JSON 431 and the connection is closed', async () => {
    const head = `GET /0.1/status HTTP/1.1\r\nHost: {host}\r\nX-Filler: ${'a'.repeat(17_000)}`;
    const reply = await sendRaw(server().origin, rawRequest(server().origin, head));
    assert.equal(reply.status, 431);
    assert.equal(reply.closed, true);
    assertApiError(reply.body, 'header-too-large');
    const url = await sendRaw(server().origin, `GET /0.1/${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    assert.equal(url.status, 431, 'an over-long request line counts against the same limit');
  });

  test('FZ-HDR CR, LF or NUL inside a header value and obsolete folding get a JSON 400, connection closed', async () => {
    const bad = [
      'X-Auth-Token: abc\rdef',
      'X-Auth-Token: abc\0def',
      'X-Note: a\r\n folded continuation',
      'Bad Header Name: x',
    ];
    for (const line of bad) {
      const reply = await sendRaw(server().origin, `GET /0.1/status HTTP/1.1\r\nHost: x\r\n${line}\r\n\r\n`);
      assert.equal(reply.status, 400, JSON.stringify(line));
      assert.equal(reply.closed, true);
      assertApiError(reply.body, 'bad-request');
    }
  });

  test('FZ-HDR a repeated X-Auth-Token, Authorization or Wazo-Tenant gets 400 duplicate-header', async () => {
    const auth = basic(ADMIN_USERNAME, ADMIN_PASSWORD);
    const repeated = [
      `GET /0.1/users HTTP/1.1\r\nX-Auth-Token: ${token}\r\nX-Auth-Token: ${token}`,
      `GET /0.1/users HTTP/1.1\r\nx-auth-token: ${token}\r\nX-AUTH-TOKEN: other`,
      `POST /0.1/token HTTP/1.1\r\nAuthorization: ${auth}\r\nAuthorization: Basic eDp5\r\nContent-Length: 2`,
      `GET /0.1/users HTTP/1.1\r\nX-Auth-Token: ${token}\r\nWazo-Tenant: a\r\nWazo-Tenant: b`,
    ];
    for (const head of repeated) {
      const body = head.includes('Content-Length') ? '{}' : '';
      const full = `${head.replace(' HTTP/1.1', ' HTTP/1.1\r\nHost: x\r\nConnection: close')}\r\n\r\n${body}`;
      const reply = await sendRaw(server().origin, full);
      assert.equal(reply.status, 400, head.split('\r\n')[0]);
      // The token routes answer in wazo's legacy shape, the others in the api shape.
      assert.match(reply.body, /"(duplicate-header|Header sent more than once)"/, reply.body);
      assert.ok(!reply.raw.includes(token), 'the token is echoed');
    }
  });

  test('FZ-SMUG P4 ambiguous framing gets 400 with the connection closed and nothing smuggled through', async () => {
    const smuggled = 'GET /0.1/users HTTP/1.1\r\nHost: x\r\n\r\n';
    const framings = [
      `POST /0.1/token HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${smuggled}`,
      `POST /0.1/token HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n${smuggled}`,
      `POST /0.1/token HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 40\r\n\r\n{}${smuggled}`,
      `POST /0.1/token HTTP/1.1\r\nHost: x\r\nContent-Length: 2, 2\r\n\r\n{}${smuggled}`,
      `POST /0.1/token HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n${smuggled}`,
      `POST /0.1/token HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n${smuggled}`,
      `POST /0.1/token HTTP/1.1\nHost: x\nContent-Length: 2\n\n{}${smuggled}`,
      `POST /0.1/token HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n${smuggled}`,
    ];
    for (const framing of framings) {
      const reply = await sendRaw(server().origin, framing);
      const label = JSON.stringify(framing.slice(0, 90));
      assert.equal(reply.status, 400, `${label}: ${reply.raw.slice(0, 200)}`);
      assert.equal(reply.closed, true, `${label} left the connection open`);
      assert.equal(reply.raw.match(/HTTP\/1\.1 \d{3}/g)?.length, 1, `${label} answered a smuggled request`);
      assertApiError(reply.body, 'bad-request');
    }
  });

  test('FZ-JSON P5 a body nested deeper than http.json_max_depth (32) gets 400 json-too-deep, 10,000 deep included', async () => {
    const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
    const path = `/token/${token}/scopes/check`;
    for (const depth of [32, 10_000]) {
      const rawBody = `{"scopes": [], "x": ${nested(depth)}}`;
      const result = await request(server(), path, { method: 'POST', rawBody, headers: JSON_CONTENT_TYPE });
      assert.equal(result.status, 400, `depth ${depth + 1}`);
      assert.deepEqual((result.body as { reason: string[] }).reason, ['JSON body nested too deeply']);
    }
    const atCap = `{"scopes": ["a"], "x": ${nested(31)}}`;
    const ok = await request(server(), path, { method: 'POST', rawBody: atCap, headers: JSON_CONTENT_TYPE });
    assert.equal(ok.status, 200, `depth 32 is accepted: ${ok.text}`);
  });

  test('FZ-UNI a NUL in a JSON string, in the URL or in Basic credentials gets 400 or 401, never 500', async () => {
    const nulBody = await request(server(), '/users', {
      method: 'POST',
      token,
      rawBody: '{"username": "nul\\u0000user", "password": "long-enough-1"}',
      headers: JSON_CONTENT_TYPE,
    });
    assert.equal(nulBody.status, 400, nulBody.text);
    assertApiError(nulBody.text, 'nul-character');
    for (const path of [
      '/users?search=a%00b',
      '/policies/a%00b',
      `/users/${server().adminUuid}/tokens/a%00b`,
    ]) {
      const result = await request(server(), path, { token });
      assert.equal(result.status, 400, `${path}: ${result.text}`);
    }
    const login = await request(server(), '/token', {
      method: 'POST',
      body: {},
      headers: { Authorization: `Basic ${Buffer.from('ad\0min:pw').toString('base64')}` },
    });
    assert.equal(login.status, 401, login.text);
  });

  test('FZ-METH CONNECT gets a JSON 405; OPTIONS outside a CORS preflight gets 405 with Allow or 404', async () => {
    const connect = await sendRaw(
      server().origin,
      'CONNECT fuzz.local:443 HTTP/1.1\r\nHost: fuzz.local:443\r\n\r\n',
    );
    assert.equal(connect.status, 405);
    assert.equal(connect.closed, true);
    assertApiError(connect.body, 'method-not-allowed');
    const options = await request(server(), '/users', { method: 'OPTIONS' });
    assert.equal(options.status, 405);
    assert.equal(options.headers.get('allow'), 'GET, POST');
    assert.equal((await request(server(), '/nothing', { method: 'OPTIONS' })).status, 404);
    const preflight = await request(server(), '/users', {
      method: 'OPTIONS',
      headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'GET' },
    });
    assert.equal(preflight.status, 204, 'a CORS preflight is still answered');
  });

  test('FZ-HDR an HTTP/1.1 request without Host gets a JSON 400; HTTP/1.0 without Host is served', async () => {
    const noHost = await sendRaw(server().origin, 'GET /0.1/status HTTP/1.1\r\nConnection: close\r\n\r\n');
    assert.equal(noHost.status, 400);
    assertApiError(noHost.body, 'bad-request');
    const old = await sendRaw(server().origin, 'GET /0.1/status HTTP/1.0\r\n\r\n');
    assert.equal(old.status, 200);
  });

  test('FZ-SIZE FZ-HDR http.request_timeout_ms and http.max_header_bytes apply: 408 for a body that never arrives, 431', async () => {
    const slow = await startTestServer(server().dialect, {
      shareDatabaseWith: server(),
      config: { http: { request_timeout_ms: 1000, max_header_bytes: 8192 } },
    });
    try {
      const tenKb = `GET /0.1/status HTTP/1.1\r\nHost: x\r\nX-Filler: ${'a'.repeat(10_000)}\r\nConnection: close\r\n\r\n`;
      assert.equal(
        (await sendRaw(server().origin, tenKb)).status,
        200,
        '10 KB of headers pass the default 16 KiB',
      );
      assert.equal((await sendRaw(slow.origin, tenKb)).status, 431, '10 KB of headers exceed 8 KiB');
      const head =
        'POST /0.1/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100';
      const reply = await sendRaw(slow.origin, `${head}\r\n\r\n{`, 5000);
      assert.equal(reply.status, 408, reply.raw);
      assert.equal(reply.closed, true);
      assertApiError(reply.body, 'request-timeout');
    } finally {
      await slow.close();
    }
  });
});
