import formBody from '@fastify/formbody';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Container } from '../container.ts';
import { registerAuthorizePages } from './authorize/authorize-pages.ts';
import { registerMetadataRoutes } from './metadata/metadata-routes.ts';
import { handleOAuthError } from './oauth-error.ts';
import { oidcRoutes } from './oidc/oidc-routes.ts';
import { registerTokenRoutes } from './token/token-routes.ts';

/**
 * The OAuth 2.1 / OpenID Connect endpoints, outside wazo's /0.1 prefix: /oauth2/* and
 * /.well-known/*. Forms (application/x-www-form-urlencoded, RFC 6749 §3.2) are parsed here only,
 * and errors take the RFC 6749 shape here only: both are encapsulated in this plugin. They stay
 * out of wazo's api.yml (the swagger transform in app.ts): discovery describes them (RFC 8414).
 */
export function oauthRoutes(container: Container): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    await app.register(formBody, { bodyLimit: 64 * 1024 });
    app.setErrorHandler(handleOAuthError);
    await registerAuthorizePages(app, container);
    registerTokenRoutes(app, container.oauthTokens, container.oauth.issuer);
    registerMetadataRoutes(app, container.oauth);
    await app.register(oidcRoutes, {
      keyring: container.oauth.keyring,
      userinfo: container.oauth.userinfo,
      configuredIssuer: container.config.oauth.issuer,
    });
  };
}
