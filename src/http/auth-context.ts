import type { CompiledAcl } from '../acl/acl-matcher.ts';
import type { AccessToken } from '../tokens/token.ts';

/** Who is calling a management route, resolved once per request by the auth hook. */
export interface AuthContext {
  token: AccessToken;
  /** The user the token belongs to, when it belongs to one. */
  userUuid: string | null;
  /** The caller's own tenant (the user's tenant, or the token's for server tokens). */
  callerTenantUuid: string;
  /** The tenant the request is scoped to: Wazo-Tenant when given (already checked), else the caller's. */
  tenantUuid: string;
  acl: CompiledAcl;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Required ACL template; `{param}` is replaced by the path parameter with dots turned into underscores. */
    acl?: string;
    /** Token routes answer in wazo's legacy `reason` shape. */
    errorShape?: 'legacy' | 'api';
    /** wazo's `resource` for invalid-data errors of this route. */
    resource?: string;
  }
  interface FastifyRequest {
    auth: AuthContext;
    /** The auth_id of a token the auth hook refused for its ACL or tenant (for the audit line). */
    auditActor?: string;
  }
}
