import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { AuthContext } from '../http/auth-context.ts';
import type { ListParams } from '../http/list-query.ts';
import { type PolicyFilters, renderPolicy } from './policy.ts';
import type { PolicyAssociationService } from './policy-association-service.ts';
import {
  GroupParams,
  GroupPolicyParams,
  PolicyList,
  PolicyListQuery,
  UserParams,
  UserPolicyListQuery,
  UserPolicyParams,
} from './policy-schemas.ts';

export interface PolicyAssociationRoutesOptions {
  policyAssociationService: PolicyAssociationService;
}

type Owner = { kind: 'user' | 'group'; uuid: string };

/** wazo-auth's group_policy and user_policy plugins (§2.6, §2.8), UUID and slug forms alike. */
export const policyAssociationRoutes: FastifyPluginAsync<PolicyAssociationRoutesOptions> = async (
  base,
  options,
) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const service = options.policyAssociationService;
  const list = async (auth: AuthContext, owner: Owner, query: ListParams & PolicyFilters) => {
    const { visibility, ...result } = await service.list(auth, owner, query);
    return { ...result, items: result.items.map((policy) => renderPolicy(policy, visibility)) };
  };
  const group = (uuid: string): Owner => ({ kind: 'group', uuid });
  const user = (uuid: string): Owner => ({ kind: 'user', uuid });

  app.get(
    '/groups/:group_uuid/policies',
    {
      config: { acl: 'auth.groups.{group_uuid}.policies.read', resource: 'groups' },
      schema: {
        tags: ['groups'],
        params: GroupParams,
        querystring: PolicyListQuery,
        response: { 200: PolicyList },
      },
    },
    async (request) => list(request.auth, group(request.params.group_uuid), request.query),
  );

  app.put(
    '/groups/:group_uuid/policies/:policy_uuid',
    {
      config: { acl: 'auth.groups.{group_uuid}.policies.{policy_uuid}.create', resource: 'groups' },
      schema: { tags: ['groups'], params: GroupPolicyParams },
    },
    async (request, reply) => {
      await service.associate(request.auth, group(request.params.group_uuid), request.params.policy_uuid);
      return reply.code(204).send();
    },
  );

  app.delete(
    '/groups/:group_uuid/policies/:policy_uuid',
    {
      config: { acl: 'auth.groups.{group_uuid}.policies.{policy_uuid}.delete', resource: 'groups' },
      schema: { tags: ['groups'], params: GroupPolicyParams },
    },
    async (request, reply) => {
      await service.dissociate(request.auth, group(request.params.group_uuid), request.params.policy_uuid);
      return reply.code(204).send();
    },
  );

  app.get(
    '/users/:user_uuid/policies',
    {
      config: { acl: 'auth.users.{user_uuid}.policies.read', resource: 'users' },
      schema: {
        tags: ['users'],
        params: UserParams,
        querystring: UserPolicyListQuery,
        response: { 200: PolicyList },
      },
    },
    async (request) => list(request.auth, user(request.params.user_uuid), request.query),
  );

  app.put(
    '/users/:user_uuid/policies/:policy_uuid',
    {
      config: { acl: 'auth.users.{user_uuid}.policies.{policy_uuid}.create', resource: 'users' },
      schema: { tags: ['users'], params: UserPolicyParams },
    },
    async (request, reply) => {
      await service.associate(request.auth, user(request.params.user_uuid), request.params.policy_uuid);
      return reply.code(204).send();
    },
  );

  app.delete(
    '/users/:user_uuid/policies/:policy_uuid',
    {
      config: { acl: 'auth.users.{user_uuid}.policies.{policy_uuid}.delete', resource: 'users' },
      schema: { tags: ['users'], params: UserPolicyParams },
    },
    async (request, reply) => {
      await service.dissociate(request.auth, user(request.params.user_uuid), request.params.policy_uuid);
      return reply.code(204).send();
    },
  );
};
