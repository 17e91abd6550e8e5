import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import { registerAuditHook } from './audit/audit-hook.ts';
import { configRoutes } from './config-api/config-routes.ts';
import type { Container } from './container.ts';
import { emailRoutes } from './emails/email-routes.ts';
import { DomainError } from './errors/domain-error.ts';
import { groupRoutes } from './groups/group-routes.ts';
import './http/auth-context.ts';
import { buildAuthHook } from './http/auth-hook.ts';
import { registerCors } from './http/cors.ts';
import { handleError } from './http/error-handler.ts';
import { registerJsonBody } from './http/json-body.ts';
import { registerValidators } from './http/validators.ts';
import { metricsRoutes, recordRequestMetrics } from './metrics/metrics-routes.ts';
import { passwordResetRoutes } from './password-reset/password-reset-routes.ts';
import { policyAssociationRoutes } from './policies/policy-association-routes.ts';
import { policyRoutes } from './policies/policy-routes.ts';
import { registrationRoutes } from './registration/registration-routes.ts';
import { apiSpecRoutes } from './status/api-spec-routes.ts';
import { statusRoutes } from './status/status-routes.ts';
import { tenantRoutes } from './tenants/tenant-routes.ts';
import { refreshTokenRoutes } from './tokens/refresh-token-routes.ts';
import { sessionRoutes } from './tokens/session-routes.ts';
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
  const app: FastifyInstance = Fastify({
    loggerInstance: container.log as FastifyBaseLogger,
    bodyLimit: config.http.body_limit_bytes,
    trustProxy: config.http.trusted_proxies.length > 0 ? [...config.http.trusted_proxies] : false,
    routerOptions: { maxParamLength: 200, ignoreTrailingSlash: true },
    exposeHeadRoutes: false,
    return503OnClosing: true,
    // Errors Fastify raises before routing (bad URL encoding, over-long parameters) get our JSON too.
    frameworkErrors: (error, request, reply) => handleError(error, request, reply),
  });
  registerValidators(app);
  registerJsonBody(app);
  app.setErrorHandler(handleError);
  app.setNotFoundHandler(() => {
    throw new DomainError('not-found');
  });
  app.addHook('onSend', async (_request, reply) => {
    reply.removeHeader('x-powered-by');
  });
  await registerCors(app, {
    enabled: config.http.cors_enabled,
    allowedOrigins: config.http.cors_allowed_origins,
  });
  app.addHook(
    'preValidation',
    buildAuthHook({ tokenCheck: container.tokenCheck, ...container.repositories }),
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
    transform: ({ schema, url }) => ({
      schema: schema as never,
      url: url.startsWith(prefix) ? url.slice(prefix.length) || '/' : url,
    }),
  });
  await app.register(apiRoutes(container), { prefix });
  return app;
}

/** Every wazo-auth plugin Gatehouse serves, under the API prefix. */
function apiRoutes(container: Container): FastifyPluginAsync {
  return async (api) => {
    await api.register(tokenRoutes, {
      tokenService: container.tokenService,
      tokenCheck: container.tokenCheck,
      maxExpirationSeconds: container.config.max_token_lifetime_seconds,
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
