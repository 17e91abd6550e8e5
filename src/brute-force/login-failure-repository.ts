import { type RawBuilder, sql } from 'kysely';
import type { Db } from '../storage/database.ts';
import type { WriteRunner } from '../storage/group-commit.ts';
import { type ParamOf, PrecompiledQuery } from '../storage/precompiled-query.ts';
import type { CounterState } from './brute-force.ts';

export interface IncrementInput {
  key: string;
  now: number;
  windowMs: number;
  /** When the row may be purged if nothing touches it again. */
  expiresAtMs: number;
}

export interface LockInput {
  key: string;
  now: number;
  untilMs: number;
  lockId: string;
  /** The lock starts only while the counter holds more failures than this. */
  maxFailures: number;
  expiresAtMs: number;
}

/** 64-bit millisecond parameter; the cast lets PostgreSQL type `$n + $m` and CASE branches. */
const ms = (value: number): RawBuilder<number> => sql<number>`cast(${value} as bigint)`;

const COUNTER_COLUMNS = ['failures', 'window_start_ms', 'locked_until_ms', 'lock_count'] as const;

/**
 * The failed-login counters (migration 0003). Every change is one statement, so concurrent
 * attempts on any number of instances never lose an increment (CC-5; keycloak#52646 lost them
 * at a reset boundary because it read, then wrote).
 */
export class LoginFailureRepository {
  readonly #db: Db;
  readonly #writes: Pick<WriteRunner, 'relaxed'>;

  /**
   * The increments and the clearing after a success go through `writes.relaxed`: they do not wait
   * for the disk, so a password login flushes once, with its session. A crash of the machine (or,
   * on PostgreSQL, of the database server) may forget the last failures counted; a crash of
   * Gatehouse forgets nothing.
   */
  constructor(db: Db, writes: Pick<WriteRunner, 'relaxed'>) {
    this.#db = db;
    this.#writes = writes;
  }

  /** Adds one failure and returns the counter after it (INCREMENT, below). */
  async increment(input: IncrementInput): Promise<CounterState> {
    const [row] = await this.#writes.relaxed(INCREMENT.compile(this.#db, input));
    if (row === undefined) throw new Error('the counter upsert returned no row');
    return toState(row);
  }

  /**
   * Starts a lock unless one is running: a compare-and-set, so among concurrent attempts that all
   * saw the count go over the limit exactly one starts (and announces) the lock.
   */
  async startLock(input: LockInput): Promise<boolean> {
    const row = await this.#db
      .updateTable('auth_login_failure')
      .set((eb) => ({
        locked_until_ms: input.untilMs,
        lock_count: eb('lock_count', '+', 1),
        lock_id: input.lockId,
        expires_at_ms: input.expiresAtMs,
      }))
      .where('counter_key', '=', input.key)
      .where('locked_until_ms', '<=', input.now)
      .where('failures', '>', input.maxFailures)
      .returning('lock_id')
      .executeTakeFirst();
    return row?.lock_id === input.lockId;
  }

  async get(key: string): Promise<CounterState | null> {
    const row = await GET_COUNTER.takeFirst(this.#db, { key });
    return row ? toState(row) : null;
  }

  /** Two counters in one read (a refresh login checks its address and its account at once). */
  async getPair(first: string, second: string): Promise<[CounterState | null, CounterState | null]> {
    const rows = await GET_COUNTER_PAIR.execute(this.#db, { first, second });
    const state = (key: string) => {
      const row = rows.find((r) => r.counter_key === key);
      return row ? toState(row) : null;
    };
    return [state(first), state(second)];
  }

  async delete(key: string): Promise<void> {
    await this.#writes.relaxed(DELETE_COUNTER.compile(this.#db, { key }));
  }

  /** Deletes every counter whose key matches the LIKE pattern; returns how many. */
  async deleteMatching(pattern: string): Promise<number> {
    const rows = await this.#db
      .deleteFrom('auth_login_failure')
      .where('counter_key', 'like', pattern)
      .returning('counter_key')
      .execute();
    return rows.length;
  }

  /** Purges up to `limit` expired counters; the caller loops while a full batch comes back. */
  async purgeExpired(now: number, limit: number): Promise<number> {
    const expired = this.#db
      .selectFrom('auth_login_failure')
      .select('counter_key')
      .where('expires_at_ms', '<=', now)
      .limit(limit);
    const rows = await this.#db
      .deleteFrom('auth_login_failure')
      .where('counter_key', 'in', expired)
      .returning('counter_key')
      .execute();
    return rows.length;
  }
}

// Run on every login, so compiled once (storage/precompiled-query.ts); on PostgreSQL each is then
// also a named statement, parsed once per connection.

/**
 * Adds one failure and returns the counter after it. The count starts again at 1 when a lock has
 * ended or when the window has passed with no lock running (brute-force.ts `restarts`); the lock
 * history is forgotten once the row has expired. In the DO UPDATE branch the table's columns are
 * the row's values before the update, on both engines.
 */
const INCREMENT = new PrecompiledQuery((db, p: ParamOf<IncrementInput>) => {
  const t = 'auth_login_failure';
  const now = ms(p('now'));
  const expiresAtMs = ms(p('expiresAtMs'));
  const restart = sql`(${sql.ref(`${t}.locked_until_ms`)} <= ${now} and (${sql.ref(`${t}.locked_until_ms`)} > 0 or ${sql.ref(`${t}.window_start_ms`)} + ${ms(p('windowMs'))} <= ${now}))`;
  return db
    .insertInto(t)
    .values({
      counter_key: p('key'),
      failures: 1,
      window_start_ms: p('now'),
      locked_until_ms: 0,
      lock_count: 0,
      lock_id: null,
      expires_at_ms: p('expiresAtMs'),
    })
    .onConflict((oc) =>
      oc.column('counter_key').doUpdateSet({
        failures: sql`case when ${restart} then 1 else ${sql.ref(`${t}.failures`)} + 1 end`,
        window_start_ms: sql`case when ${restart} then ${now} else ${sql.ref(`${t}.window_start_ms`)} end`,
        locked_until_ms: sql`case when ${restart} then ${ms(0)} else ${sql.ref(`${t}.locked_until_ms`)} end`,
        lock_count: sql`case when ${sql.ref(`${t}.expires_at_ms`)} <= ${now} then 0 else ${sql.ref(`${t}.lock_count`)} end`,
        expires_at_ms: sql`case when ${sql.ref(`${t}.expires_at_ms`)} > ${expiresAtMs} then ${sql.ref(`${t}.expires_at_ms`)} else ${expiresAtMs} end`,
      }),
    )
    .returning(COUNTER_COLUMNS);
});

const DELETE_COUNTER = new PrecompiledQuery((db, p: ParamOf<{ key: string }>) =>
  db.deleteFrom('auth_login_failure').where('counter_key', '=', p('key')),
);

const GET_COUNTER = new PrecompiledQuery((db, p: ParamOf<{ key: string }>) =>
  db.selectFrom('auth_login_failure').select(COUNTER_COLUMNS).where('counter_key', '=', p('key')),
);

const GET_COUNTER_PAIR = new PrecompiledQuery((db, p: ParamOf<{ first: string; second: string }>) =>
  db
    .selectFrom('auth_login_failure')
    .select(['counter_key', ...COUNTER_COLUMNS])
    .where('counter_key', 'in', [p('first'), p('second')]),
);

/** The counter statements, for the test that compares them with their builder versions. */
export const COUNTER_STATEMENTS = { GET_COUNTER, GET_COUNTER_PAIR, INCREMENT, DELETE_COUNTER };

function toState(row: {
  failures: number;
  window_start_ms: number;
  locked_until_ms: number;
  lock_count: number;
}): CounterState {
  return {
    failures: Number(row.failures),
    windowStartMs: Number(row.window_start_ms),
    lockedUntilMs: Number(row.locked_until_ms),
    lockCount: Number(row.lock_count),
  };
}
