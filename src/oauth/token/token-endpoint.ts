import type { ClientAuthenticator, ClientAuthRequest } from '../clients/client-authenticator.ts';
import type { GrantType } from '../clients/oauth-client.ts';
import { OAuthError } from '../oauth-error.ts';
import { type TokenEndpointProofDeps, tokenEndpointProof } from './dpop-binding.ts';
import type { OAuthTokenRequest, OAuthTokenResponse } from './token-request.ts';

export interface GrantHandler {
  handle(request: OAuthTokenRequest): Promise<OAuthTokenResponse>;
}

export interface TokenEndpointDeps {
  clientAuthenticator: ClientAuthenticator;
  proof: TokenEndpointProofDeps;
  grants: Readonly<Record<GrantType, GrantHandler>>;
}

export interface TokenEndpointCall extends ClientAuthRequest {
  dpop: string | string[] | undefined;
}

/**
 * POST /oauth2/token (RFC 6749 §3.2): grant type known, client authenticated, grant type allowed
 * for that client, DPoP proof verified; then the grant's own steps. Only the grants of
 * OAuth 2.1 exist here: password and implicit are unsupported_grant_type (D7, RFC 9700 §2.4).
 */
export class TokenEndpoint {
  readonly #deps: TokenEndpointDeps;

  constructor(deps: TokenEndpointDeps) {
    this.#deps = deps;
  }

  async handle(call: TokenEndpointCall): Promise<OAuthTokenResponse> {
    const grantType = call.params.grant_type;
    if (!grantType) throw new OAuthError('invalid_request', 'grant_type is required.');
    const handler = Object.hasOwn(this.#deps.grants, grantType)
      ? this.#deps.grants[grantType as GrantType]
      : undefined;
    if (!handler) throw new OAuthError('unsupported_grant_type', 'This grant type is not supported.');
    const client = await this.#deps.clientAuthenticator.authenticate(call);
    if (!client.grantTypes.includes(grantType as GrantType)) {
      throw new OAuthError('unauthorized_client', 'This client may not use this grant type.');
    }
    const dpopJkt = await tokenEndpointProof(call.dpop, client, this.#deps.proof);
    return handler.handle({
      client,
      params: call.params,
      dpopJkt,
      remoteAddr: call.remoteAddr,
      userAgent: call.userAgent,
    });
  }
}
