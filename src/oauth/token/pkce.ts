import { createHash } from 'node:crypto';
import { constantTimeEqual } from '../../crypto/token-values.ts';

/** RFC 7636 §4.1: 43 to 128 characters of the unreserved set. */
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

export function isWellFormedVerifier(verifier: string | undefined): verifier is string {
  return verifier !== undefined && VERIFIER.test(verifier);
}

/** RFC 7636 §4.6, S256 only (plain is refused, security.md O4). */
export function s256Challenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

export function verifierMatches(verifier: string, challenge: string): boolean {
  return constantTimeEqual(s256Challenge(verifier), challenge);
}
