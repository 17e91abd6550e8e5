import type { Logger } from 'pino';
import type { Config } from '../config/config-schema.ts';
import type { GroupRepository } from '../groups/group-repository.ts';
import type { PolicyRepository } from '../policies/policy-repository.ts';
import type { TenantRepository } from './tenant-repository.ts';

export interface TenantProvisioningDeps {
  tenants: TenantRepository;
  groups: GroupRepository;
  policies: PolicyRepository;
  log: Logger;
  config: Pick<Config, 'all_users_policies' | 'tenant_default_groups'>;
}

/**
 * What every tenant gets (wazo §4.3): its system-managed `wazo-all-users-tenant-<uuid>` group
 * carrying the enabled `all_users_policies`, and the configured `tenant_default_groups` with their
 * policies. Policies are looked up by slug in the top tenant; a missing one is logged and skipped,
 * so a configuration typo never blocks tenant creation. Idempotent.
 */
export async function provisionTenant(deps: TenantProvisioningDeps, tenantUuid: string): Promise<void> {
  const top = await deps.tenants.findTop();
  if (!top) throw new Error('top tenant missing');
  const allUsers = await deps.groups.ensureAllUsersGroup(tenantUuid);
  for (const [slug, enabled] of Object.entries(deps.config.all_users_policies)) {
    if (!enabled) continue;
    const policyUuid = await findPolicy(deps, top.uuid, slug, 'all_users_policies');
    if (policyUuid) await deps.policies.attachToGroup(allUsers, policyUuid);
  }
  await applyDefaultGroups(deps, top.uuid, tenantUuid);
}

/** Creates or updates the default groups of every tenant (at start, with update_policy_on_startup). */
export async function applyDefaultGroupsEverywhere(
  deps: Omit<TenantProvisioningDeps, 'config' | 'groups'> & {
    config: Pick<Config, 'tenant_default_groups'>;
  },
  topUuid: string,
): Promise<void> {
  if (Object.keys(deps.config.tenant_default_groups).length === 0) return;
  for (const tenantUuid of await deps.tenants.allUuids()) await applyDefaultGroups(deps, topUuid, tenantUuid);
}

/** wazo's DefaultGroupService: enabled policies are attached, disabled ones detached. */
async function applyDefaultGroups(
  deps: Pick<TenantProvisioningDeps, 'tenants' | 'policies' | 'log'> & {
    config: Pick<Config, 'tenant_default_groups'>;
  },
  topUuid: string,
  tenantUuid: string,
): Promise<void> {
  for (const [groupSlug, group] of Object.entries(deps.config.tenant_default_groups)) {
    const groupUuid = await deps.tenants.ensureDefaultGroup(tenantUuid, groupSlug);
    for (const [slug, enabled] of Object.entries(group.policies)) {
      const policyUuid = await findPolicy(deps, topUuid, slug, `tenant_default_groups.${groupSlug}`);
      if (!policyUuid) continue;
      if (enabled) await deps.policies.attachToGroup(groupUuid, policyUuid);
      else await deps.policies.detachFromGroup(groupUuid, policyUuid);
    }
  }
}

async function findPolicy(
  deps: Pick<TenantProvisioningDeps, 'policies' | 'log'>,
  topUuid: string,
  slug: string,
  setting: string,
): Promise<string | null> {
  const uuid = await deps.policies.findUuidBySlug(topUuid, slug);
  if (!uuid) deps.log.warn({ policy: slug, setting }, 'configured policy does not exist; skipped');
  return uuid;
}
