import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { describeEachDialect } from '../testing/dialect-suite.ts';
import {
  adminRequest,
  type CreatedUser,
  createUser,
  type HttpResult,
  login,
  MOBILE_SESSION,
  request,
} from '../testing/http-client.ts';
import {
  assertInvalidListParam,
  createSubTenant,
  grantAcl,
  type ListBody,
  listOf,
  userEvents,
  userWithAcl,
} from '../testing/test-fixtures.ts';
import type { TestServer } from '../testing/test-server.ts';

const CREATED_AT = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/;
// wazo's fields, plus `acl` (#6: the stored scope, null when unscoped; scoped-refresh-token.test.ts).
const ITEM_KEYS = ['acl', 'client_id', 'created_at', 'metadata', 'mobile', 'tenant_uuid', 'user_uuid'];
const BAD_PARAMS = ['limit=-1', 'offset=abc', 'direction=up', 'order=nope'];

interface Item {
  client_id: string;
  created_at: string;
  mobile: boolean;
  user_uuid: string;
  tenant_uuid: string;
  metadata: Record<string, unknown>;
  acl: string[] | null;
}

type Listed = ListBody<Item>;

/** An offline login at the current (manual) clock time, then one second passes. */
async function offline(srv: TestServer, user: CreatedUser, clientId: string, mobile = false) {
  const at = srv.clock?.now() ?? 0;
  const headers = mobile ? MOBILE_SESSION : {};
  const data = await login(
    srv,
    user.username,
    user.password,
    { access_type: 'offline', client_id: clientId },
    headers,
  );
  srv.clock?.advance(1000);
  return {
    value: data.refresh_token as string,
    createdAt: `${new Date(at).toISOString().slice(0, 23)}000+00:00`,
  };
}

const get = (srv: TestServer, path: string, options: { token?: string; tenant?: string } = {}) =>
  adminRequest(srv, path, options);
const listed = (srv: TestServer, path: string, options: { token?: string; tenant?: string } = {}) =>
  listOf<Item>(srv, path, options);
const del = (srv: TestServer, path: string, token?: string) =>
  adminRequest(srv, path, { method: 'DELETE', token });

function errorOf(result: HttpResult) {
  const body = result.body as { error_id: string; resource: string; details: unknown };
  return { error_id: body.error_id, resource: body.resource, details: body.details };
}

const ids = (list: Listed) => list.items.map((i) => i.client_id);
const sep = (path: string) => (path.includes('?') ? '&' : '?');

/** The common list behaviours of B36/B39 over a list whose only rows are foo, bar (mobile), baz in that order. */
async function assertListBehaviours(srv: TestServer, path: string, tenant?: string): Promise<void> {
  const q = async (query: string) => listed(srv, `${path}${sep(path)}${query}`, { tenant });
  for (const param of BAD_PARAMS)
    assertInvalidListParam(await get(srv, `${path}${sep(path)}${param}`, { tenant }), param);
  const searched = await q('search=baz');
  assert.deepEqual([ids(searched), searched.total, searched.filtered], [['baz'], 3, 1]);
  assert.deepEqual(ids(await q('search=BA')), ['bar', 'baz']);
  const mobile = await q('mobile=true');
  assert.deepEqual([ids(mobile), mobile.total, mobile.filtered], [['bar'], 3, 1]);
  assert.deepEqual(ids(await q('mobile=false')), ['foo', 'baz']);
  assert.deepEqual(ids(await q('client_id=foo')), ['foo']);
  assert.equal((await q('order=mobile&direction=desc')).items[0]?.client_id, 'bar');
  assert.deepEqual(ids(await q('order=mobile&direction=asc')).slice(2), ['bar']);
  assert.deepEqual(ids(await q('order=created_at')), ['foo', 'bar', 'baz']);
  assert.deepEqual(ids(await q('order=created_at&direction=desc')), ['baz', 'bar', 'foo']);
  assert.deepEqual(ids(await q('order=client_id')), ['bar', 'baz', 'foo']);
  const limited = await q('limit=1');
  assert.deepEqual([ids(limited), limited.total, limited.filtered], [['foo'], 3, 3]);
  assert.deepEqual(ids(await q('offset=1')), ['bar', 'baz']);
  assert.deepEqual(ids(await q('limit=1&offset=1')), ['bar']);
  assert.deepEqual(ids(await q('limit=2&offset=1&direction=desc')), ['bar', 'foo']);
}

function assertItemShape(item: Item): void {
  assert.deepEqual(Object.keys(item).sort(), ITEM_KEYS);
  assert.match(item.created_at, CREATED_AT);
  assert.deepEqual(item.metadata, {});
  assert.equal(item.acl, null);
}

await describeEachDialect('refresh token listing and deletion', { manualClock: true }, ({ server }) => {
  async function userWithTokens(tenant?: string) {
    const user = await createUser(server(), {}, { tenant });
    const createdAt = {
      foo: (await offline(server(), user, 'foo')).createdAt,
      bar: (await offline(server(), user, 'bar', true)).createdAt,
      baz: (await offline(server(), user, 'baz')).createdAt,
    };
    return { user, createdAt };
  }

  test('B36 a user list shows exactly the documented fields and never a refresh token value', async () => {
    const user = await createUser(server());
    const values = [
      (await offline(server(), user, 'foo')).value,
      (await offline(server(), user, 'bar', true)).value,
    ];
    const result = await get(server(), `/users/${user.uuid}/tokens`);
    for (const value of values) assert.equal(result.text.includes(value), false);
    const list = result.body as Listed;
    assert.deepEqual([list.total, list.filtered], [2, 2]);
    for (const item of list.items) {
      assertItemShape(item);
      assert.deepEqual([item.user_uuid, item.tenant_uuid], [user.uuid, user.tenant_uuid]);
    }
    assert.deepEqual(
      list.items.map((i) => [i.client_id, i.mobile]),
      [
        ['foo', false],
        ['bar', true],
      ],
    );
  });

  test('B36 created_at is the creation time in UTC with microseconds', async () => {
    const { user, createdAt } = await userWithTokens();
    const list = await listed(server(), `/users/${user.uuid}/tokens`);
    assert.deepEqual(
      list.items.map((i) => [i.client_id, i.created_at]),
      [
        ['foo', createdAt.foo],
        ['bar', createdAt.bar],
        ['baz', createdAt.baz],
      ],
    );
  });

  test('B36 per-user list: unknown user 404, params validated, search, filters, order, pagination', async () => {
    const { user } = await userWithTokens();
    const unknown = randomUUID();
    const missing = await get(server(), `/users/${unknown}/tokens`);
    assert.equal(missing.status, 404);
    assert.deepEqual((missing.body as { error_id: string; details: unknown }).error_id, 'unknown-user');
    const all = await listed(server(), `/users/${user.uuid}/tokens`);
    assert.deepEqual([ids(all), all.total, all.filtered], [['foo', 'bar', 'baz'], 3, 3]);
    await assertListBehaviours(server(), `/users/${user.uuid}/tokens`);
  });

  test('B37 /users/me/tokens: 401 without a token, the admin view of the user with one', async () => {
    const { user } = await userWithTokens();
    await grantAcl(server(), user, ['auth.users.me.tokens.read']);
    const token = (await login(server(), user.username, user.password)).token;
    const anonymous = await request(server(), '/users/me/tokens');
    assert.equal(anonymous.status, 401);
    assert.equal((anonymous.body as { error_id: string }).error_id, 'unauthorized');
    const mine = await listed(server(), '/users/me/tokens', { token });
    assert.deepEqual(mine, await listed(server(), `/users/${user.uuid}/tokens`));
    assert.deepEqual(ids(mine), ['foo', 'bar', 'baz']);
    const searched = await listed(server(), '/users/me/tokens?search=baz', { token });
    assert.deepEqual([ids(searched), searched.total, searched.filtered], [['baz'], 3, 1]);
    for (const param of BAD_PARAMS)
      assertInvalidListParam(await get(server(), `/users/me/tokens?${param}`, { token }), param);
  });

  test('B38 DELETE /users/me/tokens/{client_id}: 401 without a token or the ACL, 204, then 404', async () => {
    const { user } = await userWithTokens();
    const { user: other } = await userWithTokens();
    const plain = (await login(server(), user.username, user.password)).token;
    await grantAcl(server(), user, ['auth.users.me.tokens.*.delete']);
    const token = (await login(server(), user.username, user.password)).token;
    const del = (t?: string) => request(server(), '/users/me/tokens/foo', { method: 'DELETE', token: t });
    assert.equal((await del()).status, 401);
    assert.equal((await del(plain)).status, 401);
    assert.equal((await del(token)).status, 204);
    const again = await del(token);
    assert.equal(again.status, 404);
    assert.equal(
      (again.body as { error_id: string }).error_id,
      'cannot-find-refresh-token-matching-client-id',
    );
    assert.deepEqual(ids(await listed(server(), `/users/${user.uuid}/tokens`)), ['bar', 'baz']);
    assert.deepEqual(ids(await listed(server(), `/users/${other.uuid}/tokens`)), ['foo', 'bar', 'baz']);
  });

  test('B34 delete: unknown user 404, then 204, then 404 cannot-find-refresh-token-matching-client-id', async () => {
    const { user } = await userWithTokens();
    const unknown = randomUUID();
    const missingUser = await del(server(), `/users/${unknown}/tokens/foo`);
    assert.equal(missingUser.status, 404);
    assert.deepEqual(errorOf(missingUser), {
      error_id: 'unknown-user',
      resource: 'users',
      details: { uuid: unknown },
    });
    assert.equal((await del(server(), `/users/${user.uuid}/tokens/foo`)).status, 204);
    const again = await del(server(), `/users/${user.uuid}/tokens/foo`);
    assert.equal(again.status, 404);
    assert.deepEqual(errorOf(again), {
      error_id: 'cannot-find-refresh-token-matching-client-id',
      resource: 'tokens',
      details: { client_id: 'foo' },
    });
    assert.deepEqual(ids(await listed(server(), `/users/${user.uuid}/tokens`)), ['bar', 'baz']);
  });

  test('1.3 client_id with dots: the required ACL has them replaced by underscores', async () => {
    const user = await createUser(server());
    await grantAcl(server(), user, ['auth.users.me.tokens.my_app.delete']);
    const other = await createUser(server());
    await grantAcl(server(), other, ['auth.users.me.tokens.my.app.delete']);
    await offline(server(), user, 'my.app');
    await offline(server(), other, 'my.app');
    const otherToken = (await login(server(), other.username, other.password)).token;
    const refused = await del(server(), '/users/me/tokens/my.app', otherToken);
    assert.equal(refused.status, 401);
    const { required_access } = (refused.body as { details: { required_access: string } }).details;
    assert.equal(required_access, 'auth.users.me.tokens.my_app.delete');
    const token = (await login(server(), user.username, user.password)).token;
    const deleted = await del(server(), '/users/me/tokens/my.app', token);
    assert.equal(deleted.status, 204, deleted.text);
    assert.deepEqual(ids(await listed(server(), `/users/${user.uuid}/tokens`)), []);
    assert.deepEqual(ids(await listed(server(), `/users/${other.uuid}/tokens`)), ['my.app']);
    const data = { client_id: 'my.app', user_uuid: user.uuid, tenant_uuid: user.tenant_uuid, mobile: false };
    for (const suffix of ['created', 'deleted']) {
      const events = userEvents(server(), `auth_refresh_token_${suffix}`, user.uuid);
      assert.deepEqual(
        events.map((e) => [e.routingKey, e.data, e.tenantUuid]),
        [[`auth.users.${user.uuid}.tokens.my__DOT__app.${suffix}`, data, user.tenant_uuid]],
      );
    }
  });

  test('B39 GET /tokens lists the scoping tenant, recurse adds its subtree, an unrelated tenant sees none', async () => {
    const top = server().topTenantUuid;
    const sub = await createSubTenant(server(), top);
    const subSub = await createSubTenant(server(), sub);
    const sibling = await createSubTenant(server(), top);
    const s1 = await createUser(server(), {}, { tenant: sub });
    const s2 = await createUser(server(), {}, { tenant: sub });
    const s3 = await createUser(server(), {}, { tenant: subSub });
    await offline(server(), s1, 'foo');
    await offline(server(), s1, 'bar', true);
    await offline(server(), s2, 'baz');
    await offline(server(), s3, 'qux');

    const list = await listed(server(), '/tokens', { tenant: sub });
    assert.deepEqual([ids(list), list.total, list.filtered], [['foo', 'bar', 'baz'], 3, 3]);
    for (const item of list.items) assertItemShape(item);
    assert.deepEqual(
      list.items.map((i) => [i.user_uuid, i.tenant_uuid]),
      [
        [s1.uuid, sub],
        [s1.uuid, sub],
        [s2.uuid, sub],
      ],
    );
    const recursed = await listed(server(), '/tokens?recurse=true', { tenant: sub });
    assert.deepEqual(ids(recursed), ['foo', 'bar', 'baz', 'qux']);
    assert.deepEqual(recursed.items[3]?.tenant_uuid, subSub);
    assert.deepEqual(await listed(server(), '/tokens', { tenant: sibling }), {
      total: 0,
      filtered: 0,
      items: [],
    });
    assert.deepEqual(await listed(server(), '/tokens?recurse=true', { tenant: sibling }), {
      total: 0,
      filtered: 0,
      items: [],
    });
    const fromTop = await listed(server(), '/tokens');
    assert.equal(
      fromTop.items.some((i) => i.tenant_uuid === sub || i.tenant_uuid === subSub),
      false,
    );
    const fromTopRecursed = await listed(server(), '/tokens?recurse=true');
    const ours = fromTopRecursed.items.filter((i) => i.tenant_uuid === sub || i.tenant_uuid === subSub);
    assert.deepEqual(ids({ ...fromTopRecursed, items: ours }), ['foo', 'bar', 'baz', 'qux']);
    await assertListBehaviours(server(), '/tokens', sub);
  });

  test('B39 GET /tokens needs auth.tokens.read', async () => {
    const user = await createUser(server());
    const token = (await login(server(), user.username, user.password)).token;
    const refused = await request(server(), '/tokens', { token });
    assert.equal(refused.status, 401);
    assert.equal(
      (refused.body as { details: { required_access: string } }).details.required_access,
      'auth.tokens.read',
    );
    await grantAcl(server(), user, ['auth.tokens.read']);
    const allowed = await request(server(), '/tokens', {
      token: (await login(server(), user.username, user.password)).token,
    });
    assert.equal(allowed.status, 200, allowed.text);
  });

  test('B40 refresh tokens of sub-tenant users are visible from above, never from a sibling', async () => {
    const top = server().topTenantUuid;
    const sub = await createSubTenant(server(), top);
    const subSub = await createSubTenant(server(), sub);
    const sibling = await createSubTenant(server(), top);
    const { user: s1 } = await userWithTokens(sub);
    const { user: deep } = await userWithTokens(subSub);
    const fromTop = await listed(server(), `/users/${s1.uuid}/tokens`);
    assert.deepEqual(ids(fromTop), ['foo', 'bar', 'baz']);
    for (const item of fromTop.items) assert.deepEqual([item.user_uuid, item.tenant_uuid], [s1.uuid, sub]);

    const subToken = (await userWithAcl(server(), ['#'], { tenant: sub })).token.token;
    const deepFromSub = await listed(server(), `/users/${deep.uuid}/tokens`, { token: subToken });
    assert.deepEqual(
      deepFromSub.items.map((i) => i.tenant_uuid),
      [subSub, subSub, subSub],
    );
    assert.deepEqual(ids(await listed(server(), '/tokens', { token: subToken })), ['foo', 'bar', 'baz']);

    const siblingToken = (await userWithAcl(server(), ['#'], { tenant: sibling })).token.token;
    const hidden = await get(server(), `/users/${s1.uuid}/tokens`, { token: siblingToken });
    assert.equal(hidden.status, 404);
    assert.equal((hidden.body as { error_id: string }).error_id, 'unknown-user');
    const del = await request(server(), `/users/${s1.uuid}/tokens/foo`, {
      method: 'DELETE',
      token: siblingToken,
    });
    assert.equal(del.status, 404);
    assert.equal((del.body as { error_id: string }).error_id, 'unknown-user');
    const scoped = await get(server(), '/tokens', { token: siblingToken, tenant: sub });
    assert.equal(scoped.status, 401);
    assert.equal((scoped.body as { error_id: string }).error_id, 'unauthorized-tenant');
    assert.deepEqual(await listed(server(), '/tokens?recurse=true', { token: siblingToken }), {
      total: 0,
      filtered: 0,
      items: [],
    });
    assert.deepEqual(ids(await listed(server(), `/users/${s1.uuid}/tokens`)), ['foo', 'bar', 'baz']);
  });
});
