import { type CompiledQuery, sql } from 'kysely';
import type { Db, Storage } from './database.ts';
import type { StatementBatch } from './pg-pipeline.ts';
import type { WalCheckpointer } from './wal-checkpointer.ts';
import type { WalFlush } from './wal-flush.ts';

/**
 * How the hot writes (a login's session and token, a refresh token's last use) reach the database.
 *
 * SQLite commits one transaction at a time, and with `synchronous = FULL` each commit waits for the
 * disk inside better-sqlite3's synchronous call, so logins were bounded by the disk's flush rate and
 * every flush stalled the event loop, token checks included (issue #4 bench). Writes queued during
 * one event-loop turn therefore share one transaction: one flush for all of them. That transaction
 * commits without waiting for the disk, and the flush then runs off the event loop (WalFlush).
 * Each caller is answered only after the flush, so a 2xx still means durable. If the shared
 * transaction fails, every write in it is run again alone, so one bad write cannot fail its
 * neighbours (each write is plain database work on values computed beforehand, so running it again
 * is safe).
 *
 * PostgreSQL commits concurrent transactions in parallel and groups their flushes itself: there,
 * each write is its own transaction, as before, and a batch of statements travels in one round
 * trip (pg-pipeline.ts).
 */
export interface WriteRunner {
  /** Runs `work` in a transaction (possibly shared); resolves after it is durably committed. */
  transaction<T>(work: (tx: Db) => Promise<T>): Promise<T>;
  /**
   * Runs compiled statements in order in one transaction and resolves with each one's rows once it
   * is durably committed. Nothing is read between them (see StatementBatch), which is what lets
   * PostgreSQL receive them all at once.
   */
  batch: StatementBatch;
  /**
   * Runs one statement whose loss in a power cut is harmless (the failed-login counters), committed
   * without waiting for the disk (GroupCommit.relaxed; on PostgreSQL, `relaxedOnPostgres`), and
   * resolves with its rows. Never for what a 2xx acknowledges.
   */
  relaxed<R>(statement: CompiledQuery<R>): Promise<R[]>;
}

/** `db` is usually `storage.db` (tests pass a wrapped one). */
export function writeRunner(
  db: Db,
  storage: Pick<Storage, 'dialect' | 'walFlush' | 'checkpointer' | 'pipelined'>,
): WriteRunner {
  if (storage.dialect === 'sqlite') {
    if (storage.walFlush === null) throw new Error('a SQLite storage must provide its WAL flush');
    return new GroupCommit(db, storage.walFlush, storage.checkpointer);
  }
  const { pipelined } = storage;
  if (pipelined === null) throw new Error('a PostgreSQL storage must provide its statement pipeline');
  return {
    transaction: (work) => db.transaction().execute(work),
    batch: pipelined,
    relaxed: relaxedOnPostgres(db, pipelined),
  };
}

/**
 * PostgreSQL's asynchronous commit for one statement: BEGIN, `SET LOCAL synchronous_commit = off`,
 * the statement and COMMIT leave in one round trip, and the commit returns once its WAL record is
 * in shared memory; the WAL writer flushes it within a few hundred milliseconds. The row is
 * visible to every other connection at once, as with any commit; a crash of PostgreSQL or of the
 * machine in that interval may forget it, a crash of Gatehouse cannot. The backend no longer
 * flushes the WAL itself for each counter. A password login's two counter writes each cost it an
 * `fdatasync` (on a virtual disk, 14% of the backends' samples in a profile of password logins),
 * CPU taken from the cores that hash (issue #4).
 */
function relaxedOnPostgres(db: Db, pipelined: StatementBatch): WriteRunner['relaxed'] {
  const asynchronousCommit = sql`set local synchronous_commit = off`.compile(db);
  return async <R>(statement: CompiledQuery<R>) => {
    const [, rows] = await pipelined([asynchronousCommit, statement]);
    return rows as R[];
  };
}

interface Pending {
  work: (tx: Db) => Promise<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** More writes than this in one turn are split into several transactions (bounded lock holding). */
const MAX_BATCH = 128;

/**
 * Writes between two checkpoints (wal-checkpointer.ts). 160 refresh logins put 1,150 to 1,230 pages
 * in the log (bench, scenario e), near SQLite's own 1,000-page interval.
 */
export const WRITES_PER_CHECKPOINT = 160;

export class GroupCommit implements WriteRunner {
  readonly #db: Db;
  readonly #wal: WalFlush;
  #queue: Pending[] = [];
  #scheduled = false;
  readonly #checkpointer: Pick<WalCheckpointer, 'checkpoint'> | null;
  readonly #writesPerCheckpoint: number;
  #writesSinceCheckpoint = 0;
  /** The batch being committed and flushed; never rejects (each write's outcome goes to its caller). */
  #inFlight: Promise<void> = Promise.resolve();

  constructor(
    db: Db,
    wal: WalFlush,
    checkpointer: Pick<WalCheckpointer, 'checkpoint'> | null = null,
    writesPerCheckpoint = WRITES_PER_CHECKPOINT,
  ) {
    this.#db = db;
    this.#wal = wal;
    this.#checkpointer = checkpointer;
    this.#writesPerCheckpoint = writesPerCheckpoint;
  }

  transaction<T>(work: (tx: Db) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      this.#schedule();
    });
  }

  batch(statements: readonly CompiledQuery[]): Promise<unknown[][]> {
    return this.transaction(async (tx) => {
      const rows: unknown[][] = [];
      for (const statement of statements) rows.push((await tx.executeQuery(statement)).rows);
      return rows;
    });
  }

  /**
   * `synchronous = NORMAL` for this one statement: in WAL mode its commit is written to the WAL
   * without an fsync, so it survives a crash of the process but not of the machine, and becomes
   * durable with the next flush of the WAL (a group commit's, or any FULL commit's). A password
   * login used to flush three times (count the attempt, clear the count, start the session); now
   * only the session's flush remains. The connection is held throughout, so nothing else runs at
   * the relaxed setting.
   */
  async relaxed<R>(statement: CompiledQuery<R>): Promise<R[]> {
    const result = await this.#withoutFlush((connection) => connection.executeQuery(statement));
    return result.rows;
  }

  /** Runs `work` on the held connection at `synchronous = NORMAL`, then restores FULL for everything else. */
  #withoutFlush<T>(work: (connection: Db) => Promise<T>): Promise<T> {
    return this.#db.connection().execute(async (connection) => {
      await sql`pragma synchronous = normal`.execute(connection);
      try {
        return await work(connection);
      } finally {
        await sql`pragma synchronous = full`.execute(connection);
      }
    });
  }

  /** One transaction committed without waiting for the disk, then flushed off the event loop. */
  async #durable<T>(work: (tx: Db) => Promise<T>): Promise<T> {
    const result = await this.#withoutFlush((connection) => connection.transaction().execute(work));
    await this.#wal.flush();
    return result;
  }

  /**
   * A batch starts once the previous one is committed and flushed: the writes that arrive during a
   * flush (2 ms or so) commit together after it, as they did when the flush blocked the loop. Each
   * commit writes every page it changed to the WAL. Measured with 20 refresh-login connections:
   * one batch per event-loop turn gave 5.2 logins per commit at 362 µs each (69 µs per login);
   * waiting for the flush gives 9.4 per commit at 559 µs (59 µs per login).
   */
  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(async () => {
      await this.#inFlight;
      this.#scheduled = false;
      const batch = this.#queue.splice(0, MAX_BATCH);
      if (this.#queue.length > 0) this.#schedule();
      this.#inFlight = this.#commit(batch).then(() => this.#checkpointWhenDue(batch.length));
    });
  }

  /**
   * The next batch waits for the checkpoint, which the callers of this one do not (they are
   * answered already): with no group-commit write in between, it copies the whole log, and the next
   * commit starts the log over from its beginning. Checkpoints that always trailed a few new frames
   * would never let it start over, and the log would grow until the main connection's backstop.
   * A failed checkpoint is left to that backstop (the checkpointer reports the failure).
   */
  async #checkpointWhenDue(writes: number): Promise<void> {
    if (this.#checkpointer === null) return;
    this.#writesSinceCheckpoint += writes;
    if (this.#writesSinceCheckpoint < this.#writesPerCheckpoint) return;
    this.#writesSinceCheckpoint = 0;
    await this.#checkpointer.checkpoint().catch(() => {});
  }

  async #commit(batch: Pending[]): Promise<void> {
    if (batch.length === 1) return this.#alone(batch[0] as Pending);
    let results: unknown[];
    try {
      results = await this.#durable(async (tx) => {
        const values: unknown[] = [];
        for (const pending of batch) values.push(await pending.work(tx));
        return values;
      });
    } catch {
      for (const pending of batch) await this.#alone(pending);
      return;
    }
    for (const [index, pending] of batch.entries()) pending.resolve(results[index]);
  }

  async #alone(pending: Pending): Promise<void> {
    try {
      pending.resolve(await this.#durable(pending.work));
    } catch (error) {
      pending.reject(error);
    }
  }
}
