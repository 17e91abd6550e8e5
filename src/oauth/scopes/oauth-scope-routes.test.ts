import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { describeEachDialect } from '../../testing/dialect-suite.ts';
import { adminRequest, type HttpResult } from '../../testing/http-client.ts';
import {
  assertApiError,
  createSubTenant,
  type ListBody,
  uniqueTag,
  userWithAcl,
} from '../../testing/test-fixtures.ts';
import type { TestServer } from '../../testing/test-server.ts';

/** Issue #6 §3: OAuth scopes as named sets of ACL entries, per tenant, under /0.1/oauth/scopes. */

interface ScopeBody {
  uuid: string | null;
  tenant_uuid: string;
  name: string;
  description: string | null;
  acl: string[];
  source: 'tenant' | 'config' | 'protocol';
  read_only: boolean;
}

const CONFIG = {
  oauth: { scopes: { 'calls.read': { description: 'Read calls', acl: ['calld.calls.read'] } } },
};

function call(server: TestServer, path: string, options: Parameters<typeof adminRequest>[2] = {}) {
  return adminRequest(server, `/oauth/scopes${path}`, options);
}

async function createScope(
  server: TestServer,
  body: Record<string, unknown> = {},
  options: { token?: string; tenant?: string } = {},
): Promise<ScopeBody> {
  const result = await call(server, '', {
    method: 'POST',
    body: { name: `s.${uniqueTag()}`, ...body },
    ...options,
  });
  assert.equal(result.status, 200, result.text);
  return result.body as ScopeBody;
}

function listBody(result: HttpResult): ListBody<ScopeBody> {
  assert.equal(result.status, 200, result.text);
  return result.body as ListBody<ScopeBody>;
}

await describeEachDialect('OAuth scopes API', { config: CONFIG }, ({ server }) => {
  test('§3 POST, GET, PUT and DELETE a tenant scope', async () => {
    const tenant = await createSubTenant(server());
    const name = `confd:users/${uniqueTag()}`;
    const scope = await createScope(
      server(),
      { name, description: 'd', acl: ['confd.users.read', 'confd.users.read'] },
      { tenant },
    );
    assert.deepEqual(scope, {
      uuid: scope.uuid,
      tenant_uuid: tenant,
      name,
      description: 'd',
      acl: ['confd.users.read'],
      source: 'tenant',
      read_only: false,
    });
    assert.deepEqual((await call(server(), `/${scope.uuid}`)).body, scope);
    const updated = await call(server(), `/${scope.uuid}`, {
      method: 'PUT',
      body: { name: 'ignored', acl: ['confd.users.#'] },
    });
    assert.equal(updated.status, 200, updated.text);
    assert.deepEqual(updated.body, { ...scope, description: null, acl: ['confd.users.#'] });
    assert.equal((await call(server(), `/${scope.uuid}`, { method: 'DELETE' })).status, 204);
    assertApiError(await call(server(), `/${scope.uuid}`), 404, 'unknown-oauth-scope');
    assertApiError(await call(server(), `/${scope.uuid}`, { method: 'DELETE' }), 404, 'unknown-oauth-scope');
  });

  test('§3 names: RFC 6749 scope-token characters; protocol names reserved; unique per tenant', async () => {
    for (const name of ['', 'a b', 'quote"d', 'back\\slash', 'é', 'x'.repeat(129)]) {
      assertApiError(await call(server(), '', { method: 'POST', body: { name } }), 400, 'invalid-data');
    }
    for (const name of ['openid', 'profile', 'email', 'offline_access']) {
      const details = assertApiError(
        await call(server(), '', { method: 'POST', body: { name } }),
        400,
        'invalid-data',
      );
      assert.equal((details.name as { constraint_id: string }).constraint_id, 'reserved');
    }
    const scope = await createScope(server());
    const again = await call(server(), '', { method: 'POST', body: { name: scope.name } });
    assert.ok('name' in assertApiError(again, 409, 'conflict'));
    const elsewhere = await createScope(
      server(),
      { name: scope.name },
      { tenant: await createSubTenant(server()) },
    );
    assert.equal(elsewhere.name, scope.name, 'another tenant may use the name');
  });

  test('§3 GET lists tenant, config and protocol scopes; a tenant scope hides the config one it redefines', async () => {
    const tenant = await createSubTenant(server());
    const own = await createScope(server(), { name: 'a.own' }, { tenant });
    const all = listBody(await call(server(), '', { tenant }));
    assert.deepEqual(
      all.items.map((s) => [s.name, s.source, s.read_only, s.uuid === null]),
      [
        ['a.own', 'tenant', false, false],
        ['calls.read', 'config', true, true],
        ['email', 'protocol', true, true],
        ['offline_access', 'protocol', true, true],
        ['openid', 'protocol', true, true],
        ['profile', 'protocol', true, true],
      ],
    );
    assert.deepEqual(all.items[1], {
      uuid: null,
      tenant_uuid: tenant,
      name: 'calls.read',
      description: 'Read calls',
      acl: ['calld.calls.read'],
      source: 'config',
      read_only: true,
    });
    await createScope(server(), { name: 'calls.read', acl: ['calld.calls.me.read'] }, { tenant });
    const redefined = listBody(await call(server(), '?name=calls.read', { tenant }));
    assert.deepEqual(
      redefined.items.map((s) => [s.source, s.acl]),
      [['tenant', ['calld.calls.me.read']]],
    );
    const protocol = listBody(
      await call(server(), '?source=protocol&order=name&direction=desc&limit=2', { tenant }),
    );
    assert.deepEqual([protocol.total, protocol.filtered], [6, 4]);
    assert.deepEqual(
      protocol.items.map((s) => s.name),
      ['profile', 'openid'],
    );
    const searched = listBody(await call(server(), '?search=OWN', { tenant }));
    assert.deepEqual(
      searched.items.map((s) => s.uuid),
      [own.uuid],
    );
    assert.equal((await call(server(), '?order=acl', { tenant })).status, 400);
  });

  test('§3 tenant isolation: foreign scopes are 404 and not listed; recurse shows the subtree', async () => {
    const tenantA = await createSubTenant(server());
    const tenantB = await createSubTenant(server());
    const scope = await createScope(server(), {}, { tenant: tenantA });
    const adminOfB = (await userWithAcl(server(), ['auth.oauth.#'], { tenant: tenantB })).token.token;
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const body = method === 'PUT' ? { acl: [] } : undefined;
      const result = await call(server(), `/${scope.uuid}`, { method, token: adminOfB, body });
      assertApiError(result, 404, 'unknown-oauth-scope');
    }
    const ofB = listBody(await call(server(), '?source=tenant', { token: adminOfB }));
    assert.deepEqual(ofB.items, []);
    const fromTop = listBody(await call(server(), `?source=tenant&recurse=true&name=${scope.name}`));
    assert.deepEqual(
      fromTop.items.map((s) => s.uuid),
      [scope.uuid],
    );
    assertApiError(await call(server(), `/${randomUUID()}`), 404, 'unknown-oauth-scope');
  });

  test('§3 the ACL is behind the policies grant guard: an access the caller lacks is 401', async () => {
    const token = (await userWithAcl(server(), ['auth.oauth.#', 'confd.#', '!confd.admin.#'])).token.token;
    const refused = await call(server(), '', {
      method: 'POST',
      token,
      body: { name: `g.${uniqueTag()}`, acl: ['confd.#'] },
    });
    assert.deepEqual(assertApiError(refused, 401, 'unauthorized'), {
      invalid_token: null,
      required_access: 'confd.#',
    });
    const scope = await createScope(server(), { acl: ['confd.users.read', '!confd.users.me.#'] }, { token });
    const adding = await call(server(), `/${scope.uuid}`, {
      method: 'PUT',
      token,
      body: { acl: ['calld.#'] },
    });
    assertApiError(adding, 401, 'unauthorized');
    const held = await createScope(server(), { acl: ['calld.#'] });
    assertApiError(await call(server(), `/${held.uuid}`, { method: 'DELETE', token }), 401, 'unauthorized');
    const reader = (await userWithAcl(server(), ['auth.oauth.scopes.read'])).token.token;
    assertApiError(
      await call(server(), '', { method: 'POST', token: reader, body: { name: 'x.y' } }),
      401,
      'unauthorized',
    );
    assert.equal((await call(server(), '', { token: reader })).status, 200);
  });
});
