import { open } from 'node:fs/promises';

/** Makes the file at `path` durable (fdatasync); the default opens it, syncs it and closes it. */
export type SyncFile = (path: string) => Promise<void>;

/**
 * The disk flush of SQLite's hot commits, taken off the event loop.
 *
 * With `synchronous = FULL`, each COMMIT waits for an fsync of the write-ahead log inside
 * better-sqlite3's synchronous call: 2.3 ms per group commit during which the event loop answered
 * nothing, checks included (issue #4 bench). The group commit now commits at `synchronous = NORMAL`
 * (the commit is written to the WAL, not flushed) and then awaits this flush, which runs `fdatasync`
 * on the WAL file on libuv's thread pool. A 2xx is still sent only after the flush, so an
 * acknowledged write still survives power loss. fdatasync reaches every page of the file whichever
 * descriptor wrote it, and SQLite rewrites the WAL in place (same file) after a checkpoint.
 *
 * One flush runs at a time. A caller that arrives while one runs cannot know whether its commit was
 * written before that flush began, so it waits for the next one, which all such callers share.
 */
export class WalFlush {
  readonly #path: string | null;
  readonly #sync: SyncFile;
  #running: Promise<void> | null = null;
  #next: Promise<void> | null = null;

  /** `path`: the database's `-wal` file; null for an in-memory database, which has nothing to flush. */
  constructor(path: string | null, sync: SyncFile = datasyncFile) {
    this.#path = path;
    this.#sync = sync;
  }

  /** Resolves once every commit made before this call is on disk; rejects if the flush failed. */
  flush(): Promise<void> {
    const path = this.#path;
    if (path === null) return Promise.resolve();
    if (this.#running === null) {
      this.#running = this.#sync(path).finally(() => {
        this.#running = null;
      });
      return this.#running;
    }
    this.#next ??= this.#running
      .catch(() => {})
      .then(() => {
        this.#next = null;
        return this.flush();
      });
    return this.#next;
  }
}

/**
 * No WAL file means the last connection closed and checkpointed it into the database file, which
 * SQLite syncs itself: nothing is left to flush.
 */
async function datasyncFile(path: string): Promise<void> {
  let file: Awaited<ReturnType<typeof open>>;
  try {
    file = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  try {
    await file.datasync();
  } finally {
    await file.close();
  }
}
