import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { requireBody } from '../../http/json-body.ts';
import type { OAuthScope } from './oauth-scope-repository.ts';
import {
  OAuthScopeCreateBody,
  OAuthScopeEditBody,
  OAuthScopeList,
  OAuthScopeListQuery,
  OAuthScopeObject,
  OAuthScopeParams,
} from './oauth-scope-schemas.ts';
import type { OAuthScopeService, ScopeView } from './oauth-scope-service.ts';

export interface OAuthScopeRoutesOptions {
  oauthScopeService: OAuthScopeService;
}

const config = (acl: string) => ({ acl, resource: 'oauth_scopes' });
const tags = ['oauth'];

/** Only a tenant's own scopes can change: config and protocol ones are listed read-only. */
export function renderScope(scope: ScopeView | OAuthScope) {
  const source = 'source' in scope ? scope.source : 'tenant';
  return {
    uuid: scope.uuid,
    tenant_uuid: scope.tenantUuid,
    name: scope.name,
    description: scope.description,
    acl: scope.acl,
    source,
    read_only: source !== 'tenant',
  };
}

/** OAuth scopes (issue #6 §3): named sets of ACL entries, per tenant. */
export const oauthScopeRoutes: FastifyPluginAsync<OAuthScopeRoutesOptions> = async (base, options) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const service = options.oauthScopeService;

  app.get(
    '/oauth/scopes',
    {
      config: config('auth.oauth.scopes.read'),
      schema: { tags, querystring: OAuthScopeListQuery, response: { 200: OAuthScopeList } },
    },
    async (request) => {
      const list = await service.list(request.auth, request.query);
      return { ...list, items: list.items.map(renderScope) };
    },
  );

  app.post(
    '/oauth/scopes',
    {
      config: config('auth.oauth.scopes.create'),
      schema: { tags, body: OAuthScopeCreateBody, response: { 200: OAuthScopeObject } },
      preValidation: requireBody,
    },
    async (request) => renderScope(await service.create(request.auth, request.body)),
  );

  app.get(
    '/oauth/scopes/:scope_uuid',
    {
      config: config('auth.oauth.scopes.{scope_uuid}.read'),
      schema: { tags, params: OAuthScopeParams, response: { 200: OAuthScopeObject } },
    },
    async (request) => renderScope(await service.get(request.auth, request.params.scope_uuid)),
  );

  app.put(
    '/oauth/scopes/:scope_uuid',
    {
      config: config('auth.oauth.scopes.{scope_uuid}.update'),
      schema: {
        tags,
        params: OAuthScopeParams,
        body: OAuthScopeEditBody,
        response: { 200: OAuthScopeObject },
      },
      preValidation: requireBody,
    },
    async (request) =>
      renderScope(await service.update(request.auth, request.params.scope_uuid, request.body)),
  );

  app.delete(
    '/oauth/scopes/:scope_uuid',
    { config: config('auth.oauth.scopes.{scope_uuid}.delete'), schema: { tags, params: OAuthScopeParams } },
    async (request, reply) => {
      await service.delete(request.auth, request.params.scope_uuid);
      return reply.code(204).send();
    },
  );
};
