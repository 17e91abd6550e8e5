import type { JWK } from 'jose';
import type { Db } from '../../storage/database.ts';
import { decodeJsonObject, encodeJson } from '../../storage/json-codec.ts';

/** An ID-token signing key as stored: the private half sealed with the server key (SecretBox, AAD = kid). */
export interface SigningKeyRecord {
  /** RFC 7638 thumbprint of the public key. */
  kid: string;
  alg: string;
  publicJwk: JWK;
  privateJwkCiphertext: string;
  createdAtMs: number;
  /** The key signs from this instant; before it, it is only published (pre-publication). */
  activeFromMs: number;
  /** Past this instant no ID token it signed is still valid: it leaves the JWKS and is deleted. */
  retireAfterMs: number;
}

/** auth_oauth_signing_key: read whole (a handful of rows), written by conditional statements only. */
export class SigningKeyRepository {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** Every stored key, oldest slot first. */
  async list(): Promise<SigningKeyRecord[]> {
    const rows = await this.#db
      .selectFrom('auth_oauth_signing_key')
      .selectAll()
      .orderBy('active_from_ms', 'asc')
      .execute();
    return rows.map((row) => ({
      kid: row.kid,
      alg: row.alg,
      publicJwk: decodeJsonObject(row.public_jwk) as JWK,
      privateJwkCiphertext: row.private_jwk_ciphertext,
      createdAtMs: Number(row.created_at_ms),
      activeFromMs: Number(row.active_from_ms),
      // Written by the keyring for every key; a row without one is kept until someone sets it.
      retireAfterMs: row.retire_after_ms === null ? Number.MAX_SAFE_INTEGER : Number(row.retire_after_ms),
    }));
  }

  /**
   * Inserts the key of a slot unless that slot already has one (the unique index on
   * active_from_ms): instances racing for one slot leave exactly one row. True when this one won.
   */
  async insertIfSlotFree(key: SigningKeyRecord): Promise<boolean> {
    const inserted = await this.#db
      .insertInto('auth_oauth_signing_key')
      .values({
        kid: key.kid,
        alg: key.alg,
        public_jwk: encodeJson(key.publicJwk),
        private_jwk_ciphertext: key.privateJwkCiphertext,
        created_at_ms: key.createdAtMs,
        active_from_ms: key.activeFromMs,
        retire_after_ms: key.retireAfterMs,
      })
      .onConflict((conflict) => conflict.doNothing())
      .returning('kid')
      .executeTakeFirst();
    return inserted !== undefined;
  }

  /** Deletes keys whose last ID token has expired; safe to run on every instance at once. */
  async deleteRetired(nowMs: number): Promise<number> {
    const result = await this.#db
      .deleteFrom('auth_oauth_signing_key')
      .where('retire_after_ms', '<=', nowMs)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
