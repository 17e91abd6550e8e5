import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, EmbeddedJWK, errors, type JWK, jwtVerify } from 'jose';

/** Asymmetric algorithms accepted in proofs (RFC 9449 §4.3 check 5: never `none` or a MAC). */
export const DPOP_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'EdDSA', 'PS256', 'PS384', 'PS512', 'RS256'];

export interface DpopExpectations {
  /** The HTTP method and URL the proof must be for; omitted when the caller cannot know them. */
  method?: string;
  url?: string;
  /** The access token presented with the proof: its hash must be the proof's `ath`. */
  accessToken?: string;
  /** The key the token is bound to (`cnf.jkt`), when already known. */
  jkt?: string;
  nowMs: number;
  maxAgeSeconds: number;
}

export class DpopProofError extends Error {}

/**
 * Verifies a DPoP proof JWT (RFC 9449 §4.3) and returns the thumbprint of its key. `jti` replay is
 * refused within the proof's acceptance window by `replay` (one per process: a proof replayed on
 * another instance inside the window is not caught; the window is short and `ath` ties the proof
 * to its token).
 */
export async function verifyDpopProof(
  proof: string,
  expect: DpopExpectations,
  replay: JtiReplayCache,
): Promise<{ jkt: string }> {
  const { payload, protectedHeader } = await verifySignature(proof);
  const jwk = protectedHeader.jwk as JWK;
  if (hasPrivateMembers(jwk)) throw new DpopProofError('the proof key must be a public key');
  const jti = typeof payload.jti === 'string' ? payload.jti : '';
  if (jti.length < 8 || jti.length > 256) throw new DpopProofError('the proof needs a jti');
  if (expect.method !== undefined && payload.htm !== expect.method) throw new DpopProofError('htm mismatch');
  if (expect.url !== undefined && !sameTarget(payload.htu, expect.url))
    throw new DpopProofError('htu mismatch');
  checkIssuedAt(payload.iat, expect);
  if (expect.accessToken !== undefined && payload.ath !== accessTokenHash(expect.accessToken)) {
    throw new DpopProofError('ath does not match the access token');
  }
  const jkt = await calculateJwkThumbprint(jwk, 'sha256');
  if (expect.jkt !== undefined && jkt !== expect.jkt)
    throw new DpopProofError('the proof key is not the bound key');
  // The proof's own clock (nowMs), not the wall clock: with an injected clock the two differ.
  if (!replay.claim(`${jkt}:${jti}`, expect.nowMs + expect.maxAgeSeconds * 2000, expect.nowMs)) {
    throw new DpopProofError('the proof was already used');
  }
  return { jkt };
}

async function verifySignature(proof: string) {
  try {
    return await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: DPOP_ALGORITHMS });
  } catch (error) {
    if (error instanceof errors.JOSEError) throw new DpopProofError(`invalid proof: ${error.code}`);
    throw new DpopProofError('invalid proof');
  }
}

function checkIssuedAt(iat: unknown, expect: DpopExpectations): void {
  if (typeof iat !== 'number') throw new DpopProofError('the proof needs an iat');
  const skewMs = Math.abs(expect.nowMs - iat * 1000);
  if (skewMs > expect.maxAgeSeconds * 1000) throw new DpopProofError('the proof is too old or in the future');
}

/** RFC 9449 §4.3 check 9: compared without query and fragment. */
function sameTarget(htu: unknown, url: string): boolean {
  if (typeof htu !== 'string') return false;
  try {
    const a = new URL(htu);
    const b = new URL(url);
    return a.origin === b.origin && a.pathname === b.pathname;
  } catch {
    return false;
  }
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];

function hasPrivateMembers(jwk: JWK): boolean {
  return PRIVATE_MEMBERS.some((member) => member in jwk);
}

/** `ath`: base64url of the SHA-256 of the access token's ASCII text (RFC 9449 §4.2). */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest('base64url');
}

/** Remembers proof ids until they could no longer be accepted anyway; bounded so it cannot grow without end. */
export class JtiReplayCache {
  readonly #expiries = new Map<string, number>();
  readonly #maxEntries: number;

  constructor(maxEntries = 100_000) {
    this.#maxEntries = maxEntries;
  }

  /** False when the id was seen and has not expired. */
  claim(id: string, expiresAtMs: number, nowMs: number = Date.now()): boolean {
    const known = this.#expiries.get(id);
    if (known !== undefined && known > nowMs) return false;
    if (this.#expiries.size >= this.#maxEntries) this.#evict(nowMs);
    this.#expiries.set(id, expiresAtMs);
    return true;
  }

  #evict(nowMs: number): void {
    for (const [id, expiry] of this.#expiries) if (expiry <= nowMs) this.#expiries.delete(id);
    // Still full of live ids: drop the oldest insertions rather than refuse every new proof.
    while (this.#expiries.size >= this.#maxEntries) {
      const oldest = this.#expiries.keys().next().value;
      if (oldest === undefined) break;
      this.#expiries.delete(oldest);
    }
  }
}
