import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { openStorage, type Storage } from './database.ts';
import { GroupCommit, type WriteRunner, writeRunner } from './group-commit.ts';
import { WalFlush } from './wal-flush.ts';

/** Group commit on a real SQLite file, read back through a second, independent connection. */
describe('SQLite group commit', () => {
  let dir: string;
  let storage: Storage;
  let transactions = 0;
  let writes: WriteRunner;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-group-commit-'));
    storage = openStorage(`sqlite:${join(dir, 'g.db')}`);
    await sql`create table item (name text primary key)`.execute(storage.db);
    // Counts the transactions the runner opens, each on a connection it holds (the database is real).
    const db = new Proxy(storage.db, {
      get(target, property, receiver) {
        if (property === 'connection') transactions += 1;
        const value = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    writes = writeRunner(db, storage);
  });
  after(async () => {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function insert(name: string): Promise<string> {
    return writes.transaction(async (tx) => {
      await tx
        .insertInto('item' as never)
        .values({ name } as never)
        .execute();
      return name;
    });
  }

  function committedNames(): string[] {
    const reader = new SQLite(join(dir, 'g.db'), { readonly: true });
    try {
      return (reader.prepare('select name from item order by name').all() as { name: string }[]).map(
        (r) => r.name,
      );
    } finally {
      reader.close();
    }
  }

  test('#4 writes of one event-loop turn share one commit, each answered after it', async () => {
    transactions = 0;
    const names = Array.from({ length: 50 }, (_, i) => `a${String(i).padStart(2, '0')}`);
    const results = await Promise.all(names.map(insert));
    assert.deepEqual(results, names);
    assert.equal(transactions, 1, 'one transaction for the 50 writes');
    assert.deepEqual(committedNames(), names, 'visible to another connection once answered');
  });

  test('#4 a failing write fails alone: its neighbours are committed', async () => {
    const outcomes = await Promise.allSettled(['b1', 'a00', 'b2', 'b3'].map(insert));
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['fulfilled', 'rejected', 'fulfilled', 'fulfilled'],
    );
    const names = committedNames();
    for (const name of ['b1', 'b2', 'b3']) assert.ok(names.includes(name), name);
    assert.equal(names.filter((n) => n === 'a00').length, 1);
  });

  test('#4 writes queued later are committed in a later transaction', async () => {
    transactions = 0;
    await insert('c1');
    await insert('c2');
    assert.equal(transactions, 2);
    assert.ok(committedNames().includes('c2'));
  });
  test('#4 a relaxed write runs at synchronous=NORMAL, alone, and the connection returns to FULL', async () => {
    const level = async () =>
      (await sql<{ synchronous: number }>`pragma synchronous`.execute(storage.db)).rows[0]?.synchronous;
    assert.equal(await level(), 2, 'FULL outside relaxed writes');
    const [inserted, during] = await Promise.all([
      writes.relaxed(
        sql<{ name: string }>`insert into item (name) values ('relaxed') returning name`.compile(storage.db),
      ),
      writes.relaxed(sql<{ synchronous: number }>`pragma synchronous`.compile(storage.db)),
      // Queued behind the relaxed writes on the one connection.
      insert('durable-after-relaxed'),
    ]);
    assert.deepEqual(inserted, [{ name: 'relaxed' }], "the statement's rows come back");
    assert.equal(during[0]?.synchronous, 1);
    assert.equal(await level(), 2);
    const other = new SQLite(join(dir, 'g.db'), { readonly: true });
    try {
      const names = other.prepare('select name from item order by name').pluck().all();
      assert.ok(names.includes('relaxed') && names.includes('durable-after-relaxed'));
    } finally {
      other.close();
    }
  });

  test('#4 a relaxed write that fails still returns the connection to FULL', async () => {
    await assert.rejects(writes.relaxed(sql`insert into missing_table values (1)`.compile(storage.db)));
    const rows = (await sql<{ synchronous: number }>`pragma synchronous`.execute(storage.db)).rows;
    assert.equal(rows[0]?.synchronous, 2);
  });
});

/** The flush that makes a group commit durable, observed through a WalFlush whose sync the test releases. */
describe('SQLite group commit: the WAL flush', () => {
  let dir: string;
  let storage: Storage;
  let syncs: { path: string; release(error?: Error): void }[];
  let writes: GroupCommit;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-wal-flush-'));
    storage = openStorage(`sqlite:${join(dir, 'g.db')}`);
    await sql`create table item (name text primary key)`.execute(storage.db);
    syncs = [];
    const heldSync = (path: string) =>
      new Promise<void>((resolve, reject) => {
        syncs.push({ path, release: (error) => (error ? reject(error) : resolve()) });
      });
    writes = new GroupCommit(storage.db, new WalFlush(storage.walFile, heldSync));
  });
  after(async () => {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const insert = (name: string) =>
    writes.transaction(async (tx) => {
      const level = await sql<{ synchronous: number }>`pragma synchronous`.execute(tx);
      await sql`insert into item (name) values (${name})`.execute(tx);
      return level.rows[0]?.synchronous;
    });

  async function untilSyncs(count: number): Promise<void> {
    for (let turn = 0; syncs.length < count; turn++) {
      if (turn > 1000) throw new Error(`${syncs.length} syncs, expected ${count}`);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  test('#4 commits at NORMAL, then answers only after an fdatasync of the WAL, off the event loop', async () => {
    let answered = false;
    const write = insert('w1').then((level) => {
      answered = true;
      return level;
    });
    await untilSyncs(1);
    assert.equal(syncs[0]?.path, join(dir, 'g.db-wal'));
    const reader = new SQLite(join(dir, 'g.db'), { readonly: true });
    try {
      assert.deepEqual(reader.prepare('select name from item').pluck().all(), ['w1'], 'committed');
    } finally {
      reader.close();
    }
    assert.equal(answered, false, 'not answered before the flush');
    syncs[0]?.release();
    assert.equal(await write, 1, 'the transaction ran at synchronous = NORMAL');
    const level = await sql<{ synchronous: number }>`pragma synchronous`.execute(storage.db);
    assert.equal(level.rows[0]?.synchronous, 2, 'FULL again for every other write');
  });

  test('#4 commits made while a flush runs wait for the next flush, which they share', async () => {
    syncs = [];
    const first = insert('x1');
    await untilSyncs(1);
    const later = [insert('x2'), insert('x3')];
    for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(syncs.length, 1, 'no second flush while one runs');
    syncs[0]?.release();
    await first;
    await untilSyncs(2);
    syncs[1]?.release();
    await Promise.all(later);
    assert.equal(syncs.length, 2);
  });

  test('#4 a failed flush fails the writes it was to make durable', async () => {
    syncs = [];
    const write = insert('y1');
    await untilSyncs(1);
    syncs[0]?.release(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
    await assert.rejects(write, /EIO/);
  });
});
