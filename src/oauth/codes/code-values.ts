import { createHash, randomBytes } from 'node:crypto';

/** A new authorization code: 32 random bytes, base64url (256 bits; RFC 6749 §10.10). */
export function newAuthorizationCode(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * What auth_oauth_code stores instead of the code: SHA-256 hex of the exact presented text (codes
 * are case-sensitive base64url, unlike access tokens, so nothing is lower-cased).
 */
export function digestAuthorizationCode(code: string): string {
  return createHash('sha256').update(code).digest('hex');
}
