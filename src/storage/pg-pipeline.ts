import type { CompiledQuery } from 'kysely';
import type pg from 'pg';
import { DatabaseTimeoutError } from './pg-timed-pool.ts';
import { preparedStatementName } from './precompiled-query.ts';

/**
 * Runs statements in order in one transaction and resolves with each one's rows after the commit.
 * The caller reads nothing between them, so every condition a statement depends on is in its own
 * SQL (a WHERE on what the earlier ones did), never in JavaScript between two round trips.
 */
export type StatementBatch = (statements: readonly CompiledQuery[]) => Promise<unknown[][]>;

/**
 * PostgreSQL: BEGIN, the statements and COMMIT leave in one write and come back in one read
 * (pg's pipeline mode, which the pool's clients are opened in). A login wrote its session in six
 * round trips, each costing Node and the backend a wakeup, a socket read and a write (issue #4);
 * now one. Each statement still ends with its own Sync, so each is its own statement for
 * PostgreSQL: it takes a new snapshot, and a later one sees what an earlier one locked and wrote,
 * exactly as when they were sent one by one. After an error the later statements fail with
 * "current transaction is aborted" and the COMMIT rolls back; the first error is the one thrown.
 * The whole batch is bounded by `timeoutMs` (FT-4), the wait for a pooled client included.
 */
export function pipelinedTransactions(pool: pg.Pool, timeoutMs: number): StatementBatch {
  return async (statements) => {
    const started = Date.now();
    const client = await pool.connect();
    const budgetMs = Math.max(50, timeoutMs - (Date.now() - started));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        socketOf(client)?.destroy();
        reject(new DatabaseTimeoutError(timeoutMs));
      }, budgetMs);
    });
    let outcome: BatchOutcome;
    try {
      outcome = await Promise.race([sendAll(client, statements), timeout]);
    } catch (error) {
      client.release(true);
      throw error;
    } finally {
      clearTimeout(timer);
    }
    // A statement's error leaves the connection idle once the COMMIT has rolled back; a failed
    // BEGIN or COMMIT (a broken connection, mostly) leaves its state unknown: then it is dropped.
    if (outcome.ok) {
      client.release();
      return outcome.rows;
    }
    client.release(outcome.reusable ? undefined : true);
    throw outcome.error;
  };
}

type BatchOutcome = { ok: true; rows: unknown[][] } | { ok: false; error: unknown; reusable: boolean };

async function sendAll(client: pg.PoolClient, statements: readonly CompiledQuery[]): Promise<BatchOutcome> {
  const stream = socketOf(client);
  // One write for the whole batch: pg writes each statement as it is queued, corked only around itself.
  stream?.cork();
  const begin = client.query('begin');
  const sent = statements.map((statement) => client.query(queryConfig(statement)));
  const commit = client.query('commit');
  stream?.uncork();
  const [begun, committed, ...settled] = await Promise.allSettled([begin, commit, ...sent]);
  const ends = [begun, committed];
  const endFailure = ends.find((end) => end.status === 'rejected');
  const failure = settled.find((result) => result.status === 'rejected') ?? endFailure;
  if (failure) return { ok: false, error: failure.reason, reusable: endFailure === undefined };
  const command = (committed as PromiseFulfilledResult<pg.QueryResult>).value.command;
  if (command !== 'COMMIT')
    return { ok: false, error: new Error(`transaction ended with ${command}`), reusable: true };
  return {
    ok: true,
    rows: settled.map((result) => (result as PromiseFulfilledResult<pg.QueryResult>).value.rows),
  };
}

function queryConfig(statement: CompiledQuery): pg.QueryConfig {
  const values = statement.parameters as unknown[];
  const name = preparedStatementName(statement.sql);
  return name === undefined ? { text: statement.sql, values } : { name, text: statement.sql, values };
}

interface Corkable {
  cork(): void;
  uncork(): void;
  destroy(): void;
}

/** pg keeps its socket on `connection.stream`; not part of its typed API, hence the guard. */
function socketOf(client: pg.PoolClient): Corkable | undefined {
  return (client as unknown as { connection?: { stream?: Corkable } }).connection?.stream;
}
