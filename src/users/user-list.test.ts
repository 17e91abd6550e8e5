import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeEachDialect } from '../testing/dialect-suite.ts';
import { adminToken, request } from '../testing/http-client.ts';
import {
  assertInvalidListParam,
  createSubTenant,
  type ListBody,
  listOf,
  newUser,
  uniqueTag,
} from '../testing/test-fixtures.ts';
import type { TestServer } from '../testing/test-server.ts';

type UserListBody = ListBody<{ uuid: string; username: string | null; tenant_uuid: string }>;

function list(server: TestServer, query: string, tenant: string): Promise<UserListBody> {
  return listOf(server, `/users${query}`, { tenant });
}

function names(body: UserListBody): (string | null)[] {
  return body.items.map((u) => u.username);
}

/** GET /users (wazo §2.2, list conventions §1.6). */
await describeEachDialect('users list', {}, ({ server }) => {
  test('§2.2 GET /users lists with total, filtered, ordering, pagination and search', async () => {
    const tenant = await createSubTenant(server());
    const t = uniqueTag();
    const alice = await newUser(
      server(),
      {
        username: `alice-smith-${t}`,
        firstname: 'Alice',
        lastname: 'Smith',
        email_address: `alice-${t}@example.org`,
      },
      tenant,
    );
    const bob = await newUser(
      server(),
      {
        username: `bob-${t}`,
        firstname: 'Robert',
        lastname: 'Jones',
        email_address: `bjones-${t}@corp.test`,
      },
      tenant,
    );
    const carol = await newUser(
      server(),
      { username: `carol-${t}`, firstname: 'Carol', lastname: 'Smithers' },
      tenant,
    );

    const all = await list(server(), '', tenant);
    assert.equal(all.total, 3);
    assert.equal(all.filtered, 3);
    assert.deepEqual(names(all), [alice.username, bob.username, carol.username]);
    const desc = await list(server(), '?order=username&direction=desc', tenant);
    assert.deepEqual(names(desc), [carol.username, bob.username, alice.username]);
    const byFirstname = await list(server(), '?order=firstname', tenant);
    assert.deepEqual(names(byFirstname), [alice.username, carol.username, bob.username]);
    const byLastnameDesc = await list(server(), '?order=lastname&direction=desc', tenant);
    assert.deepEqual(names(byLastnameDesc), [carol.username, alice.username, bob.username]);
    const page = await list(server(), '?limit=1&offset=1', tenant);
    assert.deepEqual({ ...page, items: names(page) }, { total: 3, filtered: 3, items: [bob.username] });
    assert.deepEqual(names(await list(server(), '?offset=2', tenant)), [carol.username]);
    assert.deepEqual(names(await list(server(), '?limit=2', tenant)), [alice.username, bob.username]);

    const searches: [string, (string | null)[]][] = [
      ['SMITH', [alice.username, carol.username]],
      ['rob', [bob.username]],
      ['corp.test', [bob.username]],
      ['ali smi', [alice.username]],
      ['ali jon', []],
      [t, [alice.username, bob.username, carol.username]],
    ];
    for (const [search, expected] of searches) {
      const found = await list(server(), `?search=${encodeURIComponent(search)}`, tenant);
      assert.equal(found.total, 3, search);
      assert.equal(found.filtered, expected.length, search);
      assert.deepEqual(names(found), expected, search);
    }
  });

  test('§2.2 GET /users exact filters: username, uuid, purpose, email_address', async () => {
    const tenant = await createSubTenant(server());
    const t = uniqueTag();
    const alice = await newUser(
      server(),
      { username: `alice-${t}`, email_address: `alice-${t}@example.org` },
      tenant,
    );
    const bob = await newUser(server(), { username: `bob-${t}`, purpose: 'internal' }, tenant);
    const filters: [string, (string | null)[]][] = [
      [`username=${bob.username}`, [bob.username]],
      [`username=bob`, []],
      [`uuid=${alice.uuid}`, [alice.username]],
      ['purpose=internal', [bob.username]],
      ['purpose=user', [alice.username]],
      [`email_address=${encodeURIComponent(`alice-${t}@example.org`)}`, [alice.username]],
    ];
    for (const [query, expected] of filters) {
      const found = await list(server(), `?${query}`, tenant);
      assert.equal(found.total, 2, query);
      assert.equal(found.filtered, expected.length, query);
      assert.deepEqual(names(found), expected, query);
    }
  });

  test('§2.2 GET /users stays in the scoping tenant unless recurse=true', async () => {
    const parent = await createSubTenant(server());
    const child = await createSubTenant(server(), parent);
    const inParent = await newUser(server(), {}, parent);
    const inChild = await newUser(server(), {}, child);
    const flat = await list(server(), '', parent);
    assert.deepEqual(names(flat), [inParent.username]);
    const deep = await list(server(), '?recurse=true', parent);
    assert.equal(deep.total, 2);
    assert.deepEqual(deep.items.map((u) => u.uuid).sort(), [inParent.uuid, inChild.uuid].sort());
    const ofChild = deep.items.find((u) => u.uuid === inChild.uuid);
    assert.equal(ofChild?.tenant_uuid, child);
    assert.deepEqual(names(await list(server(), '?recurse=true', child)), [inChild.username]);
  });

  test('§2.2 GET /users refuses bad list parameters with 400 invalid-list-param', async () => {
    const token = await adminToken(server());
    for (const query of ['order=uuid', 'direction=up', 'limit=-1', 'limit=x', 'offset=-2', 'recurse=maybe']) {
      const result = await request(server(), `/users?${query}`, { token });
      assertInvalidListParam(result, query, 'users');
    }
  });
});
