import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { requireBody } from '../http/json-body.ts';
import { renderPolicy } from './policy.ts';
import {
  PolicyAccessParams,
  PolicyCreateBody,
  PolicyEditBody,
  PolicyListBody,
  PolicyListQuery,
  PolicyObject,
  PolicyParams,
  rejectInvalidPolicyInput,
} from './policy-schemas.ts';
import type { PolicyService, ResolvedPolicy } from './policy-service.ts';

export interface PolicyRoutesOptions {
  policyService: PolicyService;
}

const tags = ['policies'];
/** wazo's policy errors are legacy-shaped (§1.5); bodies are checked in the handler for that reason. */
const config = (acl: string) => ({ acl, errorShape: 'legacy' as const });
const render = ({ policy, visibility }: ResolvedPolicy) => renderPolicy(policy, visibility);

/** wazo-auth's policies plugin (§2.7); `{policy_uuid}` also takes a slug, as wazo's slug routes. */
export const policyRoutes: FastifyPluginAsync<PolicyRoutesOptions> = async (base, options) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const service = options.policyService;

  app.get(
    '/policies',
    {
      config: config('auth.policies.read'),
      schema: { tags, querystring: PolicyListQuery, response: { 200: PolicyListBody } },
    },
    async (request) => {
      const { items, total, visibility } = await service.list(request.auth, request.query);
      return { items: items.map((policy) => renderPolicy(policy, visibility)), total };
    },
  );

  app.post(
    '/policies',
    {
      config: config('auth.policies.create'),
      schema: { tags, body: PolicyCreateBody, response: { 200: PolicyObject } },
      preValidation: requireBody,
      attachValidation: true,
    },
    async (request) => {
      rejectInvalidPolicyInput(request);
      return render(await service.create(request.auth, request.body));
    },
  );

  app.get(
    '/policies/:policy_uuid',
    {
      config: config('auth.policies.{policy_uuid}.read'),
      schema: { tags, params: PolicyParams, response: { 200: PolicyObject } },
    },
    async (request) => render(await service.resolve(request.auth, request.params.policy_uuid)),
  );

  app.put(
    '/policies/:policy_uuid',
    {
      config: config('auth.policies.{policy_uuid}.update'),
      schema: { tags, params: PolicyParams, body: PolicyEditBody, response: { 200: PolicyObject } },
      preValidation: requireBody,
      attachValidation: true,
    },
    async (request) => {
      rejectInvalidPolicyInput(request);
      return render(await service.update(request.auth, request.params.policy_uuid, request.body));
    },
  );

  app.delete(
    '/policies/:policy_uuid',
    { config: config('auth.policies.{policy_uuid}.delete'), schema: { tags, params: PolicyParams } },
    async (request, reply) => {
      await service.delete(request.auth, request.params.policy_uuid);
      return reply.code(204).send();
    },
  );

  app.put(
    '/policies/:policy_uuid/acl/:access',
    { config: config('auth.policies.{policy_uuid}.update'), schema: { tags, params: PolicyAccessParams } },
    async (request, reply) => {
      await service.addAccess(request.auth, request.params.policy_uuid, request.params.access);
      return reply.code(204).send();
    },
  );

  app.delete(
    '/policies/:policy_uuid/acl/:access',
    { config: config('auth.policies.{policy_uuid}.update'), schema: { tags, params: PolicyAccessParams } },
    async (request, reply) => {
      await service.removeAccess(request.auth, request.params.policy_uuid, request.params.access);
      return reply.code(204).send();
    },
  );
};
