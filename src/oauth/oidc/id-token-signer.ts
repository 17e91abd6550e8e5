/**
 * Signs ID tokens (OpenID Connect Core §2) with the current key of the keyring, and publishes the
 * keys as a JWKS. The token endpoint builds the claims; the keyring (oidc/) owns keys and rotation.
 */
export interface IdTokenSigner {
  /** A compact JWS of these claims, with `kid` of the signing key in its header. */
  sign(claims: Record<string, unknown>): Promise<string>;
  /** The `alg` ID tokens are signed with (for discovery). */
  readonly algorithm: string;
}
