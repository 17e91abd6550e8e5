import { intersectAcl } from '../../acl/acl-intersection.ts';
import type { PolicyRepository } from '../../policies/policy-repository.ts';
import type { OAuthClient } from '../clients/oauth-client.ts';
import { OAuthError } from '../oauth-error.ts';
import type { ScopeCatalog } from '../scopes/scope-catalog.ts';
import { clientAuthId } from './access-token-issuer.ts';

export interface TokenAclDeps {
  scopeCatalog: ScopeCatalog;
  policies: PolicyRepository;
  /** config default_user_policy, prepended to every user's ACL as token-service.ts does. */
  defaultUserPolicy: string | null;
}

/**
 * The ACL an OAuth access token carries (issue #6 §3): what its scopes stand for in the client's
 * tenant, limited to what the user holds *now* (B3: recomputed at every refresh, so a removed
 * policy or scope entry is gone from the next token) or, for client_credentials, to the client's acl.
 */
export class TokenAcl {
  readonly #deps: TokenAclDeps;

  constructor(deps: TokenAclDeps) {
    this.#deps = deps;
  }

  async forUser(
    client: OAuthClient,
    userUuid: string,
    scope: readonly string[],
    sessionUuid: string,
  ): Promise<string[]> {
    const [resolved, held] = await Promise.all([
      this.#deps.scopeCatalog.resolve(client.tenantUuid, scope),
      this.#deps.policies.effectiveAcl(userUuid, this.#deps.defaultUserPolicy || null),
    ]);
    return intersectAcl(resolved.acl, held, { authId: userUuid, sessionUuid });
  }

  async forClient(client: OAuthClient, scope: readonly string[], sessionUuid: string): Promise<string[]> {
    const resolved = await this.#deps.scopeCatalog.resolve(client.tenantUuid, scope);
    return intersectAcl(resolved.acl, client.acl, { authId: clientAuthId(client.clientId), sessionUuid });
  }

  /**
   * A scope the client asks for itself (client_credentials, device authorization): each name
   * must be one of the client's scopes and known in its tenant. None asked: all of the client's.
   */
  async validateRequested(client: OAuthClient, requested: readonly string[]): Promise<string[]> {
    const names = requested.length > 0 ? [...new Set(requested)] : client.scopes;
    const outside = names.filter((name) => !client.scopes.includes(name));
    if (outside.length > 0)
      throw new OAuthError('invalid_scope', 'A requested scope is not allowed for this client.');
    const resolved = await this.#deps.scopeCatalog.resolve(client.tenantUuid, names);
    // Names are not echoed: error_description allows only a restricted character set (RFC 6749 §5.2).
    if (resolved.unknown.length > 0) throw new OAuthError('invalid_scope', 'A requested scope is unknown.');
    return resolved.known;
  }
}
