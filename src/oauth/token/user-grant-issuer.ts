import { newSessionId } from '../../crypto/token-values.ts';
import type { LoginCandidate } from '../../users/user.ts';
import type { UserRepository } from '../../users/user-repository.ts';
import type { Issuer } from '../issuer.ts';
import { OAuthError } from '../oauth-error.ts';
import { buildIdTokenClaims } from '../oidc/id-token-claims.ts';
import type { IdTokenSigner } from '../oidc/id-token-signer.ts';
import type { AccessTokenIssuer, IssuedAccessToken } from './access-token-issuer.ts';
import type { FamilyRevocation } from './family-revocation.ts';
import type { RefreshFamilies } from './rotation.ts';
import type { TokenAcl } from './token-acl.ts';
import type { OAuthTokenRequest, OAuthTokenResponse } from './token-request.ts';

export interface UserGrantIssuerDeps {
  users: UserRepository;
  tokenAcl: TokenAcl;
  accessTokens: AccessTokenIssuer;
  families: RefreshFamilies;
  revocation: FamilyRevocation;
  issuer: Issuer;
  /** Read at each issuance: the OIDC keyring fills it after start-up, or never. */
  idTokenSigner: () => IdTokenSigner | null;
  now: () => number;
}

export interface UserGrantOrder {
  request: OAuthTokenRequest;
  userUuid: string;
  scope: string[];
  authTimeMs: number;
  nonce: string | null;
  /** The key the tokens are bound to (RFC 9449), or null. */
  dpopJkt: string | null;
  grantType: string;
}

export interface UserGrantIssued {
  response: OAuthTokenResponse;
  grantUuid: string | null;
  sessionUuid: string;
}

/** The user must still exist and be enabled at every issuance (S-GATE-1, S-RT-4). */
export async function activeUser(users: UserRepository, uuid: string | null): Promise<LoginCandidate> {
  const user = uuid ? await users.getLoginCandidate(uuid) : null;
  if (!user?.enabled) throw new OAuthError('invalid_grant', 'The user is disabled or no longer exists.');
  return user;
}

/**
 * The first issuance of a user's grant (authorization code, device code): an access token; a
 * refresh-token family when the client may refresh (offline_access is not required: the client's
 * refresh_token grant type is the operator's decision); an ID token when openid was granted and
 * a signer exists.
 */
export class UserGrantIssuer {
  readonly #deps: UserGrantIssuerDeps;

  constructor(deps: UserGrantIssuerDeps) {
    this.#deps = deps;
  }

  async issue(order: UserGrantOrder): Promise<UserGrantIssued> {
    const { client } = order.request;
    const user = await activeUser(this.#deps.users, order.userUuid);
    const sessionUuid = newSessionId();
    const acl = await this.#deps.tokenAcl.forUser(client, user.uuid, order.scope, sessionUuid);
    const family = await this.#startFamily(order, user);
    const grantUuid = family?.grant.uuid ?? null;
    const access = await this.#deps.accessTokens
      .issue({
        client,
        subject: { kind: 'user', user },
        scope: order.scope,
        acl,
        grantUuid,
        sessionUuid,
        dpopJkt: order.dpopJkt,
        grantType: order.grantType,
        remoteAddr: order.request.remoteAddr,
        userAgent: order.request.userAgent,
      })
      .catch(async (error: unknown) => {
        // No token was handed out: the family must not outlive the failed issuance.
        await this.#deps.revocation.revoke(grantUuid);
        throw error;
      });
    const idToken = await this.#idToken(order, user, access);
    return {
      response: {
        ...tokenResponseOf(access, order.scope),
        ...(family ? { refresh_token: family.value } : {}),
        ...(idToken ? { id_token: idToken } : {}),
      },
      grantUuid,
      sessionUuid: access.sessionUuid,
    };
  }

  /** A refresh-token family when the client may refresh; bound to the DPoP key of the request. */
  #startFamily(order: UserGrantOrder, user: LoginCandidate) {
    const { client } = order.request;
    if (!client.grantTypes.includes('refresh_token')) return Promise.resolve(null);
    return this.#deps.families.start({
      client,
      userUuid: user.uuid,
      tenantUuid: user.tenantUuid,
      scope: order.scope,
      authTimeMs: order.authTimeMs,
      dpopJkt: order.dpopJkt,
    });
  }

  async #idToken(order: UserGrantOrder, user: LoginCandidate, access: IssuedAccessToken) {
    const signer = this.#deps.idTokenSigner();
    if (!signer || !order.scope.includes('openid')) return undefined;
    const claims = buildIdTokenClaims({
      issuer: this.#deps.issuer.value,
      subject: user.uuid,
      clientId: order.request.client.clientId,
      nowMs: this.#deps.now(),
      lifetimeSeconds: access.expiresInSeconds,
      authTimeMs: order.authTimeMs,
      nonce: order.nonce,
      accessToken: access.value,
      algorithm: signer.algorithm,
    });
    return signer.sign(claims);
  }
}

/** RFC 6749 §5.1: `scope` is always returned, so the client knows what it got. */
export function tokenResponseOf(access: IssuedAccessToken, scope: readonly string[]): OAuthTokenResponse {
  return {
    access_token: access.value,
    token_type: access.tokenType,
    expires_in: access.expiresInSeconds,
    scope: scope.join(' '),
  };
}
