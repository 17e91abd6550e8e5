import { Piscina } from 'piscina';

/** The tasks hash-worker.mjs exports, with their inputs and results. */
interface HashTasks {
  argon2Hash: [{ password: string; memoryKib: number; timeCost: number }, string];
  argon2Verify: [{ hash: string; password: string }, boolean];
  pbkdf2: [
    { password: string; salt: Uint8Array; iterations: number; keyBytes: number; digest: string },
    Uint8Array,
  ];
}

const WORKER = new URL('./hash-worker.mjs', import.meta.url).href;

/**
 * How long a hashing thread may wait for work before it ends. Each is a V8 isolate with its own
 * heap and malloc arena: two idle threads kept a server at rest 20-23 MB larger (135-136 against
 * 112-116 MB, 30 s after 40 password logins), which a server holding a million cached tokens
 * cannot spare (issue #4: 300 MB). Refresh logins and checks never hash; the first password login
 * after a quiet half minute waits for a thread to start, about 0.1-0.2 s here.
 */
export const HASH_THREAD_IDLE_MS = 30_000;

/**
 * Password hashing on dedicated worker threads (piscina), one per allowed concurrent hash, each at a
 * lower scheduling priority (`nice`) than the main thread: when both cores are busy, the event loop
 * answering token checks runs first and hashes take what is left, so a burst of logins slows logins,
 * not checks (issue #4). libuv's pool, where hashes ran before, is shared with file I/O and cannot be
 * reprioritised. The threads start with the hashes that need them, not with the server, and end
 * when idle (HASH_THREAD_IDLE_MS).
 */
export class HashPool {
  readonly #threads: number;
  readonly #nice: number;
  readonly #onError: (error: unknown) => void;
  readonly #idleMs: number;
  #pool: Piscina | null = null;

  /** `onError` hears of a thread that failed outside any hash (piscina starts a new one). */
  constructor(
    threads: number,
    nice: number,
    onError: (error: unknown) => void,
    idleMs = HASH_THREAD_IDLE_MS,
  ) {
    this.#threads = threads;
    this.#nice = nice;
    this.#onError = onError;
    this.#idleMs = idleMs;
  }

  /** Threads running now (tests). */
  get runningThreads(): number {
    return this.#pool?.threads.length ?? 0;
  }

  run<K extends keyof HashTasks>(name: K, input: HashTasks[K][0]): Promise<HashTasks[K][1]> {
    this.#pool ??= this.#start();
    return this.#pool.run(input, { name });
  }

  #start(): Piscina {
    const pool = new Piscina({
      filename: WORKER,
      minThreads: 0,
      maxThreads: this.#threads,
      idleTimeout: this.#idleMs,
      // The caller's WorkQueue already bounds the line; this pool never holds more than its threads.
      concurrentTasksPerWorker: 1,
      // Not the process's flags: a worker would load the process's --import modules (a loader, the
      // benchmark's probe) without the loader that makes them loadable. The worker is plain JS.
      execArgv: [],
      workerData: { nice: this.#nice },
    });
    pool.on('error', this.#onError);
    return pool;
  }

  /** Ends the threads; hashes still running are rejected (the server drains requests first). */
  async close(): Promise<void> {
    const pool = this.#pool;
    this.#pool = null;
    await pool?.destroy();
  }
}
