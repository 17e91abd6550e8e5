import { pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import { DomainError } from '../errors/domain-error.ts';
import { WorkQueue } from './work-queue.ts';

const pbkdf2Async = promisify(pbkdf2);

/** wazo-auth's stored format (§5): PBKDF2-HMAC-SHA512, 250,000 iterations, hex key, separate salt. */
const WAZO_PBKDF2_ITERATIONS = 250_000;
const WAZO_KEY_BYTES = 64;
/** Argon2id in @node-rs/argon2's numbering (its enum is `const`, which type-stripping cannot inline). */
const ARGON2ID = 2;
const RETRY_AFTER_SECONDS = '1';

export interface StoredPassword {
  hash: string;
  /** Present only for hashes imported from wazo-auth. */
  salt: string | null;
}

export interface PasswordHasherOptions {
  memoryKib: number;
  timeCost: number;
  concurrency: number;
  queueLimit: number;
  /** Told how long each queued hash waited (metrics). */
  observeWait?: (seconds: number) => void;
}

export interface VerifyResult {
  ok: boolean;
  /** Set when the password matched a legacy hash: store this argon2id hash instead. */
  upgraded?: StoredPassword;
}

/**
 * Hashes and verifies passwords off the event loop (argon2 and PBKDF2 both run on libuv's pool),
 * through a bounded queue. Unknown users are verified against a dummy hash of the same cost, so
 * they take as long as wrong passwords.
 */
export class PasswordHasher {
  readonly #options: PasswordHasherOptions;
  readonly #queue: WorkQueue;
  #dummy: Promise<string> | null = null;

  constructor(options: PasswordHasherOptions) {
    this.#options = options;
    this.#queue = new WorkQueue(
      options.concurrency || availableParallelism(),
      options.queueLimit,
      options.observeWait,
    );
  }

  get queueDepth(): number {
    return this.#queue.depth;
  }

  async hash(password: string): Promise<StoredPassword> {
    return { hash: await this.#bounded(() => this.#argon2(password)), salt: null };
  }

  async verify(password: string, stored: StoredPassword | null): Promise<VerifyResult> {
    if (!stored) {
      await this.#bounded(async () => argon2Verify(await this.#dummyHash(), password));
      return { ok: false };
    }
    if (stored.salt !== null) return this.#verifyLegacy(password, stored);
    const ok = await this.#bounded(() => argon2Verify(stored.hash, password).catch(() => false));
    return { ok };
  }

  async #verifyLegacy(password: string, stored: StoredPassword): Promise<VerifyResult> {
    const salt = Buffer.from(stored.salt ?? '', 'hex');
    const key = await this.#bounded(() =>
      pbkdf2Async(password, salt, WAZO_PBKDF2_ITERATIONS, WAZO_KEY_BYTES, 'sha512'),
    );
    const expected = Buffer.from(stored.hash, 'hex');
    const ok = expected.length === key.length && timingSafeEqual(expected, key);
    return ok ? { ok, upgraded: await this.hash(password) } : { ok };
  }

  #argon2(password: string): Promise<string> {
    return argon2Hash(password, {
      algorithm: ARGON2ID,
      memoryCost: this.#options.memoryKib,
      timeCost: this.#options.timeCost,
      parallelism: 1,
    });
  }

  #dummyHash(): Promise<string> {
    this.#dummy ??= this.#argon2(randomBytes(18).toString('base64'));
    return this.#dummy;
  }

  async #bounded<T>(task: () => Promise<T>): Promise<T> {
    const result = await this.#queue.run(task);
    if (!result) {
      throw new DomainError('hashing-overloaded', { headers: { 'retry-after': RETRY_AFTER_SECONDS } });
    }
    return result.value;
  }
}

/** Builds a wazo-auth style PBKDF2 record; used by tests and by imports of wazo data. */
export async function hashLikeWazo(password: string): Promise<StoredPassword> {
  const salt = randomBytes(64);
  const key = await pbkdf2Async(password, salt, WAZO_PBKDF2_ITERATIONS, WAZO_KEY_BYTES, 'sha512');
  return { hash: key.toString('hex'), salt: salt.toString('hex') };
}
