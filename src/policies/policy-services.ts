import type { GroupRepository } from '../groups/group-repository.ts';
import { GroupService } from '../groups/group-service.ts';
import type { TenantRepository } from '../tenants/tenant-repository.ts';
import type { UserRepository } from '../users/user-repository.ts';
import { PolicyAssociationService } from './policy-association-service.ts';
import type { PolicyRepository } from './policy-repository.ts';
import { PolicyService } from './policy-service.ts';

export interface GroupPolicyDeps {
  groups: GroupRepository;
  policies: PolicyRepository;
  users: UserRepository;
  tenants: TenantRepository;
}

/** The services of the groups and policies API (wazo §2.6–§2.8), wired for the container. */
export function buildGroupPolicyServices(deps: GroupPolicyDeps) {
  const policyService = new PolicyService({ policies: deps.policies, tenants: deps.tenants });
  return {
    groupService: new GroupService({ groups: deps.groups, users: deps.users, tenants: deps.tenants }),
    policyService,
    policyAssociationService: new PolicyAssociationService({ ...deps, policyService }),
  };
}
