import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { readOrCreateSecret } from '../../bootstrap/data-dir-secrets.ts';

/** The refresh-token key file of the container (decision D2); this key is derived from the same secret. */
const REFRESH_TOKEN_KEY_FILE = 'refresh-token.key';

/**
 * The key the login pages sign their hidden fields with, derived (HKDF-SHA256) from the server key
 * every instance already shares (refresh_tokens.encryption_key, or the one generated in the data
 * directory): a page rendered by one instance is posted to any other, and no second secret has
 * to be distributed. The derivation keeps the two uses apart.
 */
export function deriveTransactionKey(config: {
  data_dir: string;
  refresh_tokens: { encryption_key: string | null };
}): Buffer {
  const encoded =
    config.refresh_tokens.encryption_key ??
    readOrCreateSecret(config.data_dir, REFRESH_TOKEN_KEY_FILE, () => randomBytes(32).toString('base64'));
  const key = Buffer.from(encoded, 'base64');
  return Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'gatehouse oauth page transaction v1', 32));
}

/**
 * A value the browser carries between two requests and must not be able to alter: base64url JSON,
 * a dot, and its HMAC-SHA256. The purpose is part of what is signed, so one kind of blob is never
 * accepted as another; the expiry is inside, so an old page cannot be replayed later.
 */
export class BlobSigner {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    this.#key = key;
  }

  sign(purpose: string, payload: object, expiresAtMs: number): string {
    const body = Buffer.from(JSON.stringify({ p: purpose, e: expiresAtMs, d: payload })).toString(
      'base64url',
    );
    return `${body}.${this.#mac(body)}`;
  }

  /** The payload, or null when the blob is malformed, forged, of another purpose or expired. */
  verify<T>(purpose: string, blob: string | null, nowMs: number): T | null {
    if (!blob || blob.length > 16_384) return null;
    const dot = blob.indexOf('.');
    if (dot <= 0) return null;
    const body = blob.slice(0, dot);
    const given = Buffer.from(blob.slice(dot + 1), 'base64url');
    const expected = Buffer.from(this.#mac(body), 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    try {
      const decoded = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as {
        p?: unknown;
        e?: unknown;
        d?: unknown;
      };
      if (decoded.p !== purpose || typeof decoded.e !== 'number' || decoded.e < nowMs) return null;
      return typeof decoded.d === 'object' && decoded.d !== null ? (decoded.d as T) : null;
    } catch {
      return null;
    }
  }

  #mac(body: string): string {
    return createHmac('sha256', this.#key).update(body).digest('base64url');
  }
}
