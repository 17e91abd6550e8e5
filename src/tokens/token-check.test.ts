import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { describeEachDialect } from '../testing/dialect-suite.ts';
import { adminToken, createUser, request, type TokenData } from '../testing/http-client.ts';
import { assertApiError, assertLegacyError, createSubTenant, userWithAcl } from '../testing/test-fixtures.ts';

await describeEachDialect('token checks', { manualClock: true }, ({ server }) => {
  const check = (token: string, query = '', method = 'GET') =>
    request(server(), `/token/${encodeURIComponent(token)}${query}`, { method });
  const scopes = (token: string, body: unknown) =>
    request(server(), `/token/${token}/scopes/check`, { method: 'POST', body });

  async function userToken(
    acl: string[] = [],
    options: { tenant?: string; body?: Record<string, unknown> } = {},
  ): Promise<TokenData> {
    return (await userWithAcl(server(), acl, options)).token;
  }

  test('C44 HEAD with a valid token is 204 with an empty body', async () => {
    const { token } = await userToken();
    const result = await check(token, '', 'HEAD');
    assert.equal(result.status, 204);
    assert.equal(result.text, '');
  });

  test('C45 HEAD with a malformed or over-long token is 404', async () => {
    assert.equal((await check('abcdef', '', 'HEAD')).status, 404);
    assertLegacyError(await check('abcdef'), 404, 'No such token');
    const long = await check('a'.repeat(300));
    assert.equal(long.status, 404);
    assert.equal(typeof long.body, 'object');
    assert.notEqual(long.body, null, 'the 404 body is JSON');
  });

  test('C46 GET returns auth_id, xivo_uuid, metadata.pbx_user_uuid and xivo_user_uuid', async () => {
    const issued = await userToken();
    const result = await check(issued.token);
    assert.equal(result.status, 200);
    assert.equal(result.headers.get('cache-control'), 'no-store');
    const data = (result.body as { data: Record<string, unknown> }).data;
    const userUuid = issued.metadata.uuid;
    assert.equal(typeof userUuid, 'string');
    assert.equal(data.token, issued.token);
    assert.equal(data.auth_id, userUuid);
    assert.equal(data.xivo_uuid, 'the-predefined-xivo-uuid');
    assert.equal((data.metadata as Record<string, unknown>).pbx_user_uuid, userUuid);
    assert.equal(data.xivo_user_uuid, userUuid);
    assert.equal(data.session_uuid, issued.session_uuid);
    assert.ok(!('refresh_token' in data) && !('pbx_user_uuid' in data));
  });

  test('C46 GET shows whole seconds: no fraction in local times, .000000 in UTC times', async () => {
    const { token } = await userToken();
    const data = ((await check(token)).body as { data: Record<string, string> }).data;
    for (const field of ['issued_at', 'expires_at']) {
      assert.match(data[field] ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/, field);
    }
    for (const field of ['utc_issued_at', 'utc_expires_at']) {
      assert.match(data[field] ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000000$/, field);
    }
  });

  test('C47 GET and HEAD after DELETE are 404 with the legacy "No such token" body', async () => {
    const { token } = await userToken();
    const deleted = await check(token, '', 'DELETE');
    assert.equal(deleted.status, 200);
    assert.deepEqual(deleted.body, { data: { message: 'success' } });
    assertLegacyError(await check(token), 404, 'No such token');
    assert.equal((await check(token, '', 'HEAD')).status, 404);
    assertLegacyError(await check(randomUUID()), 404, 'No such token');
  });

  test('C47 DELETE of an unknown or malformed token is 200 success', async () => {
    for (const token of [randomUUID(), 'abcdef']) {
      const result = await check(token, '', 'DELETE');
      assert.equal(result.status, 200, token);
      assert.deepEqual(result.body, { data: { message: 'success' } });
    }
  });

  test('C48 an expired token is 404 on HEAD, GET and scopes check', async () => {
    const { token } = await userToken([], { body: { expiration: 1 } });
    assert.equal((await check(token, '', 'HEAD')).status, 204);
    server().clock?.advance(2000);
    assert.equal((await check(token, '', 'HEAD')).status, 404);
    assertLegacyError(await check(token), 404, 'No such token');
    assertLegacyError(await scopes(token, { scopes: ['foo'] }), 404, 'No such token');
  });

  test('C49 a scope the token lacks is 403 on HEAD and GET; non-ASCII scopes are transliterated', async () => {
    const { token } = await userToken();
    assert.equal((await check(token, '?scope=foo', 'HEAD')).status, 403);
    assertLegacyError(await check(token, '?scope=foo'), 403, 'Unauthorized for foo');
    assert.equal((await check(token, `?scope=${encodeURIComponent('éric')}`, 'HEAD')).status, 403);
    assertLegacyError(
      await check(token, `?scope=${encodeURIComponent('éric')}`),
      403,
      'Unauthorized for eric',
    );
  });

  test('C50 a scope granted by a user policy gives HEAD 204 and GET 200', async () => {
    const { token } = await userToken(['foo', 'bar.*']);
    assert.equal((await check(token, '?scope=foo', 'HEAD')).status, 204);
    assert.equal((await check(token, '?scope=foo')).status, 200);
    assert.equal((await check(token, '?scope=bar.baz')).status, 200);
    assert.equal((await check(token, '?scope=bar.baz.qux', 'HEAD')).status, 403);
  });

  test('C51 tenant check: unknown tenant 403, own subtree allowed, ancestors refused', async () => {
    const top = server().topTenantUuid;
    const sub = await createSubTenant(server(), top);
    const subSub = await createSubTenant(server(), sub);
    const { token } = await userToken();
    const unknown = randomUUID();
    assert.equal((await check(token, `?tenant=${unknown}`, 'HEAD')).status, 403);
    assertLegacyError(await check(token, `?tenant=${unknown}`), 403, `Unauthorized for tenant ${unknown}`);
    for (const tenant of [top, sub, subSub]) {
      assert.equal((await check(token, `?tenant=${tenant}`, 'HEAD')).status, 204, tenant);
      assert.equal((await check(token, `?tenant=${tenant}`)).status, 200, tenant);
    }
    const subUser = await userToken([], { tenant: sub });
    assert.equal((await check(subUser.token, `?tenant=${sub}`, 'HEAD')).status, 204);
    assert.equal((await check(subUser.token, `?tenant=${subSub}`, 'HEAD')).status, 204);
    assert.equal((await check(subUser.token, `?tenant=${top}`, 'HEAD')).status, 403);
    assertLegacyError(await check(subUser.token, `?tenant=${top}`), 403, `Unauthorized for tenant ${top}`);
    const sibling = await createSubTenant(server(), top);
    assert.equal((await check(subUser.token, `?tenant=${sibling}`, 'HEAD')).status, 403);
  });

  test('C52 scopes check: all false without accesses, granted ones true, empty list, duplicates', async () => {
    const bare = await userToken();
    assert.deepEqual((await scopes(bare.token, { scopes: ['foo', 'bar'] })).body, {
      scopes: { foo: false, bar: false },
    });
    const { token } = await userToken(['foo']);
    const result = await scopes(token, { scopes: ['foo', 'bar', 'foo'] });
    assert.equal(result.status, 200);
    assert.deepEqual(result.body, { scopes: { foo: true, bar: false } });
    assert.deepEqual((await scopes(token, { scopes: [] })).body, { scopes: {} });
  });

  test('C52 scopes check: bad bodies are 400, unknown tokens 404', async () => {
    const { token } = await userToken();
    assert.equal((await scopes(token, { scopes: [1] })).status, 400);
    assert.equal((await scopes(token, { scopes: ['foo', { a: 1 }] })).status, 400);
    assert.equal((await scopes(token, {})).status, 400);
    assert.equal((await scopes(token, { tenant_uuid: server().topTenantUuid })).status, 400);
    assertLegacyError(await scopes(randomUUID(), { scopes: ['foo'] }), 404, 'No such token');
    assert.equal((await scopes('abcdef', { scopes: ['foo'] })).status, 404);
  });

  test('C52 scopes check: tenant_uuid follows the tenant rule', async () => {
    const top = server().topTenantUuid;
    const sub = await createSubTenant(server(), top);
    const { token } = await userToken(['foo']);
    const unknown = randomUUID();
    assertLegacyError(
      await scopes(token, { scopes: ['foo'], tenant_uuid: unknown }),
      403,
      `Unauthorized for tenant ${unknown}`,
    );
    for (const tenant of [top, sub]) {
      const ok = await scopes(token, { scopes: ['foo'], tenant_uuid: tenant });
      assert.deepEqual(ok.body, { scopes: { foo: true } }, tenant);
    }
    const subUser = await userToken([], { tenant: sub });
    assertLegacyError(
      await scopes(subUser.token, { scopes: [], tenant_uuid: top }),
      403,
      `Unauthorized for tenant ${top}`,
    );
    assert.equal((await scopes(subUser.token, { scopes: [], tenant_uuid: sub })).status, 200);
  });

  test('C53 me substitution: users.me.# grants me and the own uuid, not another uuid', async () => {
    const issued = await userToken(['users.me.#']);
    const own = String(issued.metadata.uuid);
    const other = randomUUID();
    const result = await scopes(issued.token, {
      scopes: [
        'users.me.123',
        `users.${own}.some_resource`,
        `users.${other}.some_resource`,
        'fire.the.missiles',
      ],
    });
    assert.deepEqual(result.body, {
      scopes: {
        'users.me.123': true,
        [`users.${own}.some_resource`]: true,
        [`users.${other}.some_resource`]: false,
        'fire.the.missiles': false,
      },
    });
  });

  test('C53 my_session, edit, *, # and negation through the scopes check', async () => {
    const session = await userToken(['auth.sessions.my_session.read', 'auth.emails.x.confirm.edit']);
    const other = randomUUID();
    assert.deepEqual(
      (
        await scopes(session.token, {
          scopes: [
            `auth.sessions.${session.session_uuid}.read`,
            'auth.sessions.my_session.read',
            `auth.sessions.${other}.read`,
            'auth.emails.x.confirm.update',
            'auth.emails.x.confirm.edit',
            'auth.emails.x.confirm.delete',
          ],
        })
      ).body,
      {
        scopes: {
          [`auth.sessions.${session.session_uuid}.read`]: true,
          'auth.sessions.my_session.read': true,
          [`auth.sessions.${other}.read`]: false,
          'auth.emails.x.confirm.update': true,
          'auth.emails.x.confirm.edit': true,
          'auth.emails.x.confirm.delete': false,
        },
      },
    );
    const wild = await userToken(['confd.users.*.read', 'dird.#']);
    assert.deepEqual(
      (
        await scopes(wild.token, {
          scopes: [
            'confd.users.42.read',
            'confd.users.42.lines.read',
            'Confd.users.42.read',
            'dird',
            'dird.a.b.c',
          ],
        })
      ).body,
      {
        scopes: {
          'confd.users.42.read': true,
          'confd.users.42.lines.read': false,
          'Confd.users.42.read': false,
          dird: false,
          'dird.a.b.c': true,
        },
      },
    );
    const negated = await userToken(['auth.#', '!auth.users.#']);
    assert.deepEqual(
      (await scopes(negated.token, { scopes: ['auth.users.1.read', 'auth.tenants.read'] })).body,
      {
        scopes: { 'auth.users.1.read': false, 'auth.tenants.read': true },
      },
    );
  });
});

await describeEachDialect('management route authorization', {}, ({ server }) => {
  async function userWith(acl: string[], tenant?: string): Promise<{ uuid: string; token: string }> {
    const { user, token } = await userWithAcl(server(), acl, { tenant });
    return { uuid: user.uuid, token: token.token };
  }

  test('§1.3 no X-Auth-Token or an unknown one is 401 not_found_or_expired', async () => {
    for (const token of [undefined, randomUUID()]) {
      const result = await request(server(), '/users', { token });
      const details = assertApiError(result, 401, 'unauthorized');
      assert.equal((result.body as { message: string }).message, 'Unauthorized');
      assert.equal(details.reason, 'not_found_or_expired');
      assert.equal(details.required_access, 'auth.users.read');
    }
  });

  test('§1.3 a token without the ACL is 401 missing_permission_or_invalid_tenant', async () => {
    const { token } = await userWith(['confd.#']);
    const result = await request(server(), '/users', { token });
    const details = assertApiError(result, 401, 'unauthorized');
    assert.equal(details.reason, 'missing_permission_or_invalid_tenant');
    assert.equal(details.required_access, 'auth.users.read');
  });

  test('§1.3 the required ACL is rendered with the path parameters', async () => {
    const target = await createUser(server());
    const other = await createUser(server());
    const { token } = await userWith([`auth.users.${target.uuid}.read`]);
    const allowed = await request(server(), `/users/${target.uuid}`, { token });
    assert.equal(allowed.status, 200, allowed.text);
    assert.equal((allowed.body as { uuid: string }).uuid, target.uuid);
    const refused = await request(server(), `/users/${other.uuid}`, { token });
    const details = assertApiError(refused, 401, 'unauthorized');
    assert.equal(details.reason, 'missing_permission_or_invalid_tenant');
    assert.equal(details.required_access, `auth.users.${other.uuid}.read`);
    const list = await request(server(), '/users', { token });
    assert.equal(assertApiError(list, 401, 'unauthorized').required_access as string, 'auth.users.read');
  });

  test('§1.4 Wazo-Tenant outside the caller subtree or not a UUID is 401 unauthorized-tenant', async () => {
    const sub = await createSubTenant(server());
    const sibling = await createSubTenant(server());
    const { token } = await userWith(['auth.users.#'], sub);
    for (const tenant of [server().topTenantUuid, sibling, randomUUID(), 'not-a-uuid']) {
      const result = await request(server(), '/users', { token, tenant });
      const details = assertApiError(result, 401, 'unauthorized-tenant');
      assert.equal(details.tenant_uuid, tenant);
    }
    assert.equal((await request(server(), '/users', { token, tenant: sub })).status, 200);
  });

  test('§1.4 Wazo-Tenant of a sub-tenant narrows GET /users to that tenant', async () => {
    const sub = await createSubTenant(server());
    const inSub = await createUser(server(), {}, { tenant: sub });
    const inTop = await createUser(server());
    const token = await adminToken(server());
    type List = { total: number; items: { uuid: string; tenant_uuid: string }[] };
    const narrowed = (await request(server(), '/users', { token, tenant: sub })).body as List;
    assert.deepEqual(
      narrowed.items.map((u) => u.uuid),
      [inSub.uuid],
    );
    assert.equal(narrowed.total, 1);
    const own = (await request(server(), '/users', { token })).body as List;
    const ownUuids = own.items.map((u) => u.uuid);
    assert.ok(ownUuids.includes(inTop.uuid) && ownUuids.includes(server().adminUuid));
    assert.ok(!ownUuids.includes(inSub.uuid));
    assert.ok(own.items.every((u) => u.tenant_uuid === server().topTenantUuid));
  });

  test('§1.4 a user outside the caller subtree is 404 unknown-user', async () => {
    const sub = await createSubTenant(server());
    const sibling = await createSubTenant(server());
    const caller = await userWith(['auth.users.#'], sub);
    const neighbour = await createUser(server(), {}, { tenant: sub });
    const stranger = await createUser(server(), {}, { tenant: sibling });
    const above = await createUser(server());
    assert.equal((await request(server(), `/users/${neighbour.uuid}`, { token: caller.token })).status, 200);
    for (const user of [stranger, above]) {
      assertApiError(
        await request(server(), `/users/${user.uuid}`, { token: caller.token }),
        404,
        'unknown-user',
      );
    }
    const admin = await adminToken(server());
    assert.equal((await request(server(), `/users/${stranger.uuid}`, { token: admin })).status, 200);
  });
});
