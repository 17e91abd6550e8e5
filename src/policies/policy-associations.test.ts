import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { describeEachDialect } from '../testing/dialect-suite.ts';
import { request } from '../testing/http-client.ts';
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
import { call, createPolicy, type PolicyListBody } from './policy-test-helpers.ts';

async function newGroup(server: TestServer, tenant?: string): Promise<string> {
  const result = await call(server, '/groups', {
    method: 'POST',
    tenant,
    body: { name: `g-${uniqueTag()}` },
  });
  assert.equal(result.status, 200, result.text);
  return (result.body as { uuid: string }).uuid;
}

await describeEachDialect('group and user policy associations', {}, ({ server }) => {
  for (const owner of ['group', 'user'] as const) {
    const ownerOf = async (tenant?: string) =>
      owner === 'group' ? newGroup(server(), tenant) : (await newUser(server(), {}, tenant)).uuid;
    const base = (uuid: string) => `/${owner}s/${uuid}/policies`;

    test(`§2.${owner === 'group' ? 6 : 8} PUT/DELETE /${owner}s/{x}/policies/{uuid or slug} are idempotent; GET lists them`, async () => {
      const uuid = await ownerOf();
      const tag = uniqueTag();
      const one = await createPolicy(server(), { name: `one-${tag}`, description: 'first' });
      const two = await createPolicy(server(), { name: `two-${tag}` });
      for (let i = 0; i < 2; i++) {
        assert.equal((await call(server(), `${base(uuid)}/${one.uuid}`, { method: 'PUT' })).status, 204);
        assert.equal((await call(server(), `${base(uuid)}/${two.slug}`, { method: 'PUT' })).status, 204);
      }
      const list = (await call(server(), base(uuid))).body as PolicyListBody;
      assert.deepEqual(
        list.items.map((p) => p.uuid),
        [one.uuid, two.uuid],
      );
      assert.deepEqual([list.total, list.filtered], [2, 2]);
      assert.deepEqual(list.items[0], one);
      const searched = (await call(server(), `${base(uuid)}?search=two&order=name&direction=desc`))
        .body as PolicyListBody;
      assert.deepEqual(
        searched.items.map((p) => p.uuid),
        [two.uuid],
      );
      assert.deepEqual([searched.total, searched.filtered], [2, 1]);
      const paged = (await call(server(), `${base(uuid)}?limit=1&offset=1`)).body as PolicyListBody;
      assert.deepEqual(
        paged.items.map((p) => p.uuid),
        [two.uuid],
      );
      for (let i = 0; i < 2; i++) {
        assert.equal((await call(server(), `${base(uuid)}/${one.slug}`, { method: 'DELETE' })).status, 204);
      }
      const after = (await call(server(), base(uuid))).body as PolicyListBody;
      assert.deepEqual(
        after.items.map((p) => p.uuid),
        [two.uuid],
      );
      const filtered = (await call(server(), `/policies?${owner}_uuid=${uuid}`)).body as PolicyListBody;
      assert.deepEqual(
        filtered.items.map((p) => p.uuid),
        [two.uuid],
      );
    });

    test(`S-TEN-1 /${owner}s/{x}/policies routes are 404 for unknown or foreign ${owner}s and policies`, async () => {
      const sub = await createSubTenant(server());
      const sibling = await createSubTenant(server());
      const { token } = await userWithAcl(server(), ['#'], { tenant: sub });
      const mine = await ownerOf(sub);
      const foreignOwner = await ownerOf(sibling);
      const policy = await createPolicy(server(), {}, { tenant: sub });
      const foreignPolicy = await createPolicy(server(), {}, { tenant: sibling });
      const errorId = owner === 'group' ? 'unknown-group' : 'unknown-user';
      for (const uuid of [randomUUID(), foreignOwner]) {
        assertApiError(await request(server(), base(uuid), { token: token.token }), 404, errorId);
        for (const method of ['PUT', 'DELETE']) {
          const result = await request(server(), `${base(uuid)}/${policy.uuid}`, {
            method,
            token: token.token,
          });
          assertApiError(result, 404, errorId);
        }
      }
      for (const reference of [randomUUID(), foreignPolicy.uuid, foreignPolicy.slug]) {
        for (const method of ['PUT', 'DELETE']) {
          const result = await request(server(), `${base(mine)}/${reference}`, {
            method,
            token: token.token,
          });
          assertLegacyError(result, 404, `No such policy ${reference}`);
        }
      }
      assert.equal((await call(server(), `/${owner}s/not-a-uuid/policies`)).status, 404);
    });

    test(`§2.${owner === 'group' ? 6 : 8} /${owner}s/{x}/policies routes need their ACL; bad list params are 400`, async () => {
      const uuid = await ownerOf();
      const policy = await createPolicy(server());
      const { token } = await userWithAcl(server(), [`auth.${owner}s.${uuid}.policies.read`]);
      for (const [method, path] of [
        ['GET', base(uuid)],
        ['PUT', `${base(uuid)}/${policy.uuid}`],
        ['DELETE', `${base(uuid)}/${policy.uuid}`],
      ] as const) {
        assertApiError(await request(server(), path, { method }), 401, 'unauthorized');
        if (method !== 'GET') {
          assertApiError(await request(server(), path, { method, token: token.token }), 401, 'unauthorized');
        }
      }
      assert.equal((await request(server(), base(uuid), { token: token.token })).status, 200);
      for (const query of ['order=tenant_uuid', 'direction=x', 'limit=-1', 'offset=-1']) {
        assertInvalidListParam(await call(server(), `${base(uuid)}?${query}`), query);
      }
    });
  }

  test('§2.6 a sub-tenant group can take a shared policy of its parent, by uuid and by slug', async () => {
    const sub = await createSubTenant(server());
    const group = await newGroup(server(), sub);
    const shared = await createPolicy(server(), { shared: true });
    for (const reference of [shared.uuid, shared.slug]) {
      const put = await call(server(), `/groups/${group}/policies/${reference}`, {
        method: 'PUT',
        tenant: sub,
      });
      assert.equal(put.status, 204, put.text);
      const list = (await call(server(), `/groups/${group}/policies`, { tenant: sub }))
        .body as PolicyListBody;
      assert.deepEqual(
        list.items.map((p) => [p.uuid, p.tenant_uuid, p.read_only, p.shared]),
        [[shared.uuid, sub, true, false]],
      );
      const del = await call(server(), `/groups/${group}/policies/${reference}`, {
        method: 'DELETE',
        tenant: sub,
      });
      assert.equal(del.status, 204);
    }
  });
});
