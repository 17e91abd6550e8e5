import type { Logger } from 'pino';
import type { Config } from '../config/config-schema.ts';
import { newId } from '../crypto/token-values.ts';
import type { GroupRepository } from '../groups/group-repository.ts';
import type { PolicyRepository } from '../policies/policy-repository.ts';
import { applyDefaultGroupsEverywhere } from '../tenants/tenant-provisioning.ts';
import type { Tenant, TenantRepository } from '../tenants/tenant-repository.ts';

/** The policy holding `#`, given to the bootstrap administrator (wazo §4.2). */
export const MASTER_POLICY_SLUG = 'wazo_default_master_user_policy';

export interface ProvisionDeps {
  tenants: TenantRepository;
  groups: GroupRepository;
  policies: PolicyRepository;
  log: Logger;
  now: () => number;
  config: Pick<
    Config,
    'default_policies' | 'all_users_policies' | 'tenant_default_groups' | 'update_policy_on_startup'
  >;
}

/**
 * What every database needs before serving (wazo §4.2, §4.3): the top tenant with its all-users
 * group, the `#` master policy, and the configured policies. Idempotent and safe when several
 * instances start at once.
 */
export async function provision(deps: ProvisionDeps): Promise<Tenant> {
  const top = await deps.tenants.ensureTop(newId(), deps.now());
  await deps.groups.ensureAllUsersGroup(top.uuid);
  await deps.policies.upsert({
    tenantUuid: top.uuid,
    slug: MASTER_POLICY_SLUG,
    description: 'Policy of the bootstrap administrator; it grants everything. Do not modify.',
    acl: ['#'],
    configManaged: false,
  });
  if (deps.config.update_policy_on_startup) {
    await applyConfiguredPolicies(deps, top);
    await applyDefaultGroupsEverywhere(deps, top.uuid);
  }
  return top;
}

async function applyConfiguredPolicies(deps: ProvisionDeps, top: Tenant): Promise<void> {
  for (const [slug, definition] of Object.entries(deps.config.default_policies)) {
    await deps.policies.upsert({
      tenantUuid: top.uuid,
      slug,
      description: definition.description ?? null,
      acl: definition.acl,
      configManaged: true,
    });
  }
  const groups = await deps.groups.listAllUsersGroups();
  for (const [slug, attach] of Object.entries(deps.config.all_users_policies)) {
    const policyUuid = await deps.policies.findUuidBySlug(top.uuid, slug);
    if (!policyUuid) {
      deps.log.warn({ policy: slug }, 'all_users_policies names a policy that does not exist');
      continue;
    }
    for (const group of groups) {
      if (attach) await deps.policies.attachToGroup(group, policyUuid);
      else await deps.policies.detachFromGroup(group, policyUuid);
    }
  }
}
