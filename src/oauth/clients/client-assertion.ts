import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose';
import type { JtiReplayCache } from '../dpop/dpop-proof.ts';
import type { OAuthClient } from './oauth-client.ts';

/** Asymmetric algorithms only: a MAC would need the server to hold the client's secret (RFC 7523). */
export const ASSERTION_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];

/** An assertion may not live longer than this: a short exp bounds how long its jti must be remembered. */
const MAX_LIFETIME_MS = 5 * 60_000;
const CLOCK_TOLERANCE_SECONDS = 5;

export interface AssertionExpectations {
  /** Accepted audiences: the issuer, the token endpoint and the endpoint called (RFC 7523 §3 item 3). */
  audiences: string[];
  nowMs: number;
  /**
   * jti values already used. In-process: an assertion replayed on another instance within its
   * (at most 5-minute) life is not caught; it still proves possession of the client's key, and
   * the window is short. A shared store would close that gap.
   */
  replay: JtiReplayCache;
}

/**
 * Verifies a private_key_jwt client assertion (RFC 7523 §3, OIDC Core §9): signed by a key of the
 * client's registered JWKS with an asymmetric algorithm, iss = sub = client_id, an accepted aud, an
 * exp at most five minutes ahead, and a jti used once. Returns false on any failure.
 */
export async function verifyClientAssertion(
  client: OAuthClient,
  assertion: string,
  expect: AssertionExpectations,
): Promise<boolean> {
  if (!client.jwks || client.jwks.keys.length === 0) return false;
  try {
    const { payload } = await jwtVerify(assertion, createLocalJWKSet(client.jwks as JSONWebKeySet), {
      issuer: client.clientId,
      subject: client.clientId,
      audience: expect.audiences,
      algorithms: ASSERTION_ALGORITHMS,
      requiredClaims: ['exp', 'jti'],
      currentDate: new Date(expect.nowMs),
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
    });
    const expMs = (payload.exp as number) * 1000;
    if (expMs > expect.nowMs + MAX_LIFETIME_MS + CLOCK_TOLERANCE_SECONDS * 1000) return false;
    const jti = payload.jti as string;
    if (jti.length === 0 || jti.length > 256) return false;
    return expect.replay.claim(
      `${client.clientId}:${jti}`,
      expMs + CLOCK_TOLERANCE_SECONDS * 1000,
      expect.nowMs,
    );
  } catch {
    return false;
  }
}
