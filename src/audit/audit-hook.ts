import type { FastifyInstance, FastifyRequest } from 'fastify';
import { renderRequiredAcl } from '../http/auth-hook.ts';
import { clientAddress } from '../http/client-address.ts';
import type { AuditLog } from './audit-log.ts';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Audits the authenticated routes (those declaring `config.acl`) from one hook: a 401 or 403
 * is a refused authorization, a successful write is an administrative change (users, tenants,
 * groups, policies, emails, config…). `onSend` runs before the response leaves, so the line
 * exists by the time the client sees the answer. Logins are audited by the token service.
 */
export function registerAuditHook(app: FastifyInstance, audit: AuditLog): void {
  app.addHook('onSend', async (request, reply) => {
    const template = request.routeOptions.config.acl;
    if (!template) return;
    const status = reply.statusCode;
    if (status === 401 || status === 403) {
      audit.record({
        event: 'authorization',
        outcome: 'refused',
        ...who(request),
        http_method: request.method,
        route: routeOf(request),
        status,
        required_acl: renderRequiredAcl(template, paramsOf(request)),
      });
    } else if (status >= 200 && status < 300 && !READ_METHODS.has(request.method)) {
      audit.record({
        event: 'admin_change',
        outcome: 'success',
        ...who(request),
        http_method: request.method,
        route: routeOf(request),
        status,
        target: targetOf(request),
        tenant_uuid: request.auth?.tenantUuid ?? null,
      });
    }
  });
}

/** The caller: the auth_id of its token once the auth hook accepted it, or the one it refused. */
function who(request: FastifyRequest): { actor: string | null; source_ip: string } {
  return {
    actor: request.auth?.token.authId ?? request.auditActor ?? null,
    source_ip: clientAddress(request),
  };
}

function routeOf(request: FastifyRequest): string {
  return request.routeOptions.url ?? '';
}

function paramsOf(request: FastifyRequest): Record<string, string> {
  return (request.params ?? {}) as Record<string, string>;
}

/** Path parameters are ids; a parameter carrying a token value would never be kept. */
function targetOf(request: FastifyRequest): Record<string, string> {
  return Object.fromEntries(Object.entries(paramsOf(request)).filter(([name]) => !/token$/i.test(name)));
}
