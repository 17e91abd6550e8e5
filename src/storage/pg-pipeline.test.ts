import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CompiledQuery, sql } from 'kysely';
import pg from 'pg';
import {
  createTestDatabase,
  postgresUnavailableReason,
  type TestDatabase,
} from '../testing/test-databases.ts';
import { openStorage, type Storage } from './database.ts';
import { writeRunner } from './group-commit.ts';
import type { StatementBatch } from './pg-pipeline.ts';

/**
 * Issue #4: a login's writes travel to PostgreSQL as one pipelined transaction. What the callers
 * rely on: order, all-or-nothing, each statement its own snapshot (CC-6), the bound of FT-4, and a
 * connection that goes back to the pool after a statement's error.
 */
const postgresSkip = await postgresUnavailableReason();

function statement(text: string, ...parameters: unknown[]): CompiledQuery {
  return CompiledQuery.raw(text, parameters);
}

const LOCKING = 'update item set v = v where id = $1 returning id';

describe('PostgreSQL pipelined transactions', { skip: postgresSkip || false }, () => {
  let database: TestDatabase;
  let storage: Storage;
  let batch: StatementBatch;
  let other: pg.Client;
  /** Watches pg_stat_activity outside `other`'s transaction, whose statistics snapshot would stay frozen. */
  let observer: pg.Client;

  before(async () => {
    database = await createTestDatabase('postgres');
    storage = openStorage(database.url, { pgSchema: database.pgSchema, poolSize: 1, timeoutMs: 10_000 });
    batch = storage.pipelined as StatementBatch;
    await sql`create table item (id int primary key, v int not null)`.execute(storage.db);
    other = new pg.Client({ connectionString: database.url, options: `-c search_path=${database.pgSchema}` });
    await other.connect();
    observer = new pg.Client({ connectionString: database.url });
    await observer.connect();
  });
  after(async () => {
    await other?.end();
    await observer?.end();
    await storage?.close();
    await database?.dispose();
  });

  const count = async () => Number((await other.query('select count(*) as n from item')).rows[0].n);
  const backendPid = async () => (await batch([statement('select pg_backend_pid() as pid')]))[0]?.[0];

  test('statements run in order and each answers its rows after the commit', async () => {
    await other.query('delete from item');
    const rows = await batch([
      statement('insert into item (id, v) values ($1, $2) returning id', 1, 10),
      statement('update item set v = v + 1 where id = $1 returning v', 1),
      statement('select id, v from item order by id'),
    ]);
    assert.deepEqual(rows, [[{ id: 1 }], [{ v: 11 }], [{ id: 1, v: 11 }]]);
    assert.equal(await count(), 1);
  });

  test('an error rolls the whole batch back, is the error thrown, and leaves the connection in the pool', async () => {
    await other.query('delete from item');
    const pidBefore = await backendPid();
    await assert.rejects(
      batch([
        statement('insert into item (id, v) values ($1, 1)', 1),
        statement('insert into item (id, v) values ($1, 1)', 1),
        statement('insert into item (id, v) values ($1, 1)', 2),
      ]),
      (error: { code?: string }) => error.code === '23505',
    );
    assert.equal(await count(), 0);
    assert.deepEqual(await backendPid(), pidBefore, 'the pool of one kept its connection');
  });

  test('a statement that waited for a lock sees what the holder committed meanwhile (CC-6)', async () => {
    await other.query('delete from item');
    await other.query('insert into item (id, v) values (1, 0)');
    await other.query('begin');
    await other.query('update item set v = v where id = 1');
    await other.query('insert into item (id, v) values (2, 0)');
    const running = batch([statement(LOCKING, 1), statement('select count(*)::int as n from item')]);
    await waitForLockWaiter();
    await other.query('commit');
    const [locked, counted] = await running;
    assert.deepEqual(locked, [{ id: 1 }]);
    assert.deepEqual(counted, [{ n: 2 }], 'one statement would have counted from before the wait: 1');
  });

  test('a batch past the time bound fails as the database being unavailable, and the pool recovers', async () => {
    const bounded = openStorage(database.url, { pgSchema: database.pgSchema, poolSize: 1, timeoutMs: 300 });
    try {
      const run = bounded.pipelined as StatementBatch;
      await assert.rejects(run([statement('select pg_sleep(5)')]), (error: { code?: string }) => {
        return error.code === 'ETIMEDOUT';
      });
      assert.deepEqual(await run([statement('select 1 as one')]), [[{ one: 1 }]]);
    } finally {
      await bounded.close();
    }
  });

  test('a relaxed write commits without waiting for the disk, alone, and others see it at once', async () => {
    await other.query('delete from item');
    const relaxed = writeRunner(storage.db, storage).relaxed;
    const setting = "select current_setting('synchronous_commit') as setting";
    assert.deepEqual(await relaxed(statement(setting)), [{ setting: 'off' }]);
    const inserted = await relaxed(statement('insert into item (id, v) values ($1, 7) returning id', 9));
    assert.deepEqual(inserted, [{ id: 9 }]);
    assert.equal(await count(), 1, 'committed and visible to another connection');
    const [afterwards] = await batch([statement(setting)]);
    assert.deepEqual(afterwards, [{ setting: 'on' }], 'the pool of one went back to synchronous commits');
    await assert.rejects(relaxed(statement('insert into item (id, v) values ($1, 7)', 9)), {
      code: '23505',
    });
  });

  async function waitForLockWaiter(): Promise<void> {
    for (let i = 0; i < 200; i++) {
      const waiting = await observer.query(
        "select 1 from pg_stat_activity where wait_event_type = 'Lock' and query = $1",
        [LOCKING],
      );
      if (waiting.rowCount) return;
      await sleep(10);
    }
    throw new Error('the batch never waited for the lock');
  }
});
