import { DomainError } from '../errors/domain-error.ts';

export interface Policy {
  uuid: string;
  tenantUuid: string;
  name: string;
  slug: string;
  description: string | null;
  acl: string[];
  configManaged: boolean;
  shared: boolean;
}

/**
 * Which policies a request sees (wazo §2.7): those of `tenantUuids`, plus every config-managed
 * policy and the shared policies of the requesting tenant's line of ancestors (`line`).
 */
export interface PolicyVisibility {
  requestingTenantUuid: string;
  tenantUuids: readonly string[];
  line: readonly string[];
}

/** Exact-match filters of GET /policies (wazo §2.7). */
export interface PolicyFilters {
  uuid?: string;
  name?: string;
  slug?: string;
  user_uuid?: string;
  group_uuid?: string;
  tenant_uuid?: string;
  read_only?: boolean;
}

/**
 * A policy as seen from a tenant: inherited ones (config-managed, or shared by an ancestor) are
 * reported in the requesting tenant, read-only, and not shared from there (wazo's `*_exposed`).
 */
export function renderPolicy(policy: Policy, visibility: PolicyVisibility) {
  const inherited =
    (policy.configManaged || policy.shared) && !visibility.tenantUuids.includes(policy.tenantUuid);
  const tenantUuid = inherited ? visibility.requestingTenantUuid : policy.tenantUuid;
  const foreign = tenantUuid !== policy.tenantUuid;
  return {
    uuid: policy.uuid,
    tenant_uuid: tenantUuid,
    name: policy.name,
    slug: policy.slug,
    description: policy.description,
    acl: policy.acl,
    read_only: policy.configManaged || (policy.shared && foreign),
    shared: policy.shared && !foreign,
  };
}

/** Whether a caller of this visibility may change the policy: not config-managed nor inherited. */
export function isReadOnly(policy: Policy, visibility: PolicyVisibility): boolean {
  return renderPolicy(policy, visibility).read_only;
}

export function unknownPolicy(reference: string): DomainError {
  return new DomainError('unknown-policy', { message: `No such policy ${reference}` });
}

export function readOnlyPolicy(uuid: string): DomainError {
  return new DomainError('read-only-policy', { message: `Forbidden policy modification: "${uuid}"` });
}

export function duplicatePolicy(name: string): DomainError {
  return new DomainError('duplicate-policy', { message: `Policy "${name}" already exists` });
}

export function duplicateAccess(access: string): DomainError {
  return new DomainError('duplicate-access', { message: `Policy already associated to ${access}` });
}
