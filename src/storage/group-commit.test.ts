import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { openStorage, type Storage } from './database.ts';
import { type WriteRunner, writeRunner } from './group-commit.ts';

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
    // Counts the transactions the runner opens (the database itself is real).
    const db = new Proxy(storage.db, {
      get(target, property, receiver) {
        if (property === 'transaction') transactions += 1;
        const value = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    writes = writeRunner(db, 'sqlite');
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
    const [during] = await Promise.all([
      writes.relaxed(async (db) => {
        await db
          .insertInto('item' as never)
          .values({ name: 'relaxed' } as never)
          .execute();
        return (await sql<{ synchronous: number }>`pragma synchronous`.execute(db)).rows[0]?.synchronous;
      }),
      // Queued behind the relaxed write on the one connection: it must not commit at NORMAL.
      insert('durable-after-relaxed'),
    ]);
    assert.equal(during, 1);
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
    await assert.rejects(writes.relaxed((db) => sql`insert into missing_table values (1)`.execute(db)));
    const rows = (await sql<{ synchronous: number }>`pragma synchronous`.execute(storage.db)).rows;
    assert.equal(rows[0]?.synchronous, 2);
  });
});
