import { guardOf } from '../acl/acl-grant-guard.ts';
import { newId } from '../crypto/token-values.ts';
import { chooseSlug } from '../groups/slug.ts';
import type { AuthContext } from '../http/auth-context.ts';
import type { ListParams, ListResult } from '../http/list-query.ts';
import { uniqueViolation } from '../storage/db-errors.ts';
import type { TenantRepository } from '../tenants/tenant-repository.ts';
import { isUuid } from '../tokens/token.ts';
import {
  duplicateAccess,
  duplicatePolicy,
  isReadOnly,
  type Policy,
  type PolicyFilters,
  type PolicyVisibility,
  readOnlyPolicy,
  unknownPolicy,
} from './policy.ts';
import type { PolicyRepository } from './policy-repository.ts';

export interface PolicyServiceDeps {
  policies: PolicyRepository;
  tenants: TenantRepository;
}

export interface PolicyInput {
  name: string;
  slug?: string;
  description?: string | null;
  acl?: string[];
  shared?: boolean;
}

/**
 * Who acts on policies: the scoping tenant, and the token whose ACL bounds what may be granted.
 * Routes pass their AuthContext; the operator's CLI passes its own full-rights caller.
 */
export type PolicyCaller = Pick<AuthContext, 'tenantUuid'> & {
  token: Pick<AuthContext['token'], 'acl' | 'authId' | 'sessionUuid'>;
};

/** A policy as found for a request, with the visibility it must be rendered with. */
export interface ResolvedPolicy {
  policy: Policy;
  visibility: PolicyVisibility;
}

/**
 * Policies (wazo §2.7) behind the strict privilege-escalation guard (§3.12, D12): whatever a caller
 * adds to or removes from a policy must be covered by its own token's ACL, negations included.
 */
export class PolicyService {
  readonly #deps: PolicyServiceDeps;

  constructor(deps: PolicyServiceDeps) {
    this.#deps = deps;
  }

  /** `{items, total}` only, as wazo (no `filtered` on this one list). */
  async list(auth: PolicyCaller, query: ListParams & PolicyFilters) {
    const visibility = await this.visibility(auth, query.recurse);
    const { items, total }: ListResult<Policy> = await this.#deps.policies.list(visibility, query, query);
    return { items, total, visibility };
  }

  /**
   * A UUID is looked up in the scoping tenant's subtree; anything else is a slug, resolved in the
   * scoping tenant only (plus what it inherits). Unknown or invisible → the legacy 404.
   */
  async resolve(auth: PolicyCaller, reference: string): Promise<ResolvedPolicy> {
    const byUuid = isUuid(reference);
    const visibility = await this.visibility(auth, byUuid);
    const key = byUuid ? { uuid: reference.toLowerCase() } : { slug: reference };
    const policy = await this.#deps.policies.find(key, visibility);
    if (!policy) throw unknownPolicy(reference);
    return { policy, visibility };
  }

  async create(auth: PolicyCaller, input: PolicyInput): Promise<ResolvedPolicy> {
    const acl = [...new Set(input.acl ?? [])];
    guardOf(auth.token).assertMayAdd(acl);
    const tenantUuid = auth.tenantUuid;
    const { policies } = this.#deps;
    const slug = await chooseSlug(input.slug, input.name, (s) => policies.slugTaken(tenantUuid, s));
    const policy: Policy = {
      uuid: newId(),
      tenantUuid,
      name: input.name,
      slug,
      description: input.description ?? null,
      acl,
      configManaged: false,
      shared: input.shared ?? false,
    };
    await this.#refuseInheritedDuplicates(policy);
    await translateConflicts(policy.name, () => policies.insert(policy));
    return this.resolve(auth, policy.uuid);
  }

  /** PUT replaces name, description and ACL; slug and shared are immutable. */
  async update(auth: AuthContext, reference: string, input: PolicyInput): Promise<ResolvedPolicy> {
    const { policy } = await this.#editable(auth, reference);
    const acl = [...new Set(input.acl ?? [])];
    const guard = guardOf(auth.token);
    guard.assertMayAdd(acl.filter((access) => !policy.acl.includes(access)));
    guard.assertMayRemove(policy.acl.filter((access) => !acl.includes(access)));
    const fields = { name: input.name, description: input.description ?? null, acl };
    await translateConflicts(input.name, () => this.#deps.policies.update(policy.uuid, fields));
    return this.resolve(auth, policy.uuid);
  }

  async delete(auth: AuthContext, reference: string): Promise<void> {
    const { policy } = await this.#editable(auth, reference);
    guardOf(auth.token).assertMayRemove(policy.acl);
    await this.#deps.policies.delete(policy.uuid);
  }

  async addAccess(auth: AuthContext, reference: string, access: string): Promise<void> {
    const { policy } = await this.#editable(auth, reference);
    guardOf(auth.token).assertMayAdd([access]);
    if (!(await this.#deps.policies.addAccess(policy.uuid, access))) throw duplicateAccess(access);
  }

  /** 204 even when the policy did not have the access (wazo §2.7). */
  async removeAccess(auth: AuthContext, reference: string, access: string): Promise<void> {
    const { policy } = await this.#editable(auth, reference);
    guardOf(auth.token).assertMayRemove([access]);
    await this.#deps.policies.removeAccess(policy.uuid, access);
  }

  /** What the scoping tenant sees: its subtree (or itself alone) plus what its line shares. */
  async visibility(auth: PolicyCaller, recurse: boolean): Promise<PolicyVisibility> {
    const requestingTenantUuid = auth.tenantUuid;
    const [tenantUuids, line] = await Promise.all([
      recurse ? this.#deps.tenants.subtree(requestingTenantUuid) : Promise.resolve([requestingTenantUuid]),
      this.#deps.policies.lineOf(requestingTenantUuid),
    ]);
    return { requestingTenantUuid, tenantUuids, line };
  }

  async #editable(auth: AuthContext, reference: string): Promise<ResolvedPolicy> {
    const resolved = await this.resolve(auth, reference);
    if (isReadOnly(resolved.policy, resolved.visibility)) throw readOnlyPolicy(resolved.policy.uuid);
    return resolved;
  }

  /** wazo §2.7: names and slugs may not shadow a shared policy above, nor be shadowed by a new shared one. */
  async #refuseInheritedDuplicates(policy: Policy): Promise<void> {
    const { policies, tenants } = this.#deps;
    const key = { name: policy.name, slug: policy.slug };
    const above = (await policies.lineOf(policy.tenantUuid)).filter((t) => t !== policy.tenantUuid);
    if (await policies.nameOrSlugTaken(above, key, true)) throw duplicatePolicy(policy.name);
    if (!policy.shared) return;
    const below = (await tenants.subtree(policy.tenantUuid)).filter((t) => t !== policy.tenantUuid);
    if (await policies.nameOrSlugTaken(below, key, false)) throw duplicatePolicy(policy.name);
  }
}

async function translateConflicts(name: string, write: () => Promise<void>): Promise<void> {
  try {
    await write();
  } catch (error) {
    if (uniqueViolation(error) === null) throw error;
    throw duplicatePolicy(name);
  }
}
