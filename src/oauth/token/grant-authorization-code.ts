import type {
  AuthorizationCode,
  AuthorizationCodeRepository,
} from '../codes/authorization-code-repository.ts';
import { digestAuthorizationCode } from '../codes/code-values.ts';
import { OAuthError } from '../oauth-error.ts';
import { parseScope } from '../scopes/scope-catalog.ts';
import { requireBoundKey } from './dpop-binding.ts';
import type { FamilyRevocation } from './family-revocation.ts';
import { isWellFormedVerifier, verifierMatches } from './pkce.ts';
import type { OAuthTokenRequest, OAuthTokenResponse } from './token-request.ts';
import type { UserGrantIssuer } from './user-grant-issuer.ts';

export interface AuthorizationCodeGrantDeps {
  codes: AuthorizationCodeRepository;
  userGrants: UserGrantIssuer;
  revocation: FamilyRevocation;
  now: () => number;
}

const INVALID = 'The authorization code is invalid, expired or already used.';

/**
 * grant_type=authorization_code (RFC 6749 §4.1.3, RFC 7636 §4.6, OAuth 2.1). A malformed request
 * is refused before the code is looked at; a well-formed one spends it (one conditional update),
 * whatever the outcome of the checks that follow. A code presented again revokes what its first
 * redemption issued (RFC 6749 §4.1.2).
 */
export class AuthorizationCodeGrant {
  readonly #deps: AuthorizationCodeGrantDeps;

  constructor(deps: AuthorizationCodeGrantDeps) {
    this.#deps = deps;
  }

  async handle(request: OAuthTokenRequest): Promise<OAuthTokenResponse> {
    const { code, code_verifier: verifier, redirect_uri: redirectUri } = request.params;
    if (!code) throw new OAuthError('invalid_request', 'code is required.');
    // A code always has a challenge: no verifier is a PKCE downgrade attempt (RFC 9700 §4.8).
    if (!isWellFormedVerifier(verifier))
      throw new OAuthError('invalid_grant', 'A valid code_verifier is required.');
    const redemption = await this.#deps.codes.redeem(digestAuthorizationCode(code), this.#deps.now());
    if (redemption.outcome === 'reused') {
      await this.#deps.revocation.revoke(
        redemption.grantUuid,
        redemption.sessionUuid ? [redemption.sessionUuid] : [],
      );
      throw new OAuthError('invalid_grant', INVALID);
    }
    if (redemption.outcome !== 'redeemed') throw new OAuthError('invalid_grant', INVALID);
    const stored = redemption.code;
    this.#check(stored, request, verifier, redirectUri);
    const issued = await this.#deps.userGrants.issue({
      request,
      userUuid: stored.userUuid,
      scope: parseScope(stored.scope),
      authTimeMs: stored.authTimeMs,
      nonce: stored.nonce,
      dpopJkt: request.dpopJkt,
      grantType: 'authorization_code',
    });
    await this.#deps.codes.recordIssued(stored.codeHash, {
      grantUuid: issued.grantUuid,
      sessionUuid: issued.sessionUuid,
    });
    return issued.response;
  }

  /** Bound to its client, its exact redirect URI (RFC 9700 §4.1.3), its PKCE challenge and DPoP key. */
  #check(
    stored: AuthorizationCode,
    request: OAuthTokenRequest,
    verifier: string,
    redirectUri?: string,
  ): void {
    if (stored.clientId !== request.client.clientId) throw new OAuthError('invalid_grant', INVALID);
    if (!sameRedirect(stored.redirectUri, redirectUri, request.client.redirectUris)) {
      throw new OAuthError('invalid_grant', 'redirect_uri does not match the authorization request.');
    }
    if (!verifierMatches(verifier, stored.codeChallenge)) {
      throw new OAuthError('invalid_grant', 'code_verifier does not match the code challenge.');
    }
    requireBoundKey(stored.dpopJkt, request.dpopJkt);
  }
}

/**
 * The redirect URI sent to /authorize must be sent again, identical (RFC 6749 §4.1.3). One left out
 * at both steps is accepted only for a client with a single registered URI, the one /authorize
 * then used (OAuth 2.1 §4.1.1): no other URI could have received the code.
 */
function sameRedirect(stored: string, presented: string | undefined, registered: readonly string[]): boolean {
  if (presented !== undefined) return presented === stored;
  return registered.length === 1 && registered[0] === stored;
}
