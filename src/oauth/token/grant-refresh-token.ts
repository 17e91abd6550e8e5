import { newSessionId } from '../../crypto/token-values.ts';
import type { UserRepository } from '../../users/user-repository.ts';
import { OAuthError } from '../oauth-error.ts';
import { parseScope } from '../scopes/scope-catalog.ts';
import type { AccessTokenIssuer } from './access-token-issuer.ts';
import { requireBoundKey } from './dpop-binding.ts';
import type { FamilyRevocation } from './family-revocation.ts';
import { familyExpired, type RefreshFamilies } from './rotation.ts';
import type { TokenAcl } from './token-acl.ts';
import type { OAuthTokenRequest, OAuthTokenResponse } from './token-request.ts';
import { activeUser, tokenResponseOf } from './user-grant-issuer.ts';

export interface RefreshTokenGrantDeps {
  families: RefreshFamilies;
  revocation: FamilyRevocation;
  users: UserRepository;
  tokenAcl: TokenAcl;
  accessTokens: AccessTokenIssuer;
  now: () => number;
}

const INVALID = 'The refresh token is invalid, expired or revoked.';

/**
 * grant_type=refresh_token (RFC 6749 §6, RFC 9700 §4.14.2). Every check that does not spend the
 * token runs first: a token of another client is refused and left intact (S-RT-1). Then reuse
 * revokes the family (D3), and only then is the token spent (rotation.ts). The ACL is recomputed
 * from the user's current policies (B3); a narrower scope applies to this access token only.
 */
export class RefreshTokenGrant {
  readonly #deps: RefreshTokenGrantDeps;

  constructor(deps: RefreshTokenGrantDeps) {
    this.#deps = deps;
  }

  async handle(request: OAuthTokenRequest): Promise<OAuthTokenResponse> {
    const { client, params } = request;
    const presented = params.refresh_token;
    if (!presented) throw new OAuthError('invalid_request', 'refresh_token is required.');
    const match = await this.#deps.families.locate(presented);
    if (!match || match.grant.clientId !== client.clientId) throw new OAuthError('invalid_grant', INVALID);
    if (this.#deps.families.isReuse(match)) {
      await this.#deps.revocation.reuseDetected(match.grant, request);
      throw new OAuthError('invalid_grant', INVALID);
    }
    const { grant } = match;
    if (familyExpired(grant, client, this.#deps.now())) throw new OAuthError('invalid_grant', INVALID);
    requireBoundKey(grant.dpopJkt, request.dpopJkt);
    const scope = narrowedScope(grant.scope, parseScope(params.scope));
    const user = await activeUser(this.#deps.users, grant.userUuid);
    const sessionUuid = newSessionId();
    const acl = await this.#deps.tokenAcl.forUser(client, user.uuid, scope, sessionUuid);
    const refreshToken = await this.#deps.families.advance(match, presented, client);
    if (refreshToken === null) throw new OAuthError('invalid_grant', INVALID);
    const access = await this.#deps.accessTokens.issue({
      client,
      subject: { kind: 'user', user },
      scope,
      acl,
      grantUuid: grant.uuid,
      sessionUuid,
      dpopJkt: request.dpopJkt,
      grantType: 'refresh_token',
      remoteAddr: request.remoteAddr,
      userAgent: request.userAgent,
    });
    return { ...tokenResponseOf(access, scope), refresh_token: refreshToken };
  }
}

/** RFC 6749 §6: a refresh may ask for less than the grant, never more; the grant keeps its scope. */
export function narrowedScope(granted: readonly string[], requested: readonly string[]): string[] {
  if (requested.length === 0) return [...granted];
  if (requested.some((name) => !granted.includes(name))) {
    throw new OAuthError('invalid_scope', 'The requested scope exceeds the scope granted.');
  }
  return [...new Set(requested)];
}
