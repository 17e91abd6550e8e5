import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeEachDialect } from '../testing/dialect-suite.ts';
import { createSubTenant, newUser } from '../testing/test-fixtures.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';
import { createTenant } from './tenant-test-fixtures.ts';

const config = {
  default_policies: { tenant_all_users: { acl: ['tenants.test.access'] }, tenant_ops: { acl: ['ops.#'] } },
  all_users_policies: { tenant_all_users: true },
  tenant_default_groups: { operators: { policies: { tenant_ops: true, no_such_policy: true } } },
};

/** The policy slugs of a group of the tenant, found by group slug. */
async function groupPolicies(server: TestServer, tenantUuid: string, groupSlug: string) {
  const rows = await server.container.storage.db
    .selectFrom('auth_group as g')
    .leftJoin('auth_group_policy as gp', 'gp.group_uuid', 'g.uuid')
    .leftJoin('auth_policy as p', 'p.uuid', 'gp.policy_uuid')
    .select(['g.system_managed', 'p.slug'])
    .where('g.tenant_uuid', '=', tenantUuid)
    .where('g.slug', '=', groupSlug)
    .execute();
  return rows;
}

/** What every tenant gets (wazo §4.3): the all-users group and the configured default groups. */
await describeEachDialect('tenant provisioning', { config }, ({ server }) => {
  test('§4.3 a new tenant gets its all-users group with all_users_policies and the default groups', async () => {
    const tenant = await createTenant(server());
    const allUsers = await groupPolicies(server(), tenant.uuid, `wazo-all-users-tenant-${tenant.uuid}`);
    assert.deepEqual(
      allUsers.map((r) => [Boolean(r.system_managed), r.slug]),
      [[true, 'tenant_all_users']],
    );
    const operators = await groupPolicies(server(), tenant.uuid, 'operators');
    assert.deepEqual(
      operators.map((r) => [Boolean(r.system_managed), r.slug]),
      [[false, 'tenant_ops']],
    );
    assert.ok(server().logs.some((line) => line.includes('no_such_policy')));
    // A user created in the tenant gets the all-users policy through the group.
    const user = await newUser(server(), {}, tenant.uuid);
    const acl = await server().container.repositories.policies.effectiveAcl(user.uuid, null);
    assert.ok(acl.includes('tenants.test.access'), JSON.stringify(acl));
  });

  test('§4.3 at start the default groups are created or updated in every existing tenant', async () => {
    const viaApi = await createTenant(server());
    const raw = await createSubTenant(server());
    assert.deepEqual(await groupPolicies(server(), raw, 'operators'), []);
    const top = await groupPolicies(server(), server().topTenantUuid, 'operators');
    assert.deepEqual(
      top.map((r) => r.slug),
      ['tenant_ops'],
    );
    const restarted = await startTestServer(server().dialect, {
      shareDatabaseWith: server(),
      config: {
        ...config,
        tenant_default_groups: {
          operators: { policies: { tenant_ops: false } },
          auditors: { policies: { tenant_all_users: true } },
        },
      },
    });
    try {
      for (const tenant of [viaApi.uuid, raw, server().topTenantUuid]) {
        assert.deepEqual(
          (await groupPolicies(server(), tenant, 'operators')).map((r) => r.slug),
          [null],
          tenant,
        );
        const auditors = await groupPolicies(server(), tenant, 'auditors');
        assert.deepEqual(
          auditors.map((r) => [Boolean(r.system_managed), r.slug]),
          [[false, 'tenant_all_users']],
        );
      }
    } finally {
      await restarted.close();
    }
  });
});
