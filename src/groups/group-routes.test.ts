import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { describeEachDialect } from '../testing/dialect-suite.ts';
import { adminToken, type HttpResult, request } from '../testing/http-client.ts';
import {
  assertApiError,
  assertInvalidListParam,
  assertLegacyError,
  createSubTenant,
  newUser,
  uniqueTag,
  userWithAcl,
} from '../testing/test-fixtures.ts';
import type { TestServer } from '../testing/test-server.ts';
import { allUsersGroupSlug } from './group-repository.ts';

interface GroupBody {
  uuid: string;
  name: string;
  slug: string;
  tenant_uuid: string;
  read_only: boolean;
  system_managed: boolean;
}

interface GroupListBody {
  total: number;
  filtered: number;
  items: GroupBody[];
}

async function createGroup(
  server: TestServer,
  body: Record<string, unknown>,
  tenant?: string,
): Promise<GroupBody> {
  const result = await request(server, '/groups', {
    method: 'POST',
    token: await adminToken(server),
    tenant,
    body,
  });
  assert.equal(result.status, 200, result.text);
  return result.body as GroupBody;
}

async function asAdmin(server: TestServer, path: string, method = 'GET', body?: unknown, tenant?: string) {
  return request(server, path, { method, token: await adminToken(server), body, tenant });
}

function assertUnknownGroup(result: HttpResult, uuid: string): void {
  assert.deepEqual(assertApiError(result, 404, 'unknown-group'), { uuid });
}

await describeEachDialect('groups API', {}, ({ server }) => {
  test('§2.6 POST /groups creates a group in the scoping tenant, slug generated from the name', async () => {
    const name = `Sales team ${uniqueTag()}!`;
    const group = await createGroup(server(), { name });
    assert.deepEqual(group, {
      uuid: group.uuid,
      name,
      slug: name.replace(/[^A-Za-z0-9_-]/g, ''),
      tenant_uuid: server().topTenantUuid,
      read_only: false,
      system_managed: false,
    });
    const fetched = await asAdmin(server(), `/groups/${group.uuid}`);
    assert.equal(fetched.status, 200);
    assert.deepEqual(fetched.body, group);
    const explicit = await createGroup(server(), { name: `g-${uniqueTag()}`, slug: `Slug_-${uniqueTag()}` });
    assert.match(explicit.slug, /^Slug_-/);
  });

  test('§2.6 a name without slug characters gets a random 3-character slug; a taken one too', async () => {
    const group = await createGroup(server(), { name: `éé ${uniqueTag()}`.replace(/[0-9a-f]/g, 'é') });
    assert.match(group.slug, /^[a-z0-9]{3}$/);
    const name = `dup${uniqueTag()}`;
    const first = await createGroup(server(), { name, slug: `${name}x` });
    const second = await createGroup(server(), { name: `${name}x` });
    assert.notEqual(second.slug, first.slug);
  });

  test('§2.6 POST /groups with a duplicate name or slug in the tenant is 409; another tenant may reuse them', async () => {
    const name = `dup-${uniqueTag()}`;
    await createGroup(server(), { name });
    const byName = await asAdmin(server(), '/groups', 'POST', { name });
    assertLegacyError(byName, 409, `Group "${name}" already exists`);
    const bySlug = await asAdmin(server(), '/groups', 'POST', {
      name: `${name}-2`,
      slug: name.toUpperCase(),
    });
    assertLegacyError(bySlug, 409);
    const sub = await createSubTenant(server());
    const elsewhere = await createGroup(server(), { name, slug: name }, sub);
    assert.equal(elsewhere.tenant_uuid, sub);
  });

  test('§2.6 POST /groups with a bad body is 400 invalid-data (resource groups)', async () => {
    for (const body of [
      {},
      { name: '' },
      { name: 'x'.repeat(129) },
      { name: 'a', slug: 'a b' },
      { name: 3 },
    ]) {
      const result = await asAdmin(server(), '/groups', 'POST', body);
      assertApiError(result, 400, 'invalid-data');
      assert.equal((result.body as { resource: string }).resource, 'groups', JSON.stringify(body));
    }
    const empty = await request(server(), '/groups', {
      method: 'POST',
      token: await adminToken(server()),
      rawBody: '',
      headers: { 'Content-Type': 'application/json' },
    });
    assert.equal(empty.status, 400);
    const notJson = await request(server(), '/groups', {
      method: 'POST',
      token: await adminToken(server()),
      rawBody: '{nope',
      headers: { 'Content-Type': 'application/json' },
    });
    assert.equal(notJson.status, 400);
  });

  test('§2.6 every group route needs a token with its ACL (401)', async () => {
    const group = await createGroup(server(), { name: `acl-${uniqueTag()}` });
    const user = await newUser(server());
    const { token } = await userWithAcl(server(), ['auth.users.#']);
    const routes: [string, string, unknown?][] = [
      ['GET', '/groups'],
      ['POST', '/groups', { name: 'x' }],
      ['GET', `/groups/${group.uuid}`],
      ['PUT', `/groups/${group.uuid}`, { name: 'y' }],
      ['DELETE', `/groups/${group.uuid}`],
      ['GET', `/groups/${group.uuid}/users`],
      ['PUT', `/groups/${group.uuid}/users/${user.uuid}`],
      ['DELETE', `/groups/${group.uuid}/users/${user.uuid}`],
    ];
    for (const [method, path, body] of routes) {
      assertApiError(await request(server(), path, { method, body }), 401, 'unauthorized');
      const refused = await request(server(), path, { method, body, token: token.token });
      const details = assertApiError(refused, 401, 'unauthorized');
      assert.equal(details.reason, 'missing_permission_or_invalid_tenant', `${method} ${path}`);
    }
    const { token: reader } = await userWithAcl(server(), [`auth.groups.${group.uuid}.read`]);
    const allowed = await request(server(), `/groups/${group.uuid}`, { token: reader.token });
    assert.equal(allowed.status, 200, allowed.text);
  });

  test('S-TEN-1 GET/PUT/DELETE of an unknown group or one of another tenant is 404', async () => {
    const sub = await createSubTenant(server());
    const sibling = await createSubTenant(server());
    const foreign = await createGroup(server(), { name: `foreign-${uniqueTag()}` }, sibling);
    const { token } = await userWithAcl(server(), ['auth.groups.#'], { tenant: sub });
    for (const uuid of [randomUUID(), foreign.uuid]) {
      for (const [method, body] of [['GET'], ['PUT', { name: 'z' }], ['DELETE']] as const) {
        const result = await request(server(), `/groups/${uuid}`, { method, body, token: token.token });
        assertUnknownGroup(result, uuid);
      }
      assertUnknownGroup(await request(server(), `/groups/${uuid}/users`, { token: token.token }), uuid);
    }
    const notUuid = await asAdmin(server(), '/groups/not-a-uuid');
    assert.equal(notUuid.status, 404);
    const still = await asAdmin(server(), `/groups/${foreign.uuid}`);
    assert.equal(still.status, 200, 'the top tenant sees its descendants');
  });

  test('§2.6 PUT /groups/{uuid} renames (slug immutable), DELETE removes; 409 on a taken name', async () => {
    const group = await createGroup(server(), { name: `old-${uniqueTag()}` });
    const other = await createGroup(server(), { name: `other-${uniqueTag()}` });
    const renamed = await asAdmin(server(), `/groups/${group.uuid}`, 'PUT', {
      name: 'new name',
      slug: 'ignored',
    });
    assert.equal(renamed.status, 200, renamed.text);
    assert.deepEqual(renamed.body, { ...group, name: 'new name' });
    assertLegacyError(await asAdmin(server(), `/groups/${group.uuid}`, 'PUT', { name: other.name }), 409);
    assertApiError(await asAdmin(server(), `/groups/${group.uuid}`, 'PUT', {}), 400, 'invalid-data');
    const deleted = await asAdmin(server(), `/groups/${group.uuid}`, 'DELETE');
    assert.equal(deleted.status, 204);
    assertUnknownGroup(await asAdmin(server(), `/groups/${group.uuid}`), group.uuid);
  });

  test('§2.6 the all-users group is system-managed: 403 forbidden-group on PUT, DELETE and membership', async () => {
    const slug = allUsersGroupSlug(server().topTenantUuid);
    const list = await asAdmin(server(), `/groups?slug=${slug}`);
    const [group] = (list.body as GroupListBody).items;
    assert.ok(group);
    assert.equal(group.read_only, true);
    assert.equal(group.system_managed, true);
    const user = await newUser(server());
    for (const [method, path, body] of [
      ['PUT', `/groups/${group.uuid}`, { name: 'x' }],
      ['DELETE', `/groups/${group.uuid}`, undefined],
      ['PUT', `/groups/${group.uuid}/users/${user.uuid}`, undefined],
      ['DELETE', `/groups/${group.uuid}/users/${user.uuid}`, undefined],
    ] as const) {
      const details = assertApiError(await asAdmin(server(), path, method, body), 403, 'forbidden-group');
      assert.deepEqual(details, { uuid: group.uuid });
    }
  });

  test('§2.6 GET /groups lists the scoping tenant, recurse adds descendants, filters and search apply', async () => {
    const sub = await createSubTenant(server());
    const tag = uniqueTag();
    const a = await createGroup(server(), { name: `alpha ${tag}` }, sub);
    const b = await createGroup(server(), { name: `beta ${tag}` }, sub);
    const child = await createSubTenant(server(), sub);
    const c = await createGroup(server(), { name: `gamma ${tag}` }, child);
    const own = await asAdmin(server(), '/groups', 'GET', undefined, sub);
    assert.deepEqual(
      (own.body as GroupListBody).items.map((g) => g.uuid),
      [a.uuid, b.uuid],
    );
    assert.equal((own.body as GroupListBody).total, 2);
    const all = (await asAdmin(server(), '/groups?recurse=true', 'GET', undefined, sub))
      .body as GroupListBody;
    assert.deepEqual(
      all.items.map((g) => g.uuid),
      [a.uuid, b.uuid, c.uuid],
    );
    const desc = (
      await asAdmin(server(), '/groups?recurse=true&direction=desc&limit=2&offset=1', 'GET', undefined, sub)
    ).body as GroupListBody;
    assert.deepEqual(
      desc.items.map((g) => g.uuid),
      [b.uuid, a.uuid],
    );
    assert.equal(desc.total, 3);
    const searched = (await asAdmin(server(), `/groups?search=BET&recurse=true`, 'GET', undefined, sub))
      .body as GroupListBody;
    assert.deepEqual(
      searched.items.map((g) => g.uuid),
      [b.uuid],
    );
    assert.deepEqual([searched.total, searched.filtered], [3, 1]);
    for (const filter of [`uuid=${a.uuid}`, `name=${encodeURIComponent(a.name)}`, `slug=${a.slug}`]) {
      const byFilter = (await asAdmin(server(), `/groups?${filter}`, 'GET', undefined, sub))
        .body as GroupListBody;
      assert.deepEqual(
        byFilter.items.map((g) => g.uuid),
        [a.uuid],
        filter,
      );
    }
    const user = await newUser(server(), {}, sub);
    await asAdmin(server(), `/groups/${b.uuid}/users/${user.uuid}`, 'PUT', undefined, sub);
    const byUser = (
      await asAdmin(server(), `/groups?user_uuid=${user.uuid}&read_only=false`, 'GET', undefined, sub)
    ).body as GroupListBody;
    assert.deepEqual(
      byUser.items.map((g) => g.uuid),
      [b.uuid],
    );
  });

  test('§2.6 GET /groups refuses bad list parameters with 400', async () => {
    for (const query of [
      'order=slug',
      'order=read_only',
      'direction=up',
      'limit=-1',
      'offset=x',
      'read_only=maybe',
    ]) {
      assertInvalidListParam(await asAdmin(server(), `/groups?${query}`), query);
    }
    const group = await createGroup(server(), { name: `lp-${uniqueTag()}` });
    assertInvalidListParam(await asAdmin(server(), `/groups/${group.uuid}/users?order=nope`), 'users order');
    const user = await newUser(server());
    assertInvalidListParam(await asAdmin(server(), `/users/${user.uuid}/groups?limit=a`), 'user groups');
  });
});
