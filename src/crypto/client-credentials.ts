import { createHash, createPublicKey, type JsonWebKey, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * OAuth client credentials (issue #6 §2): generated secrets, their digest at rest, and the check
 * that a registered JWK is a public key.
 */

/** 32 bytes: RFC 6749 §10.10 asks for secrets an attacker cannot guess; 256 bits, base64url. */
const SECRET_BYTES = 32;

export function newClientSecret(): string {
  return randomBytes(SECRET_BYTES).toString('base64url');
}

/**
 * What auth_oauth_client.secret_hash stores: SHA-256 hex of the exact text. Unlike token digests
 * there is no lower-casing, since base64url is case-sensitive. A fast hash suffices: the secret is
 * generated with 256 bits of entropy, so a dump cannot be brute-forced.
 */
export function digestClientSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Constant-time comparison of a presented secret with the stored digest (the token endpoint's check). */
export function clientSecretMatches(presented: string, storedDigest: string): boolean {
  const left = Buffer.from(digestClientSecret(presented), 'hex');
  const right = Buffer.from(storedDigest, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}

/** JWK members that only a private or symmetric key has (RFC 7518 §6.2.2, §6.3.2, §6.4.1). */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/**
 * Why a JWK cannot verify private_key_jwt assertions, or null when it can: it must be an
 * asymmetric public key that node:crypto can import, and hold no private member.
 */
export function publicJwkProblem(jwk: Record<string, unknown>): string | null {
  const leaked = PRIVATE_JWK_MEMBERS.filter((member) => Object.hasOwn(jwk, member));
  if (leaked.length > 0) return `private key members are refused: ${leaked.join(', ')}`;
  if (jwk.kty !== 'RSA' && jwk.kty !== 'EC' && jwk.kty !== 'OKP') return 'kty must be RSA, EC or OKP';
  if (jwk.use !== undefined && jwk.use !== 'sig') return 'use must be "sig"';
  try {
    createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
  } catch {
    return 'not a valid public key';
  }
  return null;
}
