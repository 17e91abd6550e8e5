import { ASSERTION_ALGORITHMS } from '../clients/client-assertion.ts';
import { CLIENT_AUTH_METHODS, GRANT_TYPES } from '../clients/oauth-client.ts';
import { DPOP_ALGORITHMS } from '../dpop/dpop-proof.ts';

export interface MetadataFacts {
  issuer: string;
  scopes: string[];
  /** The ID-token signer's alg, when a signer exists. */
  idTokenAlgorithm: string | null;
}

/** RFC 8414 §2: the authorization server metadata, every endpoint under the issuer. */
export function authorizationServerMetadata(facts: MetadataFacts): Record<string, unknown> {
  const at = (path: string) => `${facts.issuer}${path}`;
  const authMethods = [...CLIENT_AUTH_METHODS];
  return {
    issuer: facts.issuer,
    authorization_endpoint: at('/oauth2/authorize'),
    token_endpoint: at('/oauth2/token'),
    revocation_endpoint: at('/oauth2/revoke'),
    introspection_endpoint: at('/oauth2/introspect'),
    device_authorization_endpoint: at('/oauth2/device_authorization'),
    jwks_uri: at('/oauth2/jwks'),
    userinfo_endpoint: at('/oauth2/userinfo'),
    scopes_supported: facts.scopes,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: [...GRANT_TYPES],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: authMethods,
    token_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGORITHMS,
    revocation_endpoint_auth_methods_supported: authMethods,
    revocation_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGORITHMS,
    // Public clients may not introspect (token-introspection.ts).
    introspection_endpoint_auth_methods_supported: authMethods.filter((m) => m !== 'none'),
    introspection_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGORITHMS,
    dpop_signing_alg_values_supported: DPOP_ALGORITHMS,
    authorization_response_iss_parameter_supported: true,
  };
}

/** OpenID Connect Discovery 1.0 §3: the same document plus the OpenID Provider fields. */
export function openidConfiguration(facts: MetadataFacts): Record<string, unknown> {
  return {
    ...authorizationServerMetadata(facts),
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [facts.idTokenAlgorithm ?? 'ES256'],
    claims_supported: ['iss', 'sub', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'at_hash', 'name', 'email'],
  };
}
