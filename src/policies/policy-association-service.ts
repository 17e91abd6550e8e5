import { guardOf } from '../acl/acl-grant-guard.ts';
import { unknownGroup } from '../groups/group.ts';
import type { GroupRepository } from '../groups/group-repository.ts';
import type { AuthContext } from '../http/auth-context.ts';
import type { ListParams } from '../http/list-query.ts';
import type { TenantRepository } from '../tenants/tenant-repository.ts';
import { unknownUser } from '../users/user.ts';
import type { UserRepository } from '../users/user-repository.ts';
import type { PolicyFilters } from './policy.ts';
import type { PolicyRepository } from './policy-repository.ts';
import type { PolicyService } from './policy-service.ts';

export interface PolicyAssociationDeps {
  policyService: PolicyService;
  policies: PolicyRepository;
  groups: GroupRepository;
  users: UserRepository;
  tenants: TenantRepository;
}

type Owner = { kind: 'user' | 'group'; uuid: string };

/**
 * Group ↔ policy and user ↔ policy links (wazo §2.6, §2.8). Associating a policy hands out all its
 * accesses, so the caller must be allowed to add each of them (D12); dissociating needs the right
 * to remove each. Unlike wazo, the user routes are tenant-scoped too: a user outside the scoping
 * subtree is a 404 (S-TEN-1).
 */
export class PolicyAssociationService {
  readonly #deps: PolicyAssociationDeps;

  constructor(deps: PolicyAssociationDeps) {
    this.#deps = deps;
  }

  async list(auth: AuthContext, owner: Owner, query: ListParams & PolicyFilters) {
    await this.#requireOwner(auth, owner);
    const visibility = await this.#deps.policyService.visibility(auth, true);
    const scope = owner.kind === 'user' ? { userUuid: owner.uuid } : { groupUuid: owner.uuid };
    return { ...(await this.#deps.policies.list(visibility, query, query, scope)), visibility };
  }

  async associate(auth: AuthContext, owner: Owner, policyReference: string): Promise<void> {
    await this.#requireOwner(auth, owner);
    const { policy } = await this.#deps.policyService.resolve(auth, policyReference);
    guardOf(auth.token).assertMayAdd(policy.acl);
    if (owner.kind === 'user') await this.#deps.policies.attachToUser(owner.uuid, policy.uuid);
    else await this.#deps.policies.attachToGroup(owner.uuid, policy.uuid);
  }

  /** 204 also when the two were not associated. */
  async dissociate(auth: AuthContext, owner: Owner, policyReference: string): Promise<void> {
    await this.#requireOwner(auth, owner);
    const { policy } = await this.#deps.policyService.resolve(auth, policyReference);
    guardOf(auth.token).assertMayRemove(policy.acl);
    if (owner.kind === 'user') await this.#deps.policies.detachFromUser(owner.uuid, policy.uuid);
    else await this.#deps.policies.detachFromGroup(owner.uuid, policy.uuid);
  }

  async #requireOwner(auth: AuthContext, owner: Owner): Promise<void> {
    const visible = await this.#deps.tenants.subtree(auth.tenantUuid);
    if (owner.kind === 'user') {
      if (!(await this.#deps.users.get(owner.uuid, visible))) throw unknownUser(owner.uuid);
    } else if (!(await this.#deps.groups.get(owner.uuid, visible))) {
      throw unknownGroup(owner.uuid);
    }
  }
}
