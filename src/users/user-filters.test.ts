import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { describeEachDialect } from '../testing/dialect-suite.ts';
import { adminToken, createUser, request } from '../testing/http-client.ts';
import {
  addUserToGroup,
  createGroup,
  createSubTenant,
  type ListBody,
  listOf,
  uniqueTag,
  upsertPolicy,
} from '../testing/test-fixtures.ts';
import type { TestServer } from '../testing/test-server.ts';

type UserListBody = ListBody<{ uuid: string; username: string | null }>;

/**
 * A tenant of four users: alice and bob in `group`; alice holds `policy` directly; carol holds it
 * through `policyGroup`; dave holds only `other` directly.
 */
async function scenario(server: TestServer) {
  const tenant = await createSubTenant(server, server.topTenantUuid, { allUsersGroup: true });
  const t = uniqueTag();
  const token = await adminToken(server);
  // No passwords: hashing is not what these tests are about.
  const make = (name: string) =>
    createUser(server, { username: `${name}-${t}`, password: null }, { token, tenant });
  const [alice, bob, carol, dave] = await Promise.all([
    make('alice'),
    make('bob'),
    make('carol'),
    make('dave'),
  ]);
  const group = await createGroup(server, tenant);
  const policyGroup = await createGroup(server, tenant);
  const slug = `policy-${t}`;
  const policy = await upsertPolicy(server, tenant, ['a.b'], slug);
  const other = await upsertPolicy(server, tenant, ['c.d'], `other-${t}`);
  const { policies } = server.container.repositories;
  await addUserToGroup(server, group, alice.uuid);
  await addUserToGroup(server, group, bob.uuid);
  await addUserToGroup(server, policyGroup, carol.uuid);
  await policies.attachToGroup(policyGroup, policy);
  await policies.attachToUser(alice.uuid, policy);
  await policies.attachToUser(dave.uuid, other);
  return { token, tenant, t, alice, bob, carol, dave, group, policyGroup, policy, slug, other };
}

function names(body: UserListBody, t: string): string[] {
  return body.items.map((u) => (u.username ?? '').replace(`-${t}`, ''));
}

await describeEachDialect('users list association filters', {}, ({ server }) => {
  let token = '';
  const list = (query: string, tenant: string) =>
    listOf<{ uuid: string; username: string | null }>(server(), `/users?${query}`, { token, tenant });
  const scenarioOf = async (server: TestServer) => {
    const s = await scenario(server);
    token = s.token;
    return s;
  };

  test('§2.2 GET /users?group_uuid lists the members of the group only', async () => {
    const s = await scenarioOf(server());
    const members = await list(`group_uuid=${s.group}`, s.tenant);
    assert.deepEqual(names(members, s.t), ['alice', 'bob']);
    assert.equal(members.total, 4);
    assert.equal(members.filtered, 2);
    const paged = await list(`group_uuid=${s.group}&limit=1&order=username&direction=desc`, s.tenant);
    assert.deepEqual(names(paged, s.t), ['bob']);
    assert.equal(paged.filtered, 2);
    const none = await list(`group_uuid=${randomUUID()}`, s.tenant);
    assert.deepEqual([none.total, none.filtered, none.items.length], [4, 0, 0]);
    assert.equal((await list('group_uuid=not-a-uuid', s.tenant)).filtered, 0);
  });

  test('§2.2 POST /users puts every user in its tenant all-users group (group_uuid filter)', async () => {
    const s = await scenarioOf(server());
    const allUsers = await server().container.repositories.groups.ensureAllUsersGroup(s.tenant);
    const listed = await list(`group_uuid=${allUsers}`, s.tenant);
    assert.deepEqual(names(listed, s.t), ['alice', 'bob', 'carol', 'dave']);
    const topAllUsers = await server().container.repositories.groups.ensureAllUsersGroup(
      server().topTenantUuid,
    );
    const fromTop = await list(`group_uuid=${topAllUsers}&recurse=true`, server().topTenantUuid);
    assert.ok(
      !fromTop.items.some((u) => u.uuid === s.alice.uuid),
      'sub-tenant users are not in the top group',
    );
  });

  test('§2.2 GET /users?policy_uuid and policy_slug match direct associations only', async () => {
    const s = await scenarioOf(server());
    for (const query of [`policy_uuid=${s.policy}`, `policy_slug=${s.slug}`]) {
      const direct = await list(query, s.tenant);
      assert.deepEqual(names(direct, s.t), ['alice'], query);
      assert.deepEqual([direct.total, direct.filtered], [4, 1], query);
    }
    assert.deepEqual(names(await list(`policy_uuid=${s.other}`, s.tenant), s.t), ['dave']);
    assert.equal((await list(`policy_uuid=${randomUUID()}`, s.tenant)).filtered, 0);
    assert.equal((await list('policy_slug=no-such-policy', s.tenant)).filtered, 0);
  });

  test('§2.2 GET /users?has_policy_uuid and has_policy_slug match direct or group associations, once', async () => {
    const s = await scenarioOf(server());
    // alice also gets the policy through a group: she must still be listed once.
    await addUserToGroup(server(), s.policyGroup, s.alice.uuid);
    for (const query of [`has_policy_uuid=${s.policy}`, `has_policy_slug=${s.slug}`]) {
      const any = await list(query, s.tenant);
      assert.deepEqual(names(any, s.t), ['alice', 'carol'], query);
      assert.deepEqual([any.total, any.filtered], [4, 2], query);
    }
    assert.deepEqual(names(await list(`has_policy_slug=other-${s.t}`, s.tenant), s.t), ['dave']);
    assert.equal((await list(`has_policy_uuid=${randomUUID()}`, s.tenant)).filtered, 0);
  });

  test('§2.2 GET /users association filters combine with each other, search and recurse', async () => {
    const s = await scenarioOf(server());
    const both = await list(`group_uuid=${s.group}&has_policy_uuid=${s.policy}`, s.tenant);
    assert.deepEqual(names(both, s.t), ['alice']);
    const searched = await list(`has_policy_slug=${s.slug}&search=carol`, s.tenant);
    assert.deepEqual(names(searched, s.t), ['carol']);
    const recursive = await list(`has_policy_uuid=${s.policy}&recurse=true`, server().topTenantUuid);
    assert.deepEqual(names(recursive, s.t), ['alice', 'carol']);
    const notRecursive = await list(`has_policy_uuid=${s.policy}`, server().topTenantUuid);
    assert.equal(notRecursive.filtered, 0);
  });

  test('§2.2 GET /users filters stay within the visible tenants', async () => {
    const s = await scenarioOf(server());
    const sibling = await createSubTenant(server());
    const result = await request(server(), `/users?group_uuid=${s.group}&recurse=true`, {
      token,
      tenant: sibling,
    });
    assert.equal(result.status, 200, result.text);
    assert.equal((result.body as UserListBody).filtered, 0);
  });
});
