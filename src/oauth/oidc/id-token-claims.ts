import { createHash } from 'node:crypto';

export interface IdTokenFacts {
  issuer: string;
  /** The user's uuid (subject_types_supported: public). */
  subject: string;
  clientId: string;
  nowMs: number;
  lifetimeSeconds: number;
  authTimeMs: number;
  nonce: string | null;
  /** The access token issued with it, for at_hash. */
  accessToken: string;
  /** The signing alg: at_hash uses the hash of the same size (OIDC Core §3.1.3.6). */
  algorithm: string;
}

/** OIDC Core §2 and §3.1.3.6: the claims of an ID token issued by the token endpoint. */
export function buildIdTokenClaims(facts: IdTokenFacts): Record<string, unknown> {
  const iat = Math.floor(facts.nowMs / 1000);
  return {
    iss: facts.issuer,
    sub: facts.subject,
    aud: facts.clientId,
    exp: iat + facts.lifetimeSeconds,
    iat,
    auth_time: Math.floor(facts.authTimeMs / 1000),
    ...(facts.nonce !== null ? { nonce: facts.nonce } : {}),
    at_hash: accessTokenHashClaim(facts.accessToken, facts.algorithm),
  };
}

/** The left half of the hash of the access token's ASCII octets, base64url-encoded. */
export function accessTokenHashClaim(accessToken: string, algorithm: string): string {
  const bits = /(384)$/.test(algorithm) ? 384 : /(512)$/.test(algorithm) || algorithm === 'EdDSA' ? 512 : 256;
  const digest = createHash(`sha${bits}`).update(accessToken, 'ascii').digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}
