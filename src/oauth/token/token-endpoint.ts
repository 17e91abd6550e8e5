import type { AuditLog } from '../../audit/audit-log.ts';
import type { LoginGate } from '../../brute-force/login-gate.ts';
import type { ClientAuthenticator, ClientAuthRequest } from '../clients/client-authenticator.ts';
import type { GrantType, OAuthClient } from '../clients/oauth-client.ts';
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
  gate: LoginGate;
  audit: AuditLog;
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
    try {
      return await handler.handle({
        client,
        params: call.params,
        dpopJkt,
        remoteAddr: call.remoteAddr,
        userAgent: call.userAgent,
      });
    } catch (error) {
      if (error instanceof OAuthError && error.code === 'invalid_grant')
        await this.#refused(call, client, error);
      throw error;
    }
  }

  /**
   * A refused code, refresh or device token: an audit line (security.md L2) and, as a bad refresh
   * token on POST /0.1/token does, one failure against the client address (S-BF-3).
   */
  async #refused(call: TokenEndpointCall, client: OAuthClient, error: OAuthError): Promise<void> {
    await this.#deps.gate.recordAddressFailure(call.remoteAddr);
    this.#deps.audit.record({
      event: 'authentication',
      outcome: 'failure',
      actor: null,
      source_ip: call.remoteAddr,
      method: `oauth:${call.params.grant_type}`,
      user_agent: call.userAgent,
      client_id: client.clientId,
      reason: error.message,
    });
  }
}
