import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import { registerAuditHook } from './audit/audit-hook.ts';
import { configRoutes } from './config-api/config-routes.ts';
import type { Container } from './container.ts';
import { emailRoutes } from './emails/email-routes.ts';
import { DomainError } from './errors/domain-error.ts';
import { catalogEntry } from './errors/error-catalog.ts';
import { groupRoutes } from './groups/group-routes.ts';
import './http/auth-context.ts';
import { buildAuthHook } from './http/auth-hook.ts';
import { handleClientError, refuseConnect } from './http/client-error.ts';
import { registerCors } from './http/cors.ts';
import { handleError, legacyErrorBody } from './http/error-handler.ts';
import { registerJsonBody } from './http/json-body.ts';
import { RouteMethods } from './http/method-not-allowed.ts';
import { buildRequestRules, SINGLE_VALUED } from './http/request-rules.ts';
import { registerValidators } from './http/validators.ts';
import { metricsRoutes, recordRequestMetrics } from './metrics/metrics-routes.ts';
import { directDpop } from './oauth/dpop/dpop-request.ts';
import { oauthAdminRoutes } from './oauth/oauth-admin-routes.ts';
import { oauthRoutes } from './oauth/oauth-routes.ts';
import { passwordResetRoutes } from './password-reset/password-reset-routes.ts';
import { policyAssociationRoutes } from './policies/policy-association-routes.ts';
import { policyRoutes } from './policies/policy-routes.ts';
import { registrationRoutes } from './registration/registration-routes.ts';
import { apiSpecRoutes } from './status/api-spec-routes.ts';
import { statusRoutes } from './status/status-routes.ts';
import { tenantRoutes } from './tenants/tenant-routes.ts';
import { refreshTokenRoutes } from './tokens/refresh-token-routes.ts';
import { sessionRoutes } from './tokens/session-routes.ts';
import {
  corsHeadersWithoutOrigin,
  createCheckFastPath,
  type FastPath,
  serverWithFastPath,
} from './tokens/token-check-fast-path.ts';
import { missingScopeMessage } from './tokens/token-check-service.ts';
import { tokenRoutes } from './tokens/token-routes.ts';
import { userRoutes } from './users/user-routes.ts';

/** wazo-auth's API version prefix. */
export const API_PREFIX = '/0.1';

/**
 * Builds the HTTP application around a container; never listens (tests use it over loopback,
 * main.ts binds it). The route list is written out here, in the order it is registered.
 */
export async function buildApp(container: Container): Promise<FastifyInstance> {
  const { config } = container;
  const shutdown = { closing: false };
  const fastPath = checkFastPath(container, shutdown);
  const app: FastifyInstance = Fastify({
    ...(fastPath ? { serverFactory: serverWithFastPath(fastPath) } : {}),
    loggerInstance: container.log as FastifyBaseLogger,
    bodyLimit: config.http.body_limit_bytes,
    trustProxy: config.http.trusted_proxies.length > 0 ? [...config.http.trusted_proxies] : false,
    routerOptions: { maxParamLength: 200, ignoreTrailingSlash: true },
    exposeHeadRoutes: false,
    return503OnClosing: true,
    // Node's own limit on the request line plus headers: 431 above it (security.md FZ-HDR).
    // requireHostHeader off: Node's own 400 has no body; request-rules.ts answers in JSON instead.
    // Node looks for requests over requestTimeout every connectionsCheckingInterval (default 30 s),
    // and only when the timeout is given at construction: Fastify's later assignment is not enough.
    http: {
      maxHeaderSize: config.http.max_header_bytes,
      requireHostHeader: false,
      requestTimeout: config.http.request_timeout_ms,
      headersTimeout: config.http.request_timeout_ms,
      connectionsCheckingInterval: Math.min(5000, config.http.request_timeout_ms),
    },
    requestTimeout: config.http.request_timeout_ms,
    clientErrorHandler: handleClientError,
    // Errors Fastify raises before routing (bad URL encoding, over-long parameters) get our JSON too.
    frameworkErrors: (error, request, reply) => handleError(error, request, reply),
  });
  app.addHook('preClose', async () => {
    shutdown.closing = true;
  });
  registerValidators(app);
  registerJsonBody(app, { maxDepth: config.http.json_max_depth });
  app.setErrorHandler(handleError);
  const routeMethods = new RouteMethods();
  routeMethods.attach(app);
  app.setNotFoundHandler((request) => {
    routeMethods.assertMethodAllowed(request);
    throw new DomainError('not-found');
  });
  app.addHook('onRequest', buildRequestRules(routeMethods));
  app.server.on('connect', refuseConnect);
  app.addHook('onSend', async (_request, reply) => {
    reply.removeHeader('x-powered-by');
    // Every answer of an identity server is per-caller (tokens, users, sessions): no cache may keep
    // one (RFC 6749 §5.1, security.md P11 S-HDR-1). Routes may still set their own policy.
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    if (!reply.hasHeader('pragma')) reply.header('pragma', 'no-cache');
  });
  await registerCors(app, {
    enabled: config.http.cors_enabled,
    allowedOrigins: config.http.cors_allowed_origins,
  });
  app.addHook(
    'preValidation',
    buildAuthHook({
      tokenCheck: container.tokenCheck,
      ...container.repositories,
      dpopOf: (request) => directDpop(request, config.oauth.issuer),
    }),
  );
  registerAuditHook(app, container.audit);

  if (config.metrics.enabled) recordRequestMetrics(app, container.metrics);
  if (config.metrics.enabled && config.metrics.port === null) {
    await app.register(metricsRoutes, { metrics: container.metrics, prefix: config.http.path_prefix });
  }

  const prefix = `${config.http.path_prefix}${API_PREFIX}`;
  await app.register(swagger, {
    // wazo's api.yml documents HEAD /token/{token}; clients rely on it, so HEAD routes are listed.
    exposeHeadRoutes: true,
    openapi: {
      info: {
        title: 'Gatehouse',
        version: '0.1',
        description: 'wazo-auth compatible identity and token server',
      },
      servers: [{ url: prefix }],
      components: { securitySchemes: { token: { type: 'apiKey', in: 'header', name: 'X-Auth-Token' } } },
    },
    // The OAuth endpoints (/oauth2/, /.well-known/, outside the API prefix) are described by their
    // discovery documents (RFC 8414, OIDC Discovery) and docs/oauth.md, not by wazo's api.yml.
    transform: ({ schema, url }) => ({
      schema: (isOAuthUrl(url, config.http.path_prefix) ? { ...schema, hide: true } : schema) as never,
      url: url.startsWith(prefix) ? url.slice(prefix.length) || '/' : url,
    }),
  });
  await app.register(apiRoutes(container), { prefix });
  if (config.oauth.enabled) {
    container.oauth.issuer.bind(app.server);
    await app.register(oauthRoutes(container), { prefix: config.http.path_prefix });
  }
  return app;
}

function isOAuthUrl(url: string, pathPrefix: string): boolean {
  return url.startsWith(`${pathPrefix}/oauth2/`) || url.startsWith(`${pathPrefix}/.well-known/`);
}

/** Every wazo-auth plugin Gatehouse serves, under the API prefix. */
function apiRoutes(container: Container): FastifyPluginAsync {
  return async (api) => {
    await api.register(tokenRoutes, {
      tokenService: container.tokenService,
      tokenCheck: container.tokenCheck,
      maxExpirationSeconds: container.config.max_token_lifetime_seconds,
      scopeCaps: {
        maxScopeLength: container.config.http.max_scope_length,
        maxScopesPerCheck: container.config.http.max_scopes_per_check,
      },
    });
    await api.register(refreshTokenRoutes, { refreshTokenService: container.refreshTokenService });
    await api.register(sessionRoutes, { sessionService: container.sessionService });
    await api.register(userRoutes, { userService: container.userService });
    await api.register(tenantRoutes, { tenantService: container.tenantService });
    await api.register(groupRoutes, { groupService: container.groupService });
    await api.register(policyRoutes, { policyService: container.policyService });
    await api.register(policyAssociationRoutes, {
      policyAssociationService: container.policyAssociationService,
    });
    await api.register(oauthAdminRoutes, {
      clientService: container.oauth.clientService,
      scopeService: container.oauth.scopeService,
    });
    await api.register(emailRoutes, {
      emailService: container.emailService,
      confirmedPage: {
        body: container.config.email_confirmation.get_response_body,
        mimetype: container.config.email_confirmation.get_mimetype,
      },
    });
    await api.register(passwordResetRoutes, { passwordResetService: container.passwordResetService });
    if (container.config.user_registration_enabled) {
      await api.register(registrationRoutes, { registrationService: container.registrationService });
    }
    await api.register(configRoutes, { configService: container.configService });
    await api.register(statusRoutes, { ping: () => container.storage.ping(), backends: ['wazo_user'] });
    await api.register(apiSpecRoutes);
  };
}

/**
 * The framework-free answer to `HEAD /token/{t}?scope=` checks the cache can answer (204, 403,
 * 404), or null when it is switched off or the CORS setup makes headers depend on the request.
 */
function checkFastPath(container: Container, shutdown: { closing: boolean }): FastPath | null {
  const { config, metrics, tokenCheck } = container;
  const headers = corsHeadersWithoutOrigin({
    enabled: config.http.cors_enabled,
    allowedOrigins: config.http.cors_allowed_origins,
  });
  if (!config.token_cache.fast_path || headers === null) return null;
  const route = `${config.http.path_prefix}${API_PREFIX}/token/:token`;
  const notFound = catalogEntry('no-such-token');
  const forbidden = catalogEntry('missing-scope');
  return createCheckFastPath({
    routePrefix: `${config.http.path_prefix}${API_PREFIX}/token/`,
    verdictFromCache: (token, scope) => tokenCheck.verdictFromCache(token, scope),
    headers,
    // What handleError renders for no-such-token and missing-scope (legacy shape, wazo §3.6).
    refusalBody: (verdict, scope) => {
      const [status, message] =
        verdict === 'unknown' || scope === undefined
          ? [notFound.status, notFound.message]
          : [forbidden.status, missingScopeMessage(scope)];
      return JSON.stringify(legacyErrorBody(status, message, Date.now() / 1000));
    },
    isClosing: () => shutdown.closing,
    singleValuedHeaders: SINGLE_VALUED,
    maxPlainScopeLength: Math.min(512, config.http.max_scope_length),
    recorders: config.metrics.enabled
      ? {
          valid: metrics.checkRecorder('HEAD', route, 204, 'valid'),
          forbidden: metrics.checkRecorder('HEAD', route, 403, 'forbidden'),
          unknown: metrics.checkRecorder('HEAD', route, 404, 'unknown'),
        }
      : null,
  });
}
