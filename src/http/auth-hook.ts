import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../errors/domain-error.ts';
import type { TenantRepository } from '../tenants/tenant-repository.ts';
import { isUuid } from '../tokens/token.ts';
import type { DpopPresentation, TokenCheckService, ValidToken } from '../tokens/token-check-service.ts';
import type { UserRepository } from '../users/user-repository.ts';
import type { AuthContext } from './auth-context.ts';

export interface AuthHookDeps {
  tokenCheck: TokenCheckService;
  users: UserRepository;
  tenants: TenantRepository;
  /** The `DPoP` proof of the request, for DPoP-bound tokens (RFC 9449 §7: such a token is no bearer token). */
  dpopOf?: (request: FastifyRequest) => DpopPresentation | undefined;
}

/**
 * Authorizes management routes the way wazo-auth does (§1.3, §1.4): the route's ACL template is
 * filled from the path, the X-Auth-Token must be live and grant it (401 otherwise, never 403),
 * then Wazo-Tenant may narrow the scope to a tenant of the caller's subtree.
 */
export function buildAuthHook(deps: AuthHookDeps) {
  return async function authorize(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const template = request.routeOptions.config.acl;
    if (!template) return;
    const required = renderRequiredAcl(template, request.params as Record<string, string>);
    const token = await deps.tokenCheck.find(
      String(request.headers['x-auth-token'] ?? ''),
      deps.dpopOf?.(request),
    );
    if (!token) throw unauthorized(required, 'not_found_or_expired');
    request.auditActor = token.record.authId;
    const callerTenantUuid = await callerTenant(deps, token);
    if (!token.acl().grants(required)) {
      throw unauthorized(required, 'missing_permission_or_invalid_tenant', callerTenantUuid);
    }
    request.auth = await scope(deps, token, callerTenantUuid, request.headers['wazo-tenant']);
  };
}

export function renderRequiredAcl(template: string, params: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? '').replaceAll('.', '_'));
}

async function callerTenant(deps: AuthHookDeps, token: ValidToken): Promise<string> {
  const { record } = token;
  const user = isUuid(record.authId) ? await deps.users.getLoginCandidate(record.authId) : null;
  if (user) return user.tenantUuid;
  const fromMetadata = record.metadata.tenant_uuid;
  return typeof fromMetadata === 'string' ? fromMetadata : record.sessionTenantUuid;
}

async function scope(
  deps: AuthHookDeps,
  token: ValidToken,
  callerTenantUuid: string,
  header: string | string[] | undefined,
): Promise<AuthContext> {
  const requested = Array.isArray(header) ? header[0] : header;
  let tenantUuid = callerTenantUuid;
  if (requested) {
    const allowed = isUuid(requested) && (await deps.tenants.isInSubtree(callerTenantUuid, requested));
    if (!allowed) throw new DomainError('unauthorized-tenant', { details: { tenant_uuid: requested } });
    tenantUuid = requested;
  }
  const userUuid = isUuid(token.record.authId) ? token.record.authId : null;
  return { token: token.record, userUuid, callerTenantUuid, tenantUuid, acl: token.acl() };
}

function unauthorized(requiredAccess: string, reason: string, tenantUuid?: string): DomainError {
  return new DomainError('unauthorized', {
    details: {
      invalid_token: null,
      reason,
      required_access: requiredAccess,
      ...(tenantUuid ? { tenant_uuid: tenantUuid } : {}),
    },
  });
}
