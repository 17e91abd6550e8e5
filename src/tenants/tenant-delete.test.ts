import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { describeEachDialect } from '../testing/dialect-suite.ts';
import { login, postRefreshToken, tokenStatus } from '../testing/http-client.ts';
import {
  assertApiError,
  assertSessionDeleted,
  newUser,
  upsertPolicy,
  userWithAcl,
} from '../testing/test-fixtures.ts';
import type { TestServer } from '../testing/test-server.ts';
import { createTenant, type TenantBody, tenantRequest, uniqueDomain } from './tenant-test-fixtures.ts';

/** How many rows of `table` belong to the tenant. */
async function owned(
  server: TestServer,
  table: 'auth_user' | 'auth_group' | 'auth_policy' | 'auth_tenant_domain' | 'auth_address' | 'auth_session',
  tenantUuid: string,
) {
  const row = await server.container.storage.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('tenant_uuid', '=', tenantUuid)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

async function parentOf(server: TestServer, uuid: string): Promise<string> {
  const result = await tenantRequest(server, 'GET', `/tenants/${uuid}`);
  return (result.body as TenantBody).parent_uuid;
}

/** DELETE /tenants/{uuid} and PUT /tenants/{uuid}/parent/{parent_uuid} (wazo §2.5, security T7, CC-4). */
await describeEachDialect('tenants delete and re-parent', {}, ({ server }) => {
  test('T7 DELETE /tenants/{uuid} ends its sessions at once, deletes what it owns, publishes events', async () => {
    const tenant = await createTenant(server(), {
      domain_names: [uniqueDomain()],
      address: { city: 'Here' },
    });
    const alice = await newUser(server(), {}, tenant.uuid);
    const bob = await newUser(server(), {}, tenant.uuid);
    const outsider = await newUser(server());
    await upsertPolicy(server(), tenant.uuid, ['x.y']);
    const aliceToken = await login(server(), alice.username, alice.password, {
      access_type: 'offline',
      client_id: 'app',
    });
    const bobToken = await login(server(), bob.username, bob.password);
    const outsiderToken = await login(server(), outsider.username, outsider.password);
    // Checked once so that each token sits in the token cache before the deletion.
    for (const t of [aliceToken, bobToken, outsiderToken])
      assert.equal(await tokenStatus(server(), t.token), 204);
    server().events.clear();

    const deleted = await tenantRequest(server(), 'DELETE', `/tenants/${tenant.uuid}`);
    assert.equal(deleted.status, 204, deleted.text);
    assert.equal(deleted.text, '');
    assert.equal(await tokenStatus(server(), aliceToken.token), 404);
    assert.equal(await tokenStatus(server(), bobToken.token), 404);
    assert.equal(await tokenStatus(server(), outsiderToken.token), 204);
    assertSessionDeleted(server(), alice, aliceToken.session_uuid);
    assertSessionDeleted(server(), bob, bobToken.session_uuid);
    assert.equal(server().events.named('auth_session_deleted').length, 2);
    assert.deepEqual(server().events.named('auth_tenant_deleted'), [
      {
        name: 'auth_tenant_deleted',
        routingKey: `auth.tenants.${tenant.uuid}.deleted`,
        data: { uuid: tenant.uuid },
        tenantUuid: tenant.uuid,
        userUuids: [],
      },
    ]);
    const refresh = await postRefreshToken(server(), aliceToken.refresh_token as string, 'app');
    assert.equal(refresh.status, 401, refresh.text);
    for (const table of [
      'auth_user',
      'auth_group',
      'auth_policy',
      'auth_tenant_domain',
      'auth_address',
      'auth_session',
    ] as const) {
      assert.equal(await owned(server(), table, tenant.uuid), 0, table);
    }
    assertApiError(await tenantRequest(server(), 'GET', `/users/${alice.uuid}`), 404, 'unknown-user');
    assertApiError(await tenantRequest(server(), 'GET', `/tenants/${tenant.uuid}`), 404, 'unknown-tenant');
    assertApiError(await tenantRequest(server(), 'DELETE', `/tenants/${tenant.uuid}`), 404, 'unknown-tenant');
    // Its domain name is free again.
    await createTenant(server(), { domain_names: tenant.domain_names });
  });

  test('§2.5 DELETE /tenants/{uuid} of the scoping tenant itself is 403 deleting-own-tenant-forbidden', async () => {
    const a = await createTenant(server());
    const { token } = await userWithAcl(server(), ['#'], { tenant: a.uuid });
    const own = await tenantRequest(server(), 'DELETE', `/tenants/${a.uuid}`, { token: token.token });
    assert.deepEqual(assertApiError(own, 403, 'deleting-own-tenant-forbidden'), { tenant_uuid: a.uuid });
    assert.equal((own.body as { resource: string }).resource, 'tenants');
    const scoped = await tenantRequest(server(), 'DELETE', `/tenants/${a.uuid}`, { tenant: a.uuid });
    assertApiError(scoped, 403, 'deleting-own-tenant-forbidden');
    const top = await tenantRequest(server(), 'DELETE', `/tenants/${server().topTenantUuid}`);
    assertApiError(top, 403, 'deleting-own-tenant-forbidden');
    assert.equal(await tokenStatus(server(), token.token), 204);
    assert.equal((await tenantRequest(server(), 'GET', `/tenants/${a.uuid}`)).status, 200);
  });

  test('§2.5 DELETE /tenants/{uuid} of a tenant with children is 400; 404 when unknown', async () => {
    const parent = await createTenant(server());
    const child = await createTenant(server(), {}, { tenant: parent.uuid });
    const user = await newUser(server(), {}, parent.uuid);
    const token = await login(server(), user.username, user.password);
    const refused = await tenantRequest(server(), 'DELETE', `/tenants/${parent.uuid}`);
    assertApiError(refused, 400, 'tenant-has-children');
    assert.equal(await tokenStatus(server(), token.token), 204);
    assert.equal((await tenantRequest(server(), 'DELETE', `/tenants/${child.uuid}`)).status, 204);
    assert.equal((await tenantRequest(server(), 'DELETE', `/tenants/${parent.uuid}`)).status, 204);
    assert.equal(await tokenStatus(server(), token.token), 404);
    assertApiError(
      await tenantRequest(server(), 'DELETE', `/tenants/${randomUUID()}`),
      404,
      'unknown-tenant',
    );
    assert.equal((await tenantRequest(server(), 'DELETE', '/tenants/not-a-uuid')).status, 404);
  });

  test('§2.5 PUT /tenants/{uuid}/parent/{parent_uuid} moves a tenant and its subtree', async () => {
    const a = await createTenant(server());
    const b = await createTenant(server());
    const c = await createTenant(server(), {}, { tenant: a.uuid });
    const d = await createTenant(server(), {}, { tenant: c.uuid });
    const { token: adminOfA } = await userWithAcl(server(), ['#'], { tenant: a.uuid });
    const moved = await tenantRequest(server(), 'PUT', `/tenants/${c.uuid}/parent/${b.uuid}`);
    assert.equal(moved.status, 204, moved.text);
    assert.equal(await parentOf(server(), c.uuid), b.uuid);
    assert.equal(await parentOf(server(), d.uuid), c.uuid);
    for (const uuid of [c.uuid, d.uuid]) {
      const hidden = await tenantRequest(server(), 'GET', `/tenants/${uuid}`, { token: adminOfA.token });
      assertApiError(hidden, 404, 'unknown-tenant');
      assert.equal(
        (await tenantRequest(server(), 'GET', `/tenants/${uuid}`, { tenant: b.uuid })).status,
        200,
      );
    }
    const again = await tenantRequest(server(), 'PUT', `/tenants/${c.uuid}/parent/${b.uuid}`);
    assert.equal(again.status, 204);
  });

  test('§2.5 re-parenting under the tenant itself or a descendant is 409 and changes nothing', async () => {
    const a = await createTenant(server());
    const c = await createTenant(server(), {}, { tenant: a.uuid });
    const d = await createTenant(server(), {}, { tenant: c.uuid });
    const top = server().topTenantUuid;
    for (const [uuid, parent] of [
      [a.uuid, d.uuid],
      [a.uuid, c.uuid],
      [a.uuid, a.uuid],
      [top, a.uuid],
      [top, top],
    ]) {
      const result = await tenantRequest(server(), 'PUT', `/tenants/${uuid}/parent/${parent}`);
      assert.ok('parent_uuid' in assertApiError(result, 409, 'conflict'), `${uuid} under ${parent}`);
    }
    assert.equal(await parentOf(server(), a.uuid), top);
    assert.equal(await parentOf(server(), top), top);
    const { token } = await userWithAcl(server(), ['#'], { tenant: a.uuid });
    const own = await tenantRequest(server(), 'PUT', `/tenants/${a.uuid}/parent/${d.uuid}`, {
      token: token.token,
    });
    assertApiError(own, 409, 'conflict');
    const up = await tenantRequest(server(), 'PUT', `/tenants/${a.uuid}/parent/${top}`, {
      token: token.token,
    });
    assertApiError(up, 404, 'unknown-tenant');
    const listed = await tenantRequest(server(), 'GET', '/tenants', { tenant: a.uuid });
    assert.equal((listed.body as { total: number }).total, 3);
  });

  test('§2.5 PUT /tenants/{uuid}/parent/{parent_uuid} is 404 for an unknown tenant or parent', async () => {
    const a = await createTenant(server());
    const unknown = randomUUID();
    assertApiError(
      await tenantRequest(server(), 'PUT', `/tenants/${unknown}/parent/${a.uuid}`),
      404,
      'unknown-tenant',
    );
    assertApiError(
      await tenantRequest(server(), 'PUT', `/tenants/${a.uuid}/parent/${unknown}`),
      404,
      'unknown-tenant',
    );
    assert.equal((await tenantRequest(server(), 'PUT', `/tenants/${a.uuid}/parent/nope`)).status, 404);
  });
});
