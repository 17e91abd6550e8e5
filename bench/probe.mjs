// Preloaded (`--import`) into the Gatehouse processes the benchmark starts. It counts the SQL
// statements sent to either driver (and PostgreSQL's round trips) and answers `stats` requests on the IPC channel with that count
// and the memory use after a full garbage collection (`count`: the count alone, no collection).
// Between `record` and `recorded`, it also keeps the text of each PostgreSQL statement sent
// (bench/sql-ceiling.ts compares them with its pgbench script).
// It changes nothing else. Plain JavaScript: Gatehouse runs without tsx's loader (bin/bundle.js),
// and loading this file through tsx would bring the loader back and spoil the memory measure.
import SQLite from 'better-sqlite3';
import pg from 'pg';

let statements = 0;

// Gatehouse reuses prepared statements (storage/sqlite-statement-cache.ts), so what is counted is
// each execution: the methods of the Statement prototype, patched once, on the first prepare.
const EXECUTIONS = ['run', 'all', 'get', 'iterate'];
const prepare = SQLite.prototype.prepare;
let countingExecutions = false;
SQLite.prototype.prepare = function countedPrepare(source) {
  const statement = prepare.call(this, source);
  if (!countingExecutions) {
    countingExecutions = true;
    countExecutions(Object.getPrototypeOf(statement));
  }
  return statement;
};

function countExecutions(prototype) {
  for (const name of EXECUTIONS) {
    const original = prototype[name];
    prototype[name] = function countedExecution(...args) {
      // The SQLite revocation feed's poll is that engine's heartbeat: not work done for a request.
      if (!this.source.startsWith('pragma data_version')) statements += 1;
      return original.apply(this, args);
    };
  }
}

/** Each instance's PostgreSQL heartbeat (`select pg_notify($1, 'h:…')`) is not work done for a request. */
function isHeartbeat(args) {
  const values = args[1];
  return Array.isArray(values) && typeof values[1] === 'string' && values[1].startsWith('h:');
}

/**
 * PostgreSQL round trips: a statement sent while the client has another one on the wire or queued
 * (pg's pipeline mode, storage/pg-pipeline.ts) travels with it. The fields read are pg's own.
 */
let roundTrips = 0;
/** Statement texts sent since `record`; null when not recording. */
let recorded = null;
function isIdle(client) {
  return !client._activeQuery && client._sentQueryQueue.length === 0 && client._queryQueue.length === 0;
}

const query = pg.Client.prototype.query;
pg.Client.prototype.query = function countedQuery(...args) {
  const text = typeof args[0] === 'string' ? args[0] : '';
  if (!isHeartbeat(args) && !text.startsWith('LISTEN')) {
    statements += 1;
    if (isIdle(this)) roundTrips += 1;
    recorded?.push(text || args[0]?.text || '');
  }
  return query.apply(this, args);
};

if (process.send) {
  process.on('message', (message) => {
    if (message.request === 'count') process.send?.({ id: message.id, statements, roundTrips });
    if (message.request === 'record') recorded = [];
    if (message.request === 'record' || message.request === 'recorded') {
      process.send?.({ id: message.id, texts: recorded ?? [] });
      if (message.request === 'recorded') recorded = null;
    }
    if (message.request !== 'stats') return;
    globalThis.gc?.();
    globalThis.gc?.();
    process.send?.({ id: message.id, statements, roundTrips, memory: process.memoryUsage() });
  });
  process.channel?.unref();
}
