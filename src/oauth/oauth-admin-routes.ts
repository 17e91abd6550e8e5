import type { FastifyPluginAsync } from 'fastify';
import { oauthClientRoutes } from './clients/oauth-client-routes.ts';
import type { OAuthClientService } from './clients/oauth-client-service.ts';
import { oauthScopeRoutes } from './scopes/oauth-scope-routes.ts';
import type { OAuthScopeService } from './scopes/oauth-scope-service.ts';

export interface OAuthAdminRoutesOptions {
  clientService: OAuthClientService;
  scopeService: OAuthScopeService;
}

/**
 * The management side of OAuth (issue #6 §2, §3) under /0.1, with wazo's ACLs, tenants and error
 * bodies; the protocol endpoints are in oauth-routes.ts, outside the prefix.
 */
export const oauthAdminRoutes: FastifyPluginAsync<OAuthAdminRoutesOptions> = async (api, options) => {
  await api.register(oauthClientRoutes, { oauthClientService: options.clientService });
  await api.register(oauthScopeRoutes, { oauthScopeService: options.scopeService });
};
