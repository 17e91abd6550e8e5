import { statSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';

/** Makes the file at `path` durable (fdatasync); the default is an OpenWal. */
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
  readonly #file: OpenWal | null;
  #running: Promise<void> | null = null;
  #next: Promise<void> | null = null;

  /**
   * `path`: the database's `-wal` file; null for an in-memory database, which has nothing to flush.
   * `sync` replaces the real flush (tests); by default the file is kept open (OpenWal).
   */
  constructor(path: string | null, sync?: SyncFile) {
    this.#path = path;
    if (sync) {
      this.#file = null;
      this.#sync = sync;
    } else {
      const file = new OpenWal();
      this.#file = file;
      this.#sync = (wal) => file.datasync(wal);
    }
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

  /** Waits for the flushes under way, then closes the kept descriptor (with the storage). */
  async close(): Promise<void> {
    await (this.#next ?? this.#running)?.catch(() => {});
    await this.#file?.close();
  }
}

/**
 * The WAL file, opened at the first flush and kept open. Opening and closing it at every flush
 * cost the event loop two more trips to libuv's thread pool per group commit: 0.14 ms of the
 * 1.26 ms a password login spent on the main thread (V8 profile, SQLite, issue #4).
 *
 * SQLite writes the same file as long as one of its connections is open (a checkpoint rewrites it
 * in place; the last connection to close removes it), so the descriptor stays valid while the
 * server runs. Still, before each flush the path's inode is compared with the descriptor's (a
 * `stat` on the event loop, a few microseconds): a file removed or replaced behind Gatehouse's back
 * is opened again, so a flush never syncs a file SQLite no longer writes.
 */
class OpenWal {
  #handle: FileHandle | null = null;
  #inode: bigint | null = null;

  async datasync(path: string): Promise<void> {
    const inode = statSync(path, { bigint: true, throwIfNoEntry: false })?.ino ?? null;
    let handle = this.#handle;
    if (handle === null || inode !== this.#inode) {
      await this.close();
      // No WAL file means the last connection closed and checkpointed it into the database file,
      // which SQLite syncs itself: nothing is left to flush.
      handle = inode === null ? null : await openUnlessMissing(path);
      if (handle === null) return;
      this.#handle = handle;
      this.#inode = inode;
    }
    await handle.datasync();
  }

  async close(): Promise<void> {
    const handle = this.#handle;
    this.#handle = null;
    this.#inode = null;
    await handle?.close();
  }
}

async function openUnlessMissing(path: string): Promise<FileHandle | null> {
  try {
    return await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}
