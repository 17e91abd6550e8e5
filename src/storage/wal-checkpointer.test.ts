import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { openStorage, type Storage } from './database.ts';
import { GroupCommit, WRITES_PER_CHECKPOINT, writeRunner } from './group-commit.ts';
import { type CheckpointResult, WalCheckpointer } from './wal-checkpointer.ts';
import type { WalFlush } from './wal-flush.ts';

/** Checkpoints on their own thread, driven by the group commit, on real SQLite files. */
describe('SQLite WAL checkpoints off the event loop', () => {
  let dir: string;
  const opened: Storage[] = [];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-checkpoints-'));
  });
  after(async () => {
    for (const storage of opened) await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function storageNamed(name: string): Promise<Storage> {
    const storage = await withItemTable(name);
    opened.push(storage);
    return storage;
  }

  async function withItemTable(name: string): Promise<Storage> {
    const storage = openStorage(`sqlite:${join(dir, name)}`);
    await sql`create table item (id integer primary key, payload blob not null)`.execute(storage.db);
    return storage;
  }

  /** The rows in the database file, read through a connection of its own. */
  function rowsIn(name: string): number {
    const reader = new SQLite(join(dir, name), { readonly: true });
    try {
      return reader.prepare('select count(*) from item').pluck().get() as number;
    } finally {
      reader.close();
    }
  }

  /** A group commit over `storage` that checkpoints every `every` writes and keeps each report. */
  function groupCommit(storage: Storage, every: number, checkpointer: WalCheckpointer | null) {
    const reports: CheckpointResult[] = [];
    const recording = checkpointer && {
      checkpoint: async () => {
        const report = await checkpointer.checkpoint();
        reports.push(report);
        return report;
      },
    };
    return { writes: new GroupCommit(storage.db, storage.walFlush as WalFlush, recording, every), reports };
  }

  /** `count` writes of one ~6 kB row each, `perTurn` of them queued together (one shared commit). */
  async function writeRows(writes: GroupCommit, count: number, perTurn: number): Promise<void> {
    for (let written = 0; written < count; written += perTurn) {
      const turn = Array.from({ length: Math.min(perTurn, count - written) }, () =>
        writes.transaction((tx) => sql`insert into item (payload) values (randomblob(6000))`.execute(tx)),
      );
      await Promise.all(turn);
    }
  }

  /** Callers are answered before the checkpoint their write triggers: wait for what it changes. */
  async function until(condition: () => boolean, what: string): Promise<void> {
    for (let waited = 0; !condition(); waited += 10) {
      if (waited > 5000) throw new Error(`still not ${what} after 5 s`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  const walBytes = (storage: Storage) => statSync(storage.walFile as string).size;

  test('#4 the main connection checkpoints by itself only past a raised backstop', async () => {
    const storage = await storageNamed('backstop.db');
    const rows = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(storage.db);
    assert.equal(rows.rows[0]?.wal_autocheckpoint, 4000);
    assert.ok(storage.checkpointer instanceof WalCheckpointer);
    const memory = openStorage('sqlite::memory:');
    assert.equal(memory.checkpointer, null, 'an in-memory database has no log to checkpoint');
    await memory.close();
  });

  test("#4 a storage's write runner asks its checkpointer every 160 writes", async () => {
    const storage = await storageNamed('runner.db');
    const checkpointer = storage.checkpointer as WalCheckpointer;
    const writes = writeRunner(storage.db, storage) as GroupCommit;
    await writeRows(writes, WRITES_PER_CHECKPOINT - 1, 1);
    assert.equal(checkpointer.running, false, 'not yet');
    await writeRows(writes, 1, 1);
    await until(() => checkpointer.running, 'started');
  });

  test('#4 every N writes, the thread copies the whole log into the database file', async () => {
    const storage = await storageNamed('every.db');
    const { writes, reports } = groupCommit(storage, 10, storage.checkpointer);
    await writeRows(writes, 35, 1);
    assert.equal(reports.length, 3, 'after writes 10, 20 and 30');
    for (const report of reports) {
      assert.equal(report.busy, 0);
      assert.ok(report.log > 0, 'the log held frames');
      assert.equal(report.checkpointed, report.log, 'no group-commit write ran meanwhile: all copied');
    }
  });

  test('#4 the log starts over after each checkpoint instead of growing to the backstop', async () => {
    const checkpointed = await storageNamed('bounded.db');
    await writeRows(groupCommit(checkpointed, 20, checkpointed.checkpointer).writes, 600, 5);
    const alone = await storageNamed('unbounded.db');
    await writeRows(groupCommit(alone, 20, null).writes, 600, 5);
    // 600 rows of 6 kB: about 1,200 pages, under the 4,000-page backstop, so without the thread
    // the log holds them all; with it, it never holds much more than 20 writes' worth.
    assert.ok(walBytes(alone) > 4_000_000, `without checkpoints: ${walBytes(alone)} bytes`);
    assert.ok(walBytes(checkpointed) < 1_000_000, `with checkpoints: ${walBytes(checkpointed)} bytes`);
    assert.equal(rowsIn('bounded.db'), 600);
  });

  test('#4 closing ends the thread first, so the last connection removes the log', async () => {
    const storage = await withItemTable('closing.db');
    await writeRows(groupCommit(storage, 1, storage.checkpointer).writes, 3, 1);
    assert.ok(existsSync(`${join(dir, 'closing.db')}-wal`));
    await storage.close();
    assert.equal(existsSync(`${join(dir, 'closing.db')}-wal`), false);
    assert.equal(rowsIn('closing.db'), 3);
  });

  test('#4 the thread ends when idle and starts again with the next checkpoint', async () => {
    const storage = await storageNamed('idle.db');
    const checkpointer = new WalCheckpointer(join(dir, 'idle.db'), () => {}, 200);
    const { writes, reports } = groupCommit(storage, 1, checkpointer);
    await writeRows(writes, 1, 1);
    await until(() => reports.length === 1, 'checkpointed');
    assert.equal(checkpointer.running, true);
    await until(() => !checkpointer.running, 'stopped after 200 ms without a request');
    await writeRows(writes, 2, 1);
    await until(() => reports.length === 3, 'checkpointed after the restart');
    assert.equal(checkpointer.running, true);
    await checkpointer.close();
    assert.equal(checkpointer.running, false);
  });

  test('#4 a thread that cannot open the database is reported once; writes go on without it', async () => {
    const storage = await storageNamed('failing.db');
    const errors: unknown[] = [];
    const broken = new WalCheckpointer(join(dir, 'missing', 'nothing.db'), (error) => errors.push(error));
    const { writes, reports } = groupCommit(storage, 1, broken);
    await writeRows(writes, 4, 1);
    await assert.rejects(broken.checkpoint(), /unable to open|directory does not exist|exited/);
    assert.equal(reports.length, 0);
    assert.equal(errors.length, 1, 'reported once');
    const count = await sql<{ n: number }>`select count(*) as n from item`.execute(storage.db);
    assert.equal(count.rows[0]?.n, 4, 'every write committed');
    await broken.close();
  });
});
