import { isUuid } from '../../tokens/token.ts';
import type { DpopPresentation, TokenCheckService, TokenRefusal } from '../../tokens/token-check-service.ts';
import type { User } from '../../users/user.ts';
import type { UserRepository } from '../../users/user-repository.ts';
import { DPOP_ALGORITHMS } from '../dpop/dpop-proof.ts';
import { OAuthError } from '../oauth-error.ts';

/** The access token of a userinfo request and how it was presented (RFC 6750 §2.1, RFC 9449 §7.1). */
export type UserinfoCredentials =
  | { scheme: 'Bearer'; token: string }
  | { scheme: 'DPoP'; token: string; dpop: DpopPresentation | undefined };

export interface UserinfoDeps {
  tokenCheck: TokenCheckService;
  users: UserRepository;
}

export type UserinfoClaims = Record<string, string | boolean>;

/**
 * The OpenID Connect UserInfo endpoint (Core §5.3): the claims of the user an access token was
 * issued to, limited by the scopes granted with it (`metadata.scope`, set by the token endpoint).
 * Errors carry their RFC 6750 §3 `WWW-Authenticate` challenge.
 */
export class UserinfoService {
  readonly #deps: UserinfoDeps;

  constructor(deps: UserinfoDeps) {
    this.#deps = deps;
  }

  async claims(credentials: UserinfoCredentials | null): Promise<UserinfoClaims> {
    if (credentials === null) {
      // RFC 6750 §3.1: a request without credentials gets the challenges, no error code.
      throw new OAuthError('invalid_token', 'An access token is required.', {
        headers: { 'www-authenticate': `Bearer, DPoP algs="${DPOP_ALGORITHMS.join(' ')}"` },
      });
    }
    const token = await this.#authenticate(credentials);
    const scopes = grantedScopes(token.metadata.scope);
    if (!scopes.has('openid')) {
      throw new OAuthError('insufficient_scope', 'The access token was not issued with the openid scope.', {
        headers: {
          'www-authenticate': challenge(credentials.scheme, 'insufficient_scope', 'scope="openid"'),
        },
      });
    }
    const user = await this.#user(token.authId);
    if (user === null) throw invalidToken(credentials.scheme, 'invalid_token');
    return claimsOf(user, scopes);
  }

  async #authenticate(credentials: UserinfoCredentials) {
    const dpop = credentials.scheme === 'DPoP' ? credentials.dpop : undefined;
    // Bearer: no proof is passed, so a DPoP-bound token is refused (RFC 9449 §7.2).
    const result = await this.#deps.tokenCheck.authenticate(credentials.token, dpop);
    if ('refusal' in result) throw invalidToken(credentials.scheme, result.refusal);
    const { record } = result.token;
    // RFC 9449 §7.1: the DPoP scheme is for bound tokens; an unbound one is a bearer token.
    if (credentials.scheme === 'DPoP' && !record.dpopJkt) throw invalidToken('DPoP', 'invalid_token');
    return record;
  }

  async #user(authId: string): Promise<User | null> {
    if (!isUuid(authId)) return null;
    const candidate = await this.#deps.users.getLoginCandidate(authId);
    return candidate === null ? null : this.#deps.users.get(authId, [candidate.tenantUuid]);
  }
}

function grantedScopes(scope: unknown): Set<string> {
  return new Set(typeof scope === 'string' ? scope.split(' ').filter(Boolean) : []);
}

/** OIDC Core §5.4: `profile` and `email` claims; claims without a value are left out (§5.3.2). */
function claimsOf(user: User, scopes: Set<string>): UserinfoClaims {
  const claims: UserinfoClaims = { sub: user.uuid };
  if (scopes.has('profile')) {
    if (user.username) claims.preferred_username = user.username;
    if (user.firstname) claims.given_name = user.firstname;
    if (user.lastname) claims.family_name = user.lastname;
    const name = [user.firstname, user.lastname].filter(Boolean).join(' ');
    if (name) claims.name = name;
  }
  const main = user.emails.find((email) => email.main);
  if (scopes.has('email') && main) {
    claims.email = main.address;
    claims.email_verified = main.confirmed;
  }
  return claims;
}

function invalidToken(scheme: UserinfoCredentials['scheme'], refusal: TokenRefusal): OAuthError {
  const description =
    refusal === 'invalid_dpop_proof' ? 'The DPoP proof is not valid.' : 'The access token is not valid.';
  return new OAuthError(
    refusal === 'invalid_dpop_proof' ? 'invalid_dpop_proof' : 'invalid_token',
    description,
    {
      status: 401,
      headers: { 'www-authenticate': challenge(scheme, refusal) },
    },
  );
}

function challenge(scheme: UserinfoCredentials['scheme'], error: string, extra?: string): string {
  const parts = [`error="${error}"`];
  if (extra) parts.push(extra);
  if (scheme === 'DPoP') parts.push(`algs="${DPOP_ALGORITHMS.join(' ')}"`);
  return `${scheme} ${parts.join(', ')}`;
}
