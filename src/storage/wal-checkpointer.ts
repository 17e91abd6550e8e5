import { Worker } from 'node:worker_threads';

const WORKER = new URL('./checkpoint-worker.mjs', import.meta.url);

/** What SQLite's `wal_checkpoint` reports: frames in the log, and how many are now in the database file. */
export interface CheckpointResult {
  busy: number;
  log: number;
  checkpointed: number;
}

/**
 * SQLite's WAL checkpoints, taken off the event loop (issue #4).
 *
 * By default SQLite checkpoints inside the commit that takes the log past 1,000 pages: it copies the
 * log into the database file and syncs both, within better-sqlite3's synchronous call. Under
 * refresh logins that was one commit in a hundred, taking 8 to 14 ms instead of 0.15: a quarter of
 * all commit time, during which the event loop answered nothing, token checks included. Here a
 * thread with its own connection runs them (checkpoint-worker.mjs), at the group commit's request
 * (group-commit.ts), while the event loop goes on reading.
 *
 * The thread starts on the first checkpoint, so a process that never writes much (the CLI, most
 * tests) never starts it, and it ends after a while without one: while it runs, the process holds
 * 9 to 11 MB more (measured; its own V8 heap is about 7.5 MB of it), which an idle server keeps
 * for its token cache instead. If it fails, each later request fails at once,
 * and the main connection's own automatic checkpoint (raised, not disabled: see openStorage) keeps
 * the log bounded.
 */
export class WalCheckpointer {
  readonly #path: string;
  readonly #onError: (error: unknown) => void;
  readonly #idleMs: number;
  #worker: Worker | null = null;
  #idleTimer: NodeJS.Timeout | null = null;
  #lastRequest = 0;
  /** The exit of a thread being stopped, which `close` waits for. */
  #stopping: Promise<unknown> = Promise.resolve();
  #failure: Error | null = null;
  #nextId = 0;
  readonly #waiting = new Map<
    number,
    { resolve(result: CheckpointResult): void; reject(error: Error): void }
  >();

  /**
   * `path`: the database file; `onError` hears once of a thread that could not work; the thread
   * ends after `idleMs` without a request and starts again with the next one.
   */
  constructor(path: string, onError: (error: unknown) => void = () => {}, idleMs = 10_000) {
    this.#path = path;
    this.#onError = onError;
    this.#idleMs = idleMs;
  }

  /** Whether the thread is running now (diagnostics and tests). */
  get running(): boolean {
    return this.#worker !== null;
  }

  /** One PASSIVE checkpoint on the thread; resolves with SQLite's report of it. */
  checkpoint(): Promise<CheckpointResult> {
    if (this.#failure !== null) return Promise.reject(this.#failure);
    const worker = this.#started();
    this.#lastRequest = performance.now();
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      worker.postMessage({ request: 'checkpoint', id });
    });
  }

  /** Ends the thread and closes its connection; checkpoints still running finish first. */
  async close(): Promise<void> {
    this.#stop();
    await this.#stopping;
  }

  #stop(): void {
    const worker = this.#worker;
    if (this.#idleTimer !== null) clearInterval(this.#idleTimer);
    this.#idleTimer = null;
    this.#worker = null;
    if (worker === null) return;
    this.#stopping = new Promise((resolve) => worker.once('exit', resolve));
    // Held by `close`'s wait: an unreferenced thread would let the process end before it closed.
    worker.ref();
    worker.postMessage({ request: 'stop' });
  }

  #stopIfIdle(): void {
    if (this.#waiting.size === 0 && performance.now() - this.#lastRequest >= this.#idleMs) this.#stop();
  }

  #started(): Worker {
    if (this.#worker !== null) return this.#worker;
    // Not the process's flags: the benchmark's --import probe would load into the thread too.
    const worker = new Worker(WORKER, {
      workerData: { path: this.#path },
      execArgv: [],
      // Its few objects live briefly: a small young generation keeps about 1 MB of the default.
      resourceLimits: { maxYoungGenerationSizeMb: 1 },
    });
    // A server that forgets to close its storage must still be able to exit.
    worker.unref();
    worker.on('message', (message: { id: number; result?: CheckpointResult; error?: string }) => {
      const waiting = this.#waiting.get(message.id);
      this.#waiting.delete(message.id);
      if (message.result) waiting?.resolve(message.result);
      else waiting?.reject(new Error(`WAL checkpoint failed: ${message.error}`));
    });
    worker.on('error', (error) => this.#fail(error));
    worker.on('exit', () => {
      if (this.#worker === worker) this.#fail(new Error('the WAL checkpoint thread exited'));
    });
    this.#worker = worker;
    this.#idleTimer = setInterval(() => this.#stopIfIdle(), this.#idleMs).unref();
    return worker;
  }

  #fail(error: Error): void {
    if (this.#failure !== null) return;
    this.#failure = error;
    this.#stop();
    for (const waiting of this.#waiting.values()) waiting.reject(error);
    this.#waiting.clear();
    this.#onError(error);
  }
}
