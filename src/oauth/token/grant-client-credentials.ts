import { newSessionId } from '../../crypto/token-values.ts';
import { OAuthError } from '../oauth-error.ts';
import { parseScope } from '../scopes/scope-catalog.ts';
import type { AccessTokenIssuer } from './access-token-issuer.ts';
import type { TokenAcl } from './token-acl.ts';
import type { OAuthTokenRequest, OAuthTokenResponse } from './token-request.ts';
import { tokenResponseOf } from './user-grant-issuer.ts';

export interface ClientCredentialsGrantDeps {
  tokenAcl: TokenAcl;
  accessTokens: AccessTokenIssuer;
}

/**
 * grant_type=client_credentials (RFC 6749 §4.4): confidential clients only. The token acts for the
 * client (auth_id `client:<client_id>`, no user, the client's tenant); its ACL is the requested
 * scopes' ACL within the client's own acl. No refresh token (RFC 6749 §4.4.3).
 */
export class ClientCredentialsGrant {
  readonly #deps: ClientCredentialsGrantDeps;

  constructor(deps: ClientCredentialsGrantDeps) {
    this.#deps = deps;
  }

  async handle(request: OAuthTokenRequest): Promise<OAuthTokenResponse> {
    const { client } = request;
    if (client.type !== 'confidential' || client.tokenEndpointAuthMethod === 'none') {
      throw new OAuthError('unauthorized_client', 'Only confidential clients may use client_credentials.');
    }
    const scope = await this.#deps.tokenAcl.validateRequested(client, parseScope(request.params.scope));
    const sessionUuid = newSessionId();
    const acl = await this.#deps.tokenAcl.forClient(client, scope, sessionUuid);
    const access = await this.#deps.accessTokens.issue({
      client,
      subject: { kind: 'client' },
      scope,
      acl,
      grantUuid: null,
      sessionUuid,
      dpopJkt: request.dpopJkt,
      grantType: 'client_credentials',
      remoteAddr: request.remoteAddr,
      userAgent: request.userAgent,
    });
    return tokenResponseOf(access, scope);
  }
}
