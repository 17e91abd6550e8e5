import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { accessTokenHash } from '../oauth/dpop/dpop-proof.ts';

/** A client's DPoP key pair (RFC 9449), as a test holds it. */
type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

export interface DpopKey {
  privateKey: PrivateKey;
  publicJwk: JWK;
  privateJwk: JWK;
  /** RFC 7638 thumbprint: what a bound token's cnf.jkt names. */
  jkt: string;
  alg: string;
}

export async function newDpopKey(alg = 'ES256'): Promise<DpopKey> {
  const pair = await generateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(pair.publicKey);
  return {
    privateKey: pair.privateKey,
    publicJwk,
    privateJwk: await exportJWK(pair.privateKey),
    jkt: await calculateJwkThumbprint(publicJwk, 'sha256'),
    alg,
  };
}

export interface ProofOptions {
  htm: string;
  htu: string;
  /** The access token the proof goes with (sets `ath`). */
  accessToken?: string;
  /** Seconds since the epoch; default: now by `nowMs`. */
  iat?: number;
  nowMs?: number;
  jti?: string;
  typ?: string;
  /** The key put in the header instead of the public key (e.g. with its private part). */
  headerJwk?: JWK;
  /** Claims to set or override. */
  claims?: Record<string, unknown>;
}

/** A DPoP proof JWT signed with `key`. */
export function dpopProof(key: DpopKey, options: ProofOptions): Promise<string> {
  const payload: Record<string, unknown> = {
    htm: options.htm,
    htu: options.htu,
    iat: options.iat ?? Math.floor((options.nowMs ?? Date.now()) / 1000),
    jti: options.jti ?? randomUUID(),
    ...(options.accessToken === undefined ? {} : { ath: accessTokenHash(options.accessToken) }),
    ...options.claims,
  };
  return new SignJWT(payload)
    .setProtectedHeader({
      alg: key.alg,
      typ: options.typ ?? 'dpop+jwt',
      jwk: options.headerJwk ?? key.publicJwk,
    })
    .sign(key.privateKey);
}

/** An unsigned (`alg: none`) token with these header and claims. */
export function unsignedJwt(header: Record<string, unknown>, payload: Record<string, unknown>): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode(header)}.${encode(payload)}.`;
}
