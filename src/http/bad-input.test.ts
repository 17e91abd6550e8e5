import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, type TestContext, test } from 'node:test';
import { describeEachDialect } from '../testing/dialect-suite.ts';
import {
  adminToken,
  base64,
  basic,
  type CreatedUser,
  createUser,
  JSON_CONTENT_TYPE,
  login,
} from '../testing/http-client.ts';
import { ADMIN_PASSWORD, ADMIN_USERNAME, type TestServer } from '../testing/test-server.ts';

/**
 * Acceptance of "bad input on every route gets a clear 4xx JSON error, never a 500" (reference §1.1,
 * security.md §5.4 oracle U1–U3). Every case goes through one checker: exact status where the
 * contract fixes it, a JSON body in one of wazo's two error shapes, no stack trace, nothing echoed.
 */

interface Context {
  token: string;
  adminUuid: string;
  victim: CreatedUser;
}

type Expected = number | '4xx' | readonly number[];

interface Case {
  name: string;
  method: string;
  /** Relative to /0.1, sent as is (percent-encodings untouched); absolute when it starts with http. */
  path: string;
  headers?: Record<string, string>;
  /** Raw body bytes; sent as a Buffer so that fetch adds no Content-Type of its own. */
  body?: string | Buffer;
  expect: Expected;
  /** Send the admin X-Auth-Token (default true). */
  auth?: boolean;
  /** Values sent that must never come back. */
  secrets?: string[];
}

interface Reply {
  status: number;
  headers: Headers;
  text: string;
}

const TRACE_PATTERNS = [
  /at .*\.ts:\d+/,
  /\.[cm]?[jt]s:\d+:\d+/,
  /node_modules/,
  /SQLITE_/,
  /\bselect\b.+\bfrom\b/i,
];
const json = (value: unknown) => JSON.stringify(value);

/** A case with the admin token; `more` adds a body, headers or secrets. */
function c(method: string, path: string, name: string, expect: Expected, more: Partial<Case> = {}): Case {
  return { method, path, name, expect, ...more };
}

async function send(server: TestServer, context: Context, c: Case): Promise<Reply> {
  const headers: Record<string, string> = {
    ...(c.auth === false ? {} : { 'X-Auth-Token': context.token }),
    ...(c.headers ?? {}),
  };
  const url = c.path.startsWith('http') ? c.path : `${server.api}${c.path}`;
  const body = c.body === undefined ? undefined : new Uint8Array(Buffer.from(c.body));
  const response = await fetch(url, { method: c.method, headers, body });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

function assertStatus(status: number, expected: Expected): void {
  if (typeof expected === 'number') assert.equal(status, expected);
  else if (expected === '4xx') assert.ok(status >= 400 && status < 500, `status ${status} is not 4xx`);
  else assert.ok(expected.includes(status), `status ${status} not in ${expected.join(', ')}`);
}

/** One of wazo's two error bodies (§1.5), with a readable message. */
function assertErrorShape(body: unknown, status: number): void {
  assert.ok(typeof body === 'object' && body !== null && !Array.isArray(body), 'error body is not an object');
  const fields = body as Record<string, unknown>;
  if ('reason' in fields) {
    const reason = fields.reason;
    assert.ok(Array.isArray(reason) && reason.length > 0, 'reason is not a non-empty array');
    for (const item of reason)
      assert.ok(typeof item === 'string' && item.length > 0, 'reason holds a non-string');
    assert.ok(Array.isArray(fields.timestamp), 'legacy timestamp is not an array');
    assert.equal(fields.status_code, status);
  } else {
    assert.ok(typeof fields.message === 'string' && fields.message.length > 0, 'message missing');
    assert.ok(typeof fields.error_id === 'string' && fields.error_id.length > 0, 'error_id missing');
    assert.ok(typeof fields.details === 'object' && fields.details !== null, 'details missing');
    assert.equal(typeof fields.timestamp, 'number');
  }
}

function assertClean(reply: Reply, c: Case, secrets: readonly string[]): void {
  assertStatus(reply.status, c.expect);
  assert.equal(reply.headers.get('x-powered-by'), null, 'X-Powered-By present');
  const lower = reply.text.toLowerCase();
  for (const secret of [...secrets, ...(c.secrets ?? [])]) {
    assert.ok(!lower.includes(secret.toLowerCase()), `response echoes ${secret.slice(0, 40)}: ${reply.text}`);
  }
  for (const pattern of TRACE_PATTERNS) assert.doesNotMatch(reply.text, pattern);
  if (c.method === 'HEAD' || reply.status === 204) {
    assert.equal(reply.text, '');
    return;
  }
  assert.match(reply.headers.get('content-type') ?? '', /^application\/json\b/);
  let body: unknown;
  assert.doesNotThrow(
    () => {
      body = JSON.parse(reply.text);
    },
    `body is not JSON: ${reply.text.slice(0, 200)}`,
  );
  if (reply.status >= 400) assertErrorShape(body, reply.status);
}

async function runCases(t: TestContext, server: TestServer, context: Context, cases: Case[]): Promise<void> {
  const secrets = [
    context.token,
    ADMIN_PASSWORD,
    base64(`${ADMIN_USERNAME}:${ADMIN_PASSWORD}`),
    context.victim.password,
  ];
  for (const c of cases) {
    const label = `${c.method} ${c.path.length > 90 ? `${c.path.slice(0, 90)}…` : c.path}: ${c.name}`;
    await t.test(label, async () => assertClean(await send(server, context, c), c, secrets));
  }
}

/** The five routes that read a JSON body; `onNull` is what a literal `null` (read as `{}`) gives. */
function bodyRoutes(context: Context) {
  const victim = context.victim.uuid;
  return [
    { method: 'POST', path: '/token', auth: false, onNull: 401 },
    { method: 'POST', path: `/token/${context.token}/scopes/check`, auth: false, onNull: 400 },
    { method: 'POST', path: '/users', auth: true, onNull: 200 },
    { method: 'PUT', path: `/users/${victim}`, auth: true, onNull: 200 },
    { method: 'PUT', path: `/users/${victim}/password`, auth: true, onNull: 400 },
  ] as const;
}

const MALFORMED: [string, string | Buffer][] = [
  ['invalid JSON', '{'],
  ['truncated JSON', '{"scopes": ['],
  ['trailing comma', '{"a": 1,}'],
  ['single quotes', "{'a': 1}"],
  ['NaN literal', '{"expiration": NaN}'],
  ['top-level array', '[]'],
  ['array of objects', '[{}]'],
  ['top-level number', '123'],
  ['top-level string', '"str"'],
  ['top-level true', 'true'],
  ['10,000-deep array', `${'['.repeat(10_000)}${']'.repeat(10_000)}`],
  ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])],
];

await describeEachDialect('bad input on every route', {}, ({ server }) => {
  let context: Context;

  before(async () => {
    const token = await adminToken(server());
    context = { token, adminUuid: server().adminUuid, victim: await createUser(server(), {}, { token }) };
  });

  test('A5 FZ-JSON malformed, non-object and empty bodies get a 400 JSON error on every body route', async (t) => {
    const cases: Case[] = [];
    for (const { method, path, auth, onNull } of bodyRoutes(context)) {
      const raw = (
        name: string,
        body: string | Buffer | undefined,
        expect: number,
        headers: Record<string, string> = JSON_CONTENT_TYPE,
      ) => cases.push(c(method, path, name, expect, { auth, body, headers }));
      for (const [name, body] of MALFORMED) raw(name, body, 400);
      raw('null reads as {}', 'null', onNull);
      raw('empty body, JSON type', '', 400);
      raw('blank body, JSON type', ' \n\t ', 400);
      raw('no body, no Content-Type', undefined, 400, {});
    }
    await runCases(t, server(), context, cases);
  });

  test('FZ-SIZE a body over http.body_limit_bytes (64 KiB) gets 413 on every body route', async (t) => {
    const big = json({ username: 'a'.repeat(70_000), scopes: ['x'], old_password: 'a', new_password: 'b' });
    const cases = bodyRoutes(context).map((r) => c(r.method, r.path, '70 KB body', 413, { ...r, body: big }));
    cases.push(c('POST', '/users', '1 MiB body, no Content-Type', 413, { body: 'x'.repeat(1 << 20) }));
    await runCases(t, server(), context, cases);
  });

  test('FZ-CT D9 a non-JSON Content-Type gets 415; a missing or JSON Content-Type is parsed', async (t) => {
    const types = ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x'];
    const cases = bodyRoutes(context).flatMap((r) =>
      types.map((type) =>
        c(r.method, r.path, type, 415, { auth: r.auth, body: '{}', headers: { 'Content-Type': type } }),
      ),
    );
    // An invalid POST /token body proves it was read as JSON: 400 with the field named, not 415.
    const tokenCase = (name: string, headers: Record<string, string>) =>
      c('POST', '/token', name, 400, { auth: false, body: json({ expiration: 'nope' }), headers });
    cases.push(
      tokenCase('no Content-Type is parsed as JSON', {}),
      tokenCase('charset parameter', { 'Content-Type': 'application/json; charset=utf-8' }),
      tokenCase('upper-case type', { 'Content-Type': 'APPLICATION/JSON' }),
      tokenCase('structured +json type', { 'Content-Type': 'application/merge-patch+json' }),
    );
    await runCases(t, server(), context, cases);
    const parsed = await send(server(), context, tokenCase('', {}));
    assert.match(parsed.text, /expiration/, 'a body without Content-Type was not read as JSON');
  });

  test('A6 B25 C52 D62 FZ-TYPE wrong field types get 400 without echoing what was sent', async (t) => {
    const pw = `bad-input-pw-${randomUUID()}`;
    const rt = randomUUID();
    const { victim, token } = context;
    const old = victim.password;
    const scopes1001 = json(Array.from({ length: 1001 }, (_, i) => `s${i}`));
    // One raw JSON body per line, per route.
    const tables: [string, string, boolean, string][] = [
      [
        'POST',
        '/token',
        false,
        `{"expiration": "abc"}
        {"expiration": true}
        {"expiration": -1}
        {"expiration": 1e12}
        {"expiration": null}
        {"access_type": 5}
        {"access_type": "OFFLINE"}
        {"client_id": []}
        {"client_id": ""}
        {"client_id": "${'x'.repeat(1025)}"}
        {"access_type": "offline"}
        {"refresh_token": "${rt}"}
        {"refresh_token": "${rt}", "access_type": "offline", "client_id": "c"}
        {"tenant_id": "a", "domain_name": "b"}
        {"backend": 7}`,
      ],
      [
        'POST',
        `/token/${token}/scopes/check`,
        false,
        `{}
        {"scopes": "x"}
        {"scopes": [1]}
        {"scopes": [null]}
        {"scopes": {}}
        {"scopes": null}
        {"scopes": [], "tenant_uuid": 5}
        {"scopes": ${scopes1001}}
        {"scopes": ["${'a'.repeat(5000)}"]}`,
      ],
      [
        'POST',
        '/users',
        true,
        `{"username": 5, "password": "${pw}"}
        {"username": "", "password": "${pw}"}
        {"username": "${'x'.repeat(257)}", "password": "${pw}"}
        {"username": "u", "password": 123}
        {"username": "u", "password": ""}
        {"username": "u", "password": ["${pw}"]}
        {"enabled": "yes", "password": "${pw}"}
        {"purpose": "root", "password": "${pw}"}
        {"uuid": "not-a-uuid", "password": "${pw}"}
        {"email_address": "not-an-email", "password": "${pw}"}
        {"authentication_method": "magic", "password": "${pw}"}
        {"firstname": {}, "password": "${pw}"}`,
      ],
      [
        'PUT',
        `/users/${victim.uuid}`,
        true,
        `{"enabled": "no"}
        {"username": 7}
        {"purpose": 1}
        {"authentication_method": null}
        {"lastname": []}`,
      ],
      [
        'PUT',
        `/users/${victim.uuid}/password`,
        true,
        `{"old_password": "${old}"}
        {"new_password": "${pw}"}
        {"old_password": 1, "new_password": 2}
        {"old_password": "", "new_password": "${pw}"}
        {"old_password": "${old}", "new_password": ""}
        {"old_password": "${old}", "new_password": ["${pw}"]}
        {"old_password": null, "new_password": "${pw}"}`,
      ],
    ];
    const cases: Case[] = [];
    for (const [method, path, auth, lines] of tables) {
      // POST /token also carries the admin's valid Basic credentials: the body alone must cause the 400.
      const headers = auth
        ? JSON_CONTENT_TYPE
        : { ...JSON_CONTENT_TYPE, Authorization: basic(ADMIN_USERNAME, ADMIN_PASSWORD) };
      for (const body of lines.split('\n').map((line) => line.trim())) {
        const name = body.length > 70 ? `${body.slice(0, 70)}…` : body;
        cases.push(c(method, path, name, 400, { auth, headers, body, secrets: [pw, rt] }));
      }
    }
    await runCases(t, server(), context, cases);
  });

  test('C45 FZ-PATH non-UUID, over-long and percent-encoded path segments get a 4xx JSON error', async (t) => {
    const { token, adminUuid } = context;
    const long = 'a'.repeat(300);
    const tokenLong = `${token}${'f'.repeat(264)}`;
    const scopes = { body: json({ scopes: ['a'] }), headers: JSON_CONTENT_TYPE };
    const cases: Case[] = [
      c('GET', '/token/abcdef', 'malformed token', 404),
      c('HEAD', '/token/abcdef', 'malformed token', 404),
      c('DELETE', '/token/abcdef', 'unknown token is still a success (wazo)', 200),
      c('POST', '/token/abcdef/scopes/check', 'malformed token', 404, scopes),
      c('GET', `/token/${long}`, '300 characters', 404),
      c('GET', `/token/${tokenLong}`, 'real token + 264 characters', 404),
      c('HEAD', `/token/${tokenLong}`, 'real token + 264 characters', 404),
      c('POST', `/token/${tokenLong}/scopes/check`, 'real token + 264 characters', 404, scopes),
      c('DELETE', `/token/${long}`, '300 characters', [200, 404]),
      c('GET', `/token/%7B${randomUUID()}%7D`, 'UUID in braces', 404),
      c('DELETE', `/users/${adminUuid}/tokens/${long}`, '300-character client_id', 404),
    ];
    for (const bad of ['not-a-uuid', long]) {
      const name = bad === long ? '300-character segment' : 'non-UUID segment';
      const put = (body: unknown) => ({ body: json(body), headers: JSON_CONTENT_TYPE });
      cases.push(
        c('GET', `/users/${bad}`, name, 404),
        c('PUT', `/users/${bad}`, name, 404, put({})),
        c('DELETE', `/users/${bad}`, name, 404),
        c('PUT', `/users/${bad}/password`, name, 404, put({ old_password: 'a', new_password: 'b' })),
        c('GET', `/users/${bad}/tokens`, name, 404),
        c('DELETE', `/users/${bad}/tokens/some-client`, name, 404),
        c('GET', `/users/${bad}/sessions`, name, 404),
        c('DELETE', `/users/${bad}/sessions/${randomUUID()}`, name, 404),
        c('DELETE', `/users/${adminUuid}/sessions/${bad}`, name, 404),
        c('DELETE', `/sessions/${bad}`, name, 404),
      );
    }
    // One "METHOD path" per entry; the percent sequences are sent undecoded.
    const junk = `GET /token/%00 | HEAD /token/%00 | GET /token/%ff | HEAD /token/%ff | GET /token/% | GET /token/%zz
      | GET /token/..%2f | GET /token/..%2f..%2fstatus | GET /token/${token}%ff | GET /token/${token}%00
      | GET /users/%00 | GET /users/%ff | GET /users/..%2f..%2fbackends | GET /users/%ff/sessions
      | GET /users/%c0%af/tokens | DELETE /sessions/%ff | DELETE /users/${adminUuid}/tokens/%ff
      | DELETE /users/${adminUuid}/sessions/%00`;
    for (const entry of junk.split('|')) {
      const [method = '', path = ''] = entry.trim().split(' ');
      cases.push(c(method, path, 'percent-encoded junk', '4xx'));
    }
    await runCases(t, server(), context, cases);
  });

  test('B36 B39 FZ-SQL bad list parameters get 400', async (t) => {
    const { token, adminUuid } = context;
    const lists = ['/users', '/tokens', '/sessions', '/users/me/tokens'];
    lists.push(`/users/${adminUuid}/tokens`, `/users/${adminUuid}/sessions`);
    const bad =
      'limit=-1 limit=abc limit=1.5 offset=-1 offset=1e99 direction=sideways order=password recurse=maybe';
    const queries = [...bad.split(' '), 'limit=1&limit=2'];
    const cases = lists.flatMap((list) => queries.map((query) => c('GET', `${list}?${query}`, query, 400)));
    cases.push(
      c('GET', '/tokens?mobile=perhaps', 'non-boolean filter', 400),
      c('GET', '/users?search=%27%20OR%201%3D1--', 'SQL in search is data', 200),
      c('GET', '/users?username=%27%3B%20DROP%20TABLE%20auth_user', 'SQL in a filter is data', 200),
      c('GET', `/token/${token}?scope=${'a'.repeat(5000)}`, 'scope over the cap', '4xx'),
      c('GET', `/token/${token}?tenant=not-a-uuid`, 'non-UUID tenant (wazo: 403)', 403),
    );
    await runCases(t, server(), context, cases);
  });

  test('A3 FZ-BASIC invalid Basic headers, invalid base64 included, give 401 and never 500', async (t) => {
    const good = base64(`${ADMIN_USERNAME}:${ADMIN_PASSWORD}`);
    const headers = [
      'Basic !!!',
      'Basic',
      'Basic ',
      `Basic ${good}!!`,
      `Basic !${good}`,
      `Basic ${good}===`,
      `Basic ${good.slice(0, 5)}=${good.slice(5)}`,
      `Basic ${good.slice(0, -2)}a=`,
      `Basic ${base64('admin')}`,
      `Basic ${base64(`${ADMIN_USERNAME}:`)}`,
      `Basic ${base64(`:${ADMIN_PASSWORD}`)}`,
      `Basic ${good} ${good}`,
      `Bearer ${context.token}`,
      `Digest ${good}`,
      `Basic ${base64(`${ADMIN_USERNAME}:${'x'.repeat(10_000)}`)}`,
      `Basic ${'A'.repeat(12_000)}`,
    ];
    const cases = headers.map((authorization) => {
      const name = authorization.length > 60 ? `${authorization.slice(0, 60)}…` : authorization;
      const expect = authorization.length > 10_000 ? [401, 431] : 401;
      const sent = { ...JSON_CONTENT_TYPE, Authorization: authorization };
      const more = { auth: false, body: '{}', headers: sent };
      return c('POST', '/token', name, expect, { ...more, secrets: [good] });
    });
    await runCases(t, server(), context, cases);
  });

  test('FZ-HDR a bad X-Auth-Token or Wazo-Tenant gives 401', async (t) => {
    const anonymous = (name: string, value?: string) =>
      c('GET', '/users', name, 401, {
        auth: false,
        headers: value === undefined ? {} : { 'X-Auth-Token': value },
      });
    const tenant = (name: string, value: string) =>
      c('GET', '/users', name, 401, { headers: { 'Wazo-Tenant': value } });
    const cases = [
      anonymous('no token'),
      anonymous('garbage token', 'garbage'),
      anonymous('5000-character token', 'x'.repeat(5000)),
      anonymous('unknown token', randomUUID()),
      tenant('non-UUID tenant', 'nope'),
      tenant('unknown tenant', randomUUID()),
      tenant('over-long tenant', `${server().topTenantUuid}${'a'.repeat(300)}`),
    ];
    await runCases(t, server(), context, cases);
  });

  test('S-HDR-1 unknown paths get a 404 JSON error; no response carries X-Powered-By', async (t) => {
    const { origin } = server();
    const cases = [
      c('GET', '/no-such-route', 'unknown path', 404),
      c('HEAD', '/no-such-route', 'unknown path', 404),
      c('POST', '/no/such/route', 'unknown path', 404, { body: '{}', headers: JSON_CONTENT_TYPE }),
      c('GET', `${origin}/nothing-here`, 'outside the prefix', 404),
      c('GET', `${origin}/0.2/token`, 'other API version', 404),
      c('GET', '/status', 'GET /status', 200),
      c('HEAD', '/status', 'HEAD /status', 200),
      c('GET', '/backends', 'GET /backends', 200),
      c('GET', '/users?limit=1', 'a successful list', 200),
    ];
    await runCases(t, server(), context, cases);
    const ok = await fetch(`${server().api}/token`, {
      method: 'POST',
      headers: { ...JSON_CONTENT_TYPE, Authorization: basic(ADMIN_USERNAME, ADMIN_PASSWORD) },
      body: '{}',
    });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('x-powered-by'), null);
  });

  test('U5 after all the bad input the process is healthy: HEAD /status 200 and the admin can log in', async () => {
    const status = await fetch(`${server().api}/status`, { method: 'HEAD' });
    assert.equal(status.status, 200);
    const data = await login(server(), ADMIN_USERNAME, ADMIN_PASSWORD);
    assert.match(data.token, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const check = await fetch(`${server().api}/token/${context.token}`, { method: 'HEAD' });
    assert.equal(check.status, 204, 'the token issued before the bad input no longer validates');
  });
});
