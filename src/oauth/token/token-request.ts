import type { OAuthClient } from '../clients/oauth-client.ts';

/** A token-endpoint request once its client is authenticated and its DPoP proof (if any) verified. */
export interface OAuthTokenRequest {
  client: OAuthClient;
  /** The form parameters, each present at most once (RFC 6749 §3.2). */
  params: Readonly<Record<string, string>>;
  /** The thumbprint of the DPoP proof's key, when the request carried a valid proof (RFC 9449). */
  dpopJkt: string | null;
  remoteAddr: string;
  userAgent: string;
}

/** The JSON body of a successful token response (RFC 6749 §5.1, RFC 9449 §5, OIDC Core §3.1.3.3). */
export interface OAuthTokenResponse {
  access_token: string;
  token_type: 'Bearer' | 'DPoP';
  expires_in: number;
  scope: string;
  refresh_token?: string;
  id_token?: string;
}
