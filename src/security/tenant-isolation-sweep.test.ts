import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { describeEachDialect } from '../testing/dialect-suite.ts';
import { type HttpResult, login, postRefreshToken, request } from '../testing/http-client.ts';
import { assertApiError, assertLegacyError } from '../testing/test-fixtures.ts';
import { type BodySchema, buildWorld, snapshot, validBody, type World } from './tenant-sweep-world.ts';

/**
 * S-TEN-1 (security.md §5.5): the route table is read from the running server's OpenAPI document;
 * every operation whose path names an object is called by the admin of tenant B (ACL `#` within B)
 * with the objects of its sibling tenant A, and must answer 404 — except the wazo behaviours listed
 * in EXCEPTIONS. Afterwards every object of A is unchanged.
 */

interface Operation {
  requestBody?: { content?: { 'application/json'?: { schema?: BodySchema } } };
  responses?: Record<string, { content?: { 'application/json'?: { schema?: BodySchema } } }>;
  parameters?: { name: string; in: string }[];
}
type OpenApi = { paths: Record<string, Record<string, Operation>> };

/**
 * Documented operations that do not answer 404 to a foreign tenant, and why. A key listed here is
 * still called (except where said) and its actual answer is asserted in its own case.
 */
const EXCEPTIONS: Record<string, string> = {
  'GET /token/{token}':
    'bearer route (wazo §2.1): the token in the path is the credential, X-Auth-Token is ignored; only ' +
    '`?tenant=` is checked, so a foreign tenant there gets 403 "Unauthorized for tenant"',
  'HEAD /token/{token}':
    'bearer route, as GET /token/{token}: a foreign `?tenant=` gets 403 (no body on HEAD)',
  'POST /token/{token}/scopes/check':
    'bearer route (wazo §2.1); a foreign `tenant_uuid` in the body gets 403 "Unauthorized for tenant"',
  'DELETE /token/{token}':
    'bearer route: whoever holds a token value may revoke it (wazo §2.1, D14); NOT called, it would end A',
  'DELETE /sessions/{session_uuid}':
    'wazo answers 204 for unknown or out-of-scope sessions (§2.9); the session must survive',
  'DELETE /users/{user_uuid}/sessions/{session_uuid}':
    'with a visible user and a foreign session wazo answers 204 (§2.9); the session must survive ' +
    '(a foreign user is still 404)',
};
const NOT_CALLED = new Set(['DELETE /token/{token}']);

interface Case {
  method: string;
  route: string;
  params: Record<string, string>;
  query?: string;
  body?: unknown;
  /** 404 unless the route is in EXCEPTIONS. */
  expect: number | ((result: HttpResult) => void);
}

function sweepCases(w: World): Case[] {
  const { a, b } = w;
  const nf = (method: string, route: string, params: Record<string, string>, body?: unknown): Case => ({
    method,
    route,
    params,
    expect: 404,
    ...(body === undefined ? {} : { body }),
  });
  const u = { user_uuid: a.user.uuid };
  const g = { group_uuid: a.group };
  const t = { tenant_uuid: a.tenant };
  const policies = [a.policy.uuid, a.policy.slug, a.sharedPolicy.uuid, a.sharedPolicy.slug];
  const refused = (result: HttpResult) =>
    assertLegacyError(result, 403, `Unauthorized for tenant ${b.tenant}`);
  return [
    {
      method: 'GET',
      route: '/token/{token}',
      params: { token: a.token },
      query: `tenant=${b.tenant}`,
      expect: refused,
    },
    {
      method: 'HEAD',
      route: '/token/{token}',
      params: { token: a.token },
      query: `tenant=${b.tenant}`,
      expect: (result) => assert.equal(result.status, 403, result.text),
    },
    {
      method: 'POST',
      route: '/token/{token}/scopes/check',
      params: { token: a.token },
      body: { scopes: ['sweep.scope'], tenant_uuid: b.tenant },
      expect: refused,
    },
    nf('GET', '/users/{user_uuid}/tokens', u),
    nf('DELETE', '/users/{user_uuid}/tokens/{client_id}', { ...u, client_id: a.clientId }),
    nf('DELETE', '/users/{user_uuid}/tokens/{client_id}', { user_uuid: b.user.uuid, client_id: a.clientId }),
    nf('DELETE', '/users/me/tokens/{client_id}', { client_id: a.clientId }),
    { method: 'DELETE', route: '/sessions/{session_uuid}', params: { session_uuid: a.session }, expect: 204 },
    nf('GET', '/users/{user_uuid}/sessions', u),
    nf('DELETE', '/users/{user_uuid}/sessions/{session_uuid}', { ...u, session_uuid: a.session }),
    nf('DELETE', '/users/{user_uuid}/sessions/{session_uuid}', { ...u, session_uuid: b.session }),
    {
      method: 'DELETE',
      route: '/users/{user_uuid}/sessions/{session_uuid}',
      params: { user_uuid: b.user.uuid, session_uuid: a.session },
      expect: 204,
    },
    nf('GET', '/users/{user_uuid}', u),
    nf('PUT', '/users/{user_uuid}', u),
    nf('DELETE', '/users/{user_uuid}', u),
    // wazo has no tenant check here (§2.2); Gatehouse answers 404 like everywhere else.
    nf('PUT', '/users/{user_uuid}/password', u, {
      old_password: 'not-the-password',
      new_password: 'sweep-new-password',
    }),
    nf('GET', '/tenants/{tenant_uuid}', t),
    nf('PUT', '/tenants/{tenant_uuid}', t),
    nf('DELETE', '/tenants/{tenant_uuid}', t),
    nf('GET', '/tenants/{tenant_uuid}/domains', t),
    nf('PUT', '/tenants/{tenant_uuid}/parent/{parent_tenant_uuid}', { ...t, parent_tenant_uuid: b.tenant }),
    nf('PUT', '/tenants/{tenant_uuid}/parent/{parent_tenant_uuid}', {
      tenant_uuid: b.tenant,
      parent_tenant_uuid: a.tenant,
    }),
    nf('GET', '/groups/{group_uuid}', g),
    nf('PUT', '/groups/{group_uuid}', g),
    nf('DELETE', '/groups/{group_uuid}', g),
    nf('GET', '/groups/{group_uuid}/users', g),
    ...['PUT', 'DELETE'].flatMap((m) => [
      nf(m, '/groups/{group_uuid}/users/{user_uuid}', { ...g, ...u }),
      nf(m, '/groups/{group_uuid}/users/{user_uuid}', { ...g, user_uuid: b.user.uuid }),
      nf(m, '/groups/{group_uuid}/users/{user_uuid}', { group_uuid: b.group, ...u }),
    ]),
    nf('GET', '/users/{user_uuid}/groups', u),
    ...policies.flatMap((p) => [
      nf('GET', '/policies/{policy_uuid}', { policy_uuid: p }),
      nf('PUT', '/policies/{policy_uuid}', { policy_uuid: p }),
      nf('DELETE', '/policies/{policy_uuid}', { policy_uuid: p }),
      nf('PUT', '/policies/{policy_uuid}/acl/{access}', { policy_uuid: p, access: 'sweep.added' }),
      nf('DELETE', '/policies/{policy_uuid}/acl/{access}', { policy_uuid: p, access: 'sweep.shared.read' }),
    ]),
    nf('GET', '/groups/{group_uuid}/policies', g),
    nf('GET', '/users/{user_uuid}/policies', u),
    ...['PUT', 'DELETE'].flatMap((m) => [
      nf(m, '/groups/{group_uuid}/policies/{policy_uuid}', { ...g, policy_uuid: a.policy.uuid }),
      nf(m, '/groups/{group_uuid}/policies/{policy_uuid}', { ...g, policy_uuid: b.policy.uuid }),
      ...policies.map((p) =>
        nf(m, '/groups/{group_uuid}/policies/{policy_uuid}', { group_uuid: b.group, policy_uuid: p }),
      ),
      nf(m, '/users/{user_uuid}/policies/{policy_uuid}', { ...u, policy_uuid: a.policy.uuid }),
      nf(m, '/users/{user_uuid}/policies/{policy_uuid}', { ...u, policy_uuid: b.policy.uuid }),
      ...policies.map((p) =>
        nf(m, '/users/{user_uuid}/policies/{policy_uuid}', { user_uuid: b.user.uuid, policy_uuid: p }),
      ),
    ]),
    nf('PUT', '/users/{user_uuid}/emails', u),
    nf('PUT', '/admin/users/{user_uuid}/emails', u),
    nf('GET', '/users/{user_uuid}/emails/{email_uuid}/confirm', { ...u, email_uuid: a.emailUnconfirmed }),
    nf('GET', '/users/{user_uuid}/emails/{email_uuid}/confirm', {
      user_uuid: b.user.uuid,
      email_uuid: a.emailUnconfirmed,
    }),
    nf('PUT', '/emails/{email_uuid}/confirm', { email_uuid: a.emailUnconfirmed }),
    nf('GET', '/emails/{email_uuid}/confirm', { email_uuid: a.emailUnconfirmed }),
    ...oauthCases(a),
  ];
}

/** The OAuth admin API (issue #6): A's client and scope, by uuid. */
function oauthCases(a: World['a']): Case[] {
  const client = { client_uuid: a.oauthClient.uuid };
  const scope = { scope_uuid: a.oauthScope };
  const nf = (method: string, route: string, params: Record<string, string>, body?: unknown): Case => ({
    method,
    route,
    params,
    expect: 404,
    ...(body === undefined ? {} : { body }),
  });
  return [
    nf('GET', '/oauth/clients/{client_uuid}', client),
    nf('PUT', '/oauth/clients/{client_uuid}', client, {
      name: 'taken over',
      grant_types: ['client_credentials'],
    }),
    nf('POST', '/oauth/clients/{client_uuid}/secret', client),
    nf('DELETE', '/oauth/clients/{client_uuid}', client),
    nf('GET', '/oauth/scopes/{scope_uuid}', scope),
    nf('PUT', '/oauth/scopes/{scope_uuid}', scope, { acl: ['sweep.taken.over'] }),
    nf('DELETE', '/oauth/scopes/{scope_uuid}', scope),
  ];
}

const keyOf = (c: { method: string; route: string }) => `${c.method} ${c.route}`;
const ORDER = ['GET', 'HEAD', 'POST', 'PATCH', 'PUT', 'DELETE'];
/** Reads first, then writes, then deletes, tenants last: a wrongful delete must not mask later calls. */
function rank(c: Case): number {
  return ORDER.indexOf(c.method) * 2 + (c.route.startsWith('/tenants') ? 1 : 0);
}

/** Documented operations (METHOD /path) whose path names an object. */
function idRoutes(doc: OpenApi): string[] {
  return Object.entries(doc.paths)
    .filter(([path]) => path.includes('{'))
    .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
    .sort();
}

function pathOf(c: Case): string {
  const path = c.route.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = c.params[name];
    if (value === undefined) throw new Error(`${keyOf(c)}: no value for {${name}}`);
    return encodeURIComponent(value);
  });
  return c.query ? `${path}?${c.query}` : path;
}

const NOT_FOUND_IDS = new Set([
  'unknown-user',
  'unknown-tenant',
  'unknown-group',
  'unknown-email',
  'cannot-find-refresh-token-matching-client-id',
  'unknown-oauth-client',
  'unknown-oauth-scope',
]);

/** A 404 from a handler that looked the object up, not the router's (which would mean a wrong path). */
function assertObjectNotFound(result: HttpResult, label: string): void {
  assert.equal(result.status, 404, `${label}: ${result.text}`);
  const body = result.body as { error_id?: string; reason?: string[] };
  const handled = NOT_FOUND_IDS.has(body.error_id ?? '') || body.reason?.[0]?.startsWith('No such policy');
  assert.ok(handled, `${label}: not an object lookup 404: ${result.text}`);
}

function bodyFor(doc: OpenApi, c: Case): unknown {
  if (c.body !== undefined) return c.body;
  const schema =
    doc.paths[c.route]?.[c.method.toLowerCase()]?.requestBody?.content?.['application/json']?.schema;
  return schema ? validBody(schema) : undefined;
}

await describeEachDialect('tenant isolation sweep', {}, ({ server }) => {
  let world: World;
  let doc: OpenApi;
  before(async () => {
    world = await buildWorld(server());
    doc = server().app.swagger() as unknown as OpenApi;
  });

  test('S-TEN-1 the sweep covers every documented route taking an object id, and nothing else', () => {
    const cases = sweepCases(world);
    const swept = new Set([...cases.map(keyOf), ...NOT_CALLED]);
    assert.deepEqual(
      [...swept].sort(),
      idRoutes(doc),
      'add a case (or a documented exception) for new routes',
    );
    const excepted = cases.filter((c) => c.expect !== 404).map(keyOf);
    assert.deepEqual([...new Set([...excepted, ...NOT_CALLED])].sort(), Object.keys(EXCEPTIONS).sort());
  });

  test('S-TEN-1 every route taking an id answers 404 to a sibling tenant admin and changes nothing', async () => {
    const s = server();
    const before = await snapshot(s, world);
    const cases = [...sweepCases(world)].sort((x, y) => rank(x) - rank(y));
    for (const c of cases) {
      const label = `${c.method} ${pathOf(c)}`;
      const body = bodyFor(doc, c);
      const result = await request(s, pathOf(c), { method: c.method, token: world.b.adminToken, body });
      if (c.expect === 404) assertObjectNotFound(result, label);
      else if (typeof c.expect === 'number')
        assert.equal(result.status, c.expect, `${label}: ${result.text}`);
      else c.expect(result);
    }
    assert.deepEqual(await snapshot(s, world), before);
  });

  test('S-TEN-1 Wazo-Tenant naming the foreign tenant is refused on every authenticated id route', async () => {
    const s = server();
    const before = await snapshot(s, world);
    for (const c of sweepCases(world).filter((x) => !x.route.startsWith('/token/'))) {
      const result = await request(s, pathOf(c), {
        method: c.method,
        token: world.b.adminToken,
        tenant: world.a.tenant,
        body: bodyFor(doc, c),
      });
      assertApiError(result, 401, 'unauthorized-tenant');
    }
    assert.deepEqual(await snapshot(s, world), before);
  });

  test('S-TEN-1 after the sweep A still works: its password, session and refresh token are intact', async () => {
    const { a } = world;
    assert.equal((await request(server(), `/token/${a.token}`)).status, 200);
    const refreshed = await postRefreshToken(server(), a.refreshToken, a.clientId);
    assert.equal(refreshed.status, 200, refreshed.text);
    await login(server(), a.user.username, a.user.password);
    const emails = (await request(server(), `/users/${a.user.uuid}`, { token: world.top })).body as {
      emails: { uuid: string; confirmed: boolean }[];
    };
    assert.equal(emails.emails.find((e) => e.uuid === a.emailUnconfirmed)?.confirmed, false);
  });

  test('S-TEN-1 no list route shows B an object of A', async () => {
    const { a } = world;
    const secrets = [a.tenant, a.user.uuid, a.user.username, a.group, a.policy.uuid, a.policy.slug];
    secrets.push(a.sharedPolicy.uuid, a.sharedPolicy.slug, a.session, a.clientId, a.emailConfirmed);
    secrets.push(a.oauthClient.uuid, a.oauthClient.clientId, a.oauthScope);
    const lists = Object.entries(doc.paths).filter(([path, ops]) => {
      const schema = ops.get?.responses?.['200']?.content?.['application/json']?.schema;
      return !path.includes('{') && schema?.properties?.items !== undefined;
    });
    assert.ok(lists.length >= 7, lists.map(([p]) => p).join(' '));
    for (const [path, ops] of lists) {
      const recurse = ops.get?.parameters?.some((p) => p.in === 'query' && p.name === 'recurse');
      const result = await request(server(), recurse ? `${path}?recurse=true` : path, {
        token: world.b.adminToken,
      });
      assert.equal(result.status, 200, `${path}: ${result.text}`);
      for (const id of secrets) assert.ok(!result.text.includes(id), `${path} shows ${id}: ${result.text}`);
    }
  });

  test('S-TEN-1 POST /users/password/reset?user_uuid= (an id in the query) answers 404 to a foreign tenant', async () => {
    const result = await request(server(), `/users/password/reset?user_uuid=${world.a.user.uuid}`, {
      method: 'POST',
      token: world.b.adminToken,
      body: { password: 'sweep-reset-password' },
    });
    assertApiError(result, 404, 'unknown-user');
    await login(server(), world.a.user.username, world.a.user.password);
  });
});
