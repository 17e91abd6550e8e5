// PostgreSQL's own ceiling for scenario e: the statements of a refresh login, replayed by pgbench
// (bench/pgbench/refresh-login.sql) with as many clients as e has connections, and nothing of
// Gatehouse running. pgbench is written in C and costs little, so its rate is what PostgreSQL
// itself can do with these statements on this machine: Gatehouse's refresh logins on PostgreSQL
// cannot go faster. Measured only when pgbench is installed, and only while the script still
// sends what Gatehouse sends (checked against a real refresh login first).
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import pg from 'pg';
import { callJson } from './fixtures.ts';
import type { InstanceContext } from './scenarios.ts';

const SCRIPT = new URL('./pgbench/refresh-login.sql', import.meta.url).pathname;
const TABLE = 'bench_sql_ceiling';
/** What the script's tokens say they were sent by, so that they can be deleted afterwards. */
const REPLAY_USER_AGENT = 'pgbench';

export interface SqlCeiling {
  db: 'postgres';
  transactionsPerSec: number;
  clients: number;
  seconds: number;
  /** Statements per transaction, as in Gatehouse's refresh login (BEGIN and COMMIT included). */
  statements: number;
  /** Share of both cores' time in use while pgbench ran (from /proc/stat). */
  machineBusy: number;
}

/** The SQL statements of a pgbench script: no meta-commands (`\…`), comments or `\gset` queries. */
export function scriptStatements(script: string): string[] {
  return script
    .split('\n')
    .map((line) => line.trim())
    .filter(
      (line) => line !== '' && !line.startsWith('\\') && !line.startsWith('--') && !line.endsWith('\\gset'),
    );
}

/**
 * A statement with its values made alike: Gatehouse's `$1` and pgbench's `:name` placeholders,
 * string and number literals and upper-case NULL (a value; SQL's `is null` is written in lower
 * case by both) all become `?`. What is compared is the SQL around the values.
 */
export function statementShape(sql: string): string {
  return sql
    .trim()
    .replace(/;$/, '')
    .replace(/'(?:[^']|'')*'/g, '?')
    .replace(/\$\d+|:[a-z_]+|\bNULL\b|\b\d+\b/g, '?');
}

/** The index of the first statement that differs, or -1 when both lists have the same shapes. */
export function firstDifference(sent: readonly string[], script: readonly string[]): number {
  const length = Math.max(sent.length, script.length);
  for (let i = 0; i < length; i++) {
    const a = sent[i];
    const b = script[i];
    if (a === undefined || b === undefined || statementShape(a) !== statementShape(b)) return i;
  }
  return -1;
}

function pgbenchInstalled(): boolean {
  return spawnSync('pgbench', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Measures the ceiling on the bench database, or says in `ctx.notes` why it was not measured. */
export async function measureSqlCeiling(
  ctx: InstanceContext,
  databaseUrl: string,
  log: (line: string) => void,
): Promise<SqlCeiling | null> {
  if (!pgbenchInstalled()) {
    ctx.notes.push('SQL ceiling of e not measured: pgbench is not installed');
    return null;
  }
  const statements = scriptStatements(readFileSync(SCRIPT, 'utf8'));
  const sent = await ctx.child.recordStatements(() => refreshLogin(ctx));
  const differs = firstDifference(sent, statements);
  if (differs >= 0) {
    ctx.notes.push(
      `SQL ceiling of e not measured: statement ${differs + 1} of ${SCRIPT} is not what a refresh login sends ` +
        `(${(sent[differs] ?? '(none)').slice(0, 80)})`,
    );
    return null;
  }
  log(`  postgres: SQL ceiling of e (pgbench, ${ctx.settings.loginConnections} clients)`);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const credentials = await createReplayTable(client, ctx);
    const before = cpuTimes();
    const rate = await runPgbench(
      databaseUrl,
      ctx.settings.loginConnections,
      ctx.settings.durationSec,
      credentials,
    );
    return {
      db: 'postgres',
      transactionsPerSec: rate,
      clients: ctx.settings.loginConnections,
      seconds: ctx.settings.durationSec,
      statements: statements.length,
      machineBusy: busyShare(before, cpuTimes()),
    };
  } finally {
    await dropReplay(client).catch(() => {});
    await client.end();
  }
}

function refreshLogin(ctx: InstanceContext) {
  const credential = ctx.refresh[0];
  if (!credential) throw new Error('no refresh credential');
  return callJson(ctx.child.url, '/token', {
    method: 'POST',
    body: { refresh_token: credential.refreshToken, client_id: credential.clientId, expiration: 3600 },
  });
}

/**
 * One row per refresh credential of the bench: what the script's variables take from it. The
 * token's metadata and ACL come from the user's latest token, as a refresh login would write them.
 */
async function createReplayTable(client: pg.Client, ctx: InstanceContext): Promise<number> {
  await client.query(`drop table if exists ${TABLE}`);
  await client.query(
    `create table ${TABLE} as
     select (row_number() over (order by r.uuid))::int as n, r.token_hash as rth, r.client_id as cid,
       r.uuid as rtu, r.user_uuid as uu, u.tenant_uuid as tu, 'ip:127.0.0.1' as ipk,
       'a:u:' || r.user_uuid || '@127.0.0.1' as ck, t.metadata as md, t.acl as acl
     from auth_refresh_token r
     join auth_user u on u.uuid = r.user_uuid
     join lateral (select metadata, acl from auth_token where auth_id = r.user_uuid
                   order by issued_at_ms desc limit 1) t on true
     where r.client_id = any($1)`,
    [ctx.refresh.map((c) => c.clientId)],
  );
  await client.query(`alter table ${TABLE} add primary key (n)`);
  const { rows } = await client.query(`select count(*)::int as n from ${TABLE}`);
  const count = Number(rows[0]?.n ?? 0);
  if (count === 0) throw new Error('no refresh credential found for the SQL ceiling');
  return count;
}

/** Leaves the database as scenario e left it: the replay's sessions (and their tokens) go. */
async function dropReplay(client: pg.Client): Promise<void> {
  await client.query(
    `delete from auth_session where uuid in (select session_uuid from auth_token where user_agent = $1)`,
    [REPLAY_USER_AGENT],
  );
  await client.query(`drop table if exists ${TABLE}`);
}

async function runPgbench(
  url: string,
  clients: number,
  seconds: number,
  credentials: number,
): Promise<number> {
  const args = ['-n', '-M', 'prepared', '-c', String(clients), '-j', '2', '-T', String(seconds)];
  args.push('-D', `credentials=${credentials}`, '-f', SCRIPT, url);
  const { stdout } = await promisify(execFile)('pgbench', args, { maxBuffer: 1 << 20 });
  const failed = Number(/number of failed transactions: (\d+)/.exec(stdout)?.[1] ?? 0);
  const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(stdout)?.[1];
  if (tps === undefined || failed > 0) throw new Error(`pgbench: ${stdout.slice(-300)}`);
  return Number(tps);
}

/** [busy, total] clock ticks of all CPUs since boot (/proc/stat: idle and iowait are not busy). */
function cpuTimes(): [number, number] {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const total = fields.reduce((sum, value) => sum + value, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return [total - idle, total];
}

function busyShare(before: [number, number], after: [number, number]): number {
  return (after[0] - before[0]) / Math.max(1, after[1] - before[1]);
}
