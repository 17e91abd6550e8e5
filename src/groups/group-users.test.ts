import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { describeEachDialect } from '../testing/dialect-suite.ts';
import { adminToken, request } from '../testing/http-client.ts';
import {
  assertApiError,
  createSubTenant,
  newUser,
  uniqueTag,
  userWithAcl,
} from '../testing/test-fixtures.ts';
import type { TestServer } from '../testing/test-server.ts';

interface GroupListed {
  total: number;
  filtered: number;
  items: { uuid: string; read_only: boolean; name: string }[];
}

interface Listed {
  total: number;
  filtered: number;
  items: { uuid: string; username?: string }[];
}

async function admin(server: TestServer, path: string, method = 'GET', tenant?: string, body?: unknown) {
  return request(server, path, { method, token: await adminToken(server), tenant, body });
}

async function newGroup(server: TestServer, tenant?: string): Promise<string> {
  const result = await admin(server, '/groups', 'POST', tenant, { name: `members-${uniqueTag()}` });
  assert.equal(result.status, 200, result.text);
  return (result.body as { uuid: string }).uuid;
}

await describeEachDialect('group members API', {}, ({ server }) => {
  test('§2.6 PUT /groups/{g}/users/{u} adds a member (idempotent), DELETE removes it (idempotent)', async () => {
    const group = await newGroup(server());
    const [alice, bob] = [await newUser(server(), { username: `a-${uniqueTag()}` }), await newUser(server())];
    for (let i = 0; i < 2; i++) {
      assert.equal((await admin(server(), `/groups/${group}/users/${alice.uuid}`, 'PUT')).status, 204);
    }
    assert.equal((await admin(server(), `/groups/${group}/users/${bob.uuid}`, 'PUT')).status, 204);
    const members = (await admin(server(), `/groups/${group}/users`)).body as Listed;
    assert.deepEqual(members.items.map((u) => u.uuid).sort(), [alice.uuid, bob.uuid].sort());
    assert.deepEqual([members.total, members.filtered], [2, 2]);
    const searched = (await admin(server(), `/groups/${group}/users?search=${alice.username}`))
      .body as Listed;
    assert.deepEqual(
      searched.items.map((u) => u.uuid),
      [alice.uuid],
    );
    assert.deepEqual([searched.total, searched.filtered], [2, 1]);
    const paged = (await admin(server(), `/groups/${group}/users?limit=1&order=username&direction=desc`))
      .body as Listed;
    assert.equal(paged.items.length, 1);
    for (let i = 0; i < 2; i++) {
      assert.equal((await admin(server(), `/groups/${group}/users/${alice.uuid}`, 'DELETE')).status, 204);
    }
    const after = (await admin(server(), `/groups/${group}/users`)).body as Listed;
    assert.deepEqual(
      after.items.map((u) => u.uuid),
      [bob.uuid],
    );
  });

  test('§2.6 GET /users/{u}/groups lists the groups of the user (its all-users group included)', async () => {
    const user = await newUser(server());
    const group = await newGroup(server());
    await admin(server(), `/groups/${group}/users/${user.uuid}`, 'PUT');
    const list = (await admin(server(), `/users/${user.uuid}/groups`)).body as GroupListed;
    assert.equal(list.total, 2);
    assert.deepEqual(
      list.items.filter((g) => !g.read_only).map((g) => g.uuid),
      [group],
    );
    assert.equal(list.items.filter((g) => g.read_only).length, 1, 'the all-users group');
    const filtered = (await admin(server(), `/users/${user.uuid}/groups?read_only=false`)).body as Listed;
    assert.deepEqual([filtered.total, filtered.filtered], [2, 1]);
  });

  test('§2.6 a user can only join a group of its own tenant: 400 missmatching-tenant', async () => {
    const sub = await createSubTenant(server());
    const group = await newGroup(server());
    const user = await newUser(server(), {}, sub);
    const result = await admin(server(), `/groups/${group}/users/${user.uuid}`, 'PUT');
    const details = assertApiError(result, 400, 'missmatching-tenant');
    assert.deepEqual(details, { user_tenant_uuid: sub, group_tenant_uuid: server().topTenantUuid });
  });

  test('S-TEN-1 membership routes answer 404 for unknown or foreign groups and users', async () => {
    const sub = await createSubTenant(server());
    const sibling = await createSubTenant(server());
    const { token } = await userWithAcl(server(), ['auth.#'], { tenant: sub });
    const group = await newGroup(server(), sub);
    const user = await newUser(server(), {}, sub);
    const foreignGroup = await newGroup(server(), sibling);
    const foreignUser = await newUser(server(), {}, sibling);
    const cases: [string, string][] = [
      [`/groups/${randomUUID()}/users/${user.uuid}`, 'unknown-group'],
      [`/groups/${foreignGroup}/users/${user.uuid}`, 'unknown-group'],
      [`/groups/${group}/users/${randomUUID()}`, 'unknown-user'],
      [`/groups/${group}/users/${foreignUser.uuid}`, 'unknown-user'],
    ];
    for (const [path, errorId] of cases) {
      for (const method of ['PUT', 'DELETE']) {
        assertApiError(await request(server(), path, { method, token: token.token }), 404, errorId);
      }
    }
    for (const uuid of [randomUUID(), foreignUser.uuid]) {
      const result = await request(server(), `/users/${uuid}/groups`, { token: token.token });
      assertApiError(result, 404, 'unknown-user');
    }
    assert.equal((await admin(server(), `/groups/${group}/users/not-a-uuid`, 'PUT')).status, 404);
  });

  test('§2.6 GET /users/{u}/groups and the membership routes need their ACL', async () => {
    const user = await newUser(server());
    const group = await newGroup(server());
    const { token } = await userWithAcl(server(), [`auth.groups.${group}.users.${user.uuid}.create`]);
    assertApiError(
      await request(server(), `/users/${user.uuid}/groups`, { token: token.token }),
      401,
      'unauthorized',
    );
    assertApiError(await request(server(), `/users/${user.uuid}/groups`), 401, 'unauthorized');
    const added = await request(server(), `/groups/${group}/users/${user.uuid}`, {
      method: 'PUT',
      token: token.token,
    });
    assert.equal(added.status, 204, added.text);
    const removal = await request(server(), `/groups/${group}/users/${user.uuid}`, {
      method: 'DELETE',
      token: token.token,
    });
    assertApiError(removal, 401, 'unauthorized');
  });
});
