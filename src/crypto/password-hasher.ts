import { pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import { DomainError } from '../errors/domain-error.ts';
import { HashPool } from './hash-pool.ts';
import { WorkQueue } from './work-queue.ts';

const pbkdf2Async = promisify(pbkdf2);

/** wazo-auth's stored format (§5): PBKDF2-HMAC-SHA512, 250,000 iterations, hex key, separate salt. */
const WAZO_PBKDF2_ITERATIONS = 250_000;
const WAZO_KEY_BYTES = 64;
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
  /** Nice value of the hashing threads (Linux): 0 is the main thread's priority. */
  threadNice: number;
  /** Told of a hashing thread that failed outside any hash (it is replaced). */
  onThreadError?: (error: unknown) => void;
  /** Told how long each queued hash waited (metrics). */
  observeWait?: (seconds: number) => void;
}

export interface VerifyResult {
  ok: boolean;
  /** Set when the password matched a legacy hash: store this argon2id hash instead. */
  upgraded?: StoredPassword;
}

/**
 * Hashes and verifies passwords off the event loop, on the low-priority threads of a HashPool,
 * through a bounded queue. Unknown users are verified against a dummy hash of the same cost, so
 * they take as long as wrong passwords.
 */
export class PasswordHasher {
  readonly #options: PasswordHasherOptions;
  readonly #queue: WorkQueue;
  readonly #pool: HashPool;
  #dummy: Promise<string> | null = null;

  constructor(options: PasswordHasherOptions) {
    this.#options = options;
    const threads = options.concurrency || availableParallelism();
    this.#queue = new WorkQueue(threads, options.queueLimit, options.observeWait);
    this.#pool = new HashPool(threads, options.threadNice, options.onThreadError ?? (() => {}));
  }

  /** Ends the hashing threads (server shutdown). */
  close(): Promise<void> {
    return this.#pool.close();
  }

  get queueDepth(): number {
    return this.#queue.depth;
  }

  async hash(password: string): Promise<StoredPassword> {
    return { hash: await this.#bounded(() => this.#argon2(password)), salt: null };
  }

  async verify(password: string, stored: StoredPassword | null): Promise<VerifyResult> {
    if (!stored) {
      await this.#bounded(async () => this.#argon2Verify(await this.#dummyHash(), password));
      return { ok: false };
    }
    if (stored.salt !== null) return this.#verifyLegacy(password, stored);
    const ok = await this.#bounded(() => this.#argon2Verify(stored.hash, password));
    return { ok };
  }

  async #verifyLegacy(password: string, stored: StoredPassword): Promise<VerifyResult> {
    const salt = Buffer.from(stored.salt ?? '', 'hex');
    const key = await this.#bounded(() =>
      this.#pool.run('pbkdf2', {
        password,
        salt,
        iterations: WAZO_PBKDF2_ITERATIONS,
        keyBytes: WAZO_KEY_BYTES,
        digest: 'sha512',
      }),
    );
    const expected = Buffer.from(stored.hash, 'hex');
    const ok = expected.length === key.length && timingSafeEqual(expected, key);
    return ok ? { ok, upgraded: await this.hash(password) } : { ok };
  }

  #argon2(password: string): Promise<string> {
    const { memoryKib, timeCost } = this.#options;
    return this.#pool.run('argon2Hash', { password, memoryKib, timeCost });
  }

  #argon2Verify(hash: string, password: string): Promise<boolean> {
    return this.#pool.run('argon2Verify', { hash, password });
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
