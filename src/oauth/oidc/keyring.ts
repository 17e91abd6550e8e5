import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from 'jose';
import type { SecretBox } from '../../crypto/secret-box.ts';
import type { IdTokenSigner } from './id-token-signer.ts';
import {
  isRetired,
  nextSlotToCreate,
  type RotationSettings,
  retireAfterFor,
  signingKeyAt,
} from './key-schedule.ts';
import type { SigningKeyRecord, SigningKeyRepository } from './signing-key-repository.ts';

export const ID_TOKEN_ALGORITHM = 'ES256';
/** Every instance reads the keys again after this long, so a key made elsewhere is seen soon. */
const KEY_CACHE_MS = 60_000;
/** More rounds than a keyring can need (a current key, then its successor); guards against a loop. */
const MAX_CREATIONS = 3;

export interface KeyringDeps {
  keys: SigningKeyRepository;
  /** Seals private JWKs at rest (the server key of signing_key_encryption_key). */
  box: SecretBox;
  now: () => number;
  settings: RotationSettings;
}

type SigningKey = Awaited<ReturnType<typeof importJWK>>;

/**
 * The OpenID Connect signing keys (issue #6 §8): ES256 keys kept in the database, the private
 * half sealed with the server key, shared by every instance. The rules of rotation are in
 * key-schedule.ts; this class applies them lazily (on sign and JWKS) and from the expiry job.
 */
export class Keyring implements IdTokenSigner {
  readonly algorithm = ID_TOKEN_ALGORITHM;
  readonly #deps: KeyringDeps;
  #cache: { keys: SigningKeyRecord[]; loadedAtMs: number } | null = null;
  readonly #privateKeys = new Map<string, SigningKey>();
  #maintaining: Promise<SigningKeyRecord[]> | null = null;

  constructor(deps: KeyringDeps) {
    this.#deps = deps;
  }

  /** A compact JWS of the claims with the current key; refuses an `exp` past the key's retirement. */
  async sign(claims: Record<string, unknown>): Promise<string> {
    const now = this.#deps.now();
    const key = signingKeyAt(await this.#keys(now), now, this.#deps.settings);
    if (key === null) throw new Error('no OpenID Connect signing key is usable now');
    const exp = claims.exp;
    if (typeof exp === 'number' && exp * 1000 > now + this.#deps.settings.maxTokenLifetimeMs) {
      throw new Error('an ID token may not outlive the retention of its signing key');
    }
    return new SignJWT(claims)
      .setProtectedHeader({ alg: ID_TOKEN_ALGORITHM, kid: key.kid, typ: 'JWT' })
      .sign(await this.#privateKey(key));
  }

  /** The published keys (RFC 7517): pre-published, signing and retiring ones alike. */
  async jwks(): Promise<{ keys: JWK[] }> {
    const now = this.#deps.now();
    const keys = await this.#keys(now);
    return { keys: keys.filter((key) => !isRetired(key, now)).map((key) => key.publicJwk) };
  }

  /** The public key of `kid` (e.g. to verify an id_token_hint), read again from the database when unknown. */
  async publicKey(kid: string): Promise<JWK | null> {
    const now = this.#deps.now();
    const find = (keys: SigningKeyRecord[]) => keys.find((key) => key.kid === kid && !isRetired(key, now));
    const cached = this.#cache && find(this.#cache.keys);
    if (cached) return cached.publicJwk;
    return find(await this.#reload(now))?.publicJwk ?? null;
  }

  /**
   * Verifies an ID token this server signed (e.g. an `id_token_hint`), security.md J1–J3: ES256
   * only, keys from this keyring only (never from `jku`/`x5u`/`jwk` headers), `iss` exact, 60 s
   * of clock skew. Throws jose's error when it does not verify.
   */
  async verifyIdToken(jwt: string, options: { issuer: string; audience?: string }): Promise<JWTPayload> {
    const { payload } = await jwtVerify(
      jwt,
      async (header) => {
        const jwk = typeof header.kid === 'string' ? await this.publicKey(header.kid) : null;
        if (jwk === null) throw new Error('unknown signing key');
        return importJWK(jwk, ID_TOKEN_ALGORITHM);
      },
      {
        algorithms: [ID_TOKEN_ALGORITHM],
        issuer: options.issuer,
        clockTolerance: 60,
        currentDate: new Date(this.#deps.now()),
        ...(options.audience === undefined ? {} : { audience: options.audience }),
      },
    );
    return payload;
  }

  /** Creates the keys the schedule asks for and deletes retired ones (the expiry job calls it). */
  async maintain(): Promise<void> {
    await this.#maintain(this.#deps.now());
  }

  /** The cached keys while fresh and complete; otherwise the keyring is brought up to date first. */
  async #keys(now: number): Promise<SigningKeyRecord[]> {
    const cache = this.#cache;
    const fresh = cache !== null && now - cache.loadedAtMs < KEY_CACHE_MS && now >= cache.loadedAtMs;
    const keys = fresh ? cache.keys : await this.#reload(now);
    const complete =
      nextSlotToCreate(keys, now, this.#deps.settings) === null && !keys.some((k) => isRetired(k, now));
    return complete ? keys : this.#maintain(now);
  }

  /** One maintenance at a time per instance; other instances are handled by the slot's unique index. */
  #maintain(now: number): Promise<SigningKeyRecord[]> {
    this.#maintaining ??= this.#runMaintenance(now).finally(() => {
      this.#maintaining = null;
    });
    return this.#maintaining;
  }

  async #runMaintenance(now: number): Promise<SigningKeyRecord[]> {
    const { keys: repository, settings } = this.#deps;
    let keys = await this.#reload(now);
    for (let round = 0; round < MAX_CREATIONS; round += 1) {
      const slot = nextSlotToCreate(keys, now, settings);
      if (slot === null) break;
      // Losing the race to another instance is fine: the reload below finds its key.
      await repository.insertIfSlotFree(await this.#newKey(slot, now));
      keys = await this.#reload(now);
    }
    if (keys.some((key) => isRetired(key, now))) {
      await repository.deleteRetired(now);
      keys = await this.#reload(now);
    }
    return keys;
  }

  async #reload(now: number): Promise<SigningKeyRecord[]> {
    // Retired rows stay in the list until deleted, so that a stale cache still shows them to #keys.
    const keys = await this.#deps.keys.list();
    this.#cache = { keys, loadedAtMs: now };
    for (const kid of this.#privateKeys.keys()) {
      if (!keys.some((key) => key.kid === kid)) this.#privateKeys.delete(kid);
    }
    return keys;
  }

  async #newKey(activeFromMs: number, now: number): Promise<SigningKeyRecord> {
    const pair = await generateKeyPair(ID_TOKEN_ALGORITHM, { extractable: true });
    const { kty, crv, x, y } = await exportJWK(pair.publicKey);
    const kid = await calculateJwkThumbprint({ kty, crv, x, y }, 'sha256');
    const publicJwk: JWK = { kty, crv, x, y, kid, alg: ID_TOKEN_ALGORITHM, use: 'sig' };
    const privateJwk = await exportJWK(pair.privateKey);
    return {
      kid,
      alg: ID_TOKEN_ALGORITHM,
      publicJwk,
      privateJwkCiphertext: this.#deps.box.seal(JSON.stringify(privateJwk), sealContext(kid)),
      createdAtMs: now,
      activeFromMs,
      retireAfterMs: retireAfterFor(activeFromMs, this.#deps.settings),
    };
  }

  async #privateKey(key: SigningKeyRecord): Promise<SigningKey> {
    const known = this.#privateKeys.get(key.kid);
    if (known !== undefined) return known;
    const opened = this.#deps.box.open(key.privateJwkCiphertext, sealContext(key.kid));
    if (opened === null) {
      throw new Error(
        `signing key ${key.kid} cannot be opened: is oauth.signing_key_encryption_key the same everywhere?`,
      );
    }
    const imported = await importJWK(JSON.parse(opened) as JWK, ID_TOKEN_ALGORITHM);
    this.#privateKeys.set(key.kid, imported);
    return imported;
  }
}

/** The associated data binds a sealed private key to its row: it cannot be moved to another kid. */
function sealContext(kid: string): string {
  return `oidc-signing-key:${kid}`;
}
