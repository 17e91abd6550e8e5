// `npm run bench`: the token check at platform scale, measured on this machine in one run.
//
// A bare node:http server gives the ceiling; then Gatehouse runs on SQLite and on PostgreSQL with
// 10,000 live tokens whose ACL has 20 entries, and autocannon drives it over loopback:
//   a  HEAD /token/{t}?scope=  90% granted, 5% refused, 5% unknown
//   b  GET /token/{t}          c  POST /token/{t}/scopes/check with 5 scopes
//   d  password logins (vs the raw argon2id rate)   e  refresh-token logins
//   f  a and d at the same time      g  SQL statements per operation
//   h  RSS with 100k cached tokens (1M with --large)   i  --large: 10M tokens in the database
//   j  --instances 2: two instances on PostgreSQL, throughput and revocation propagation
// Options: --duration S (10)  --repeat N (1, medians)  --connections N (50)  --large
//          --large-count N (10,000,000)  --rss-tokens N (100,000; 1M with --large)  --instances 2
//          --only sqlite|postgres  --checks-only (a, and j with --instances 2)
//          --logins-only (d, e and g: password and refresh logins, statements per operation)
//          --pin: the load generator (this process) on CPU 0, each server on the other CPUs, so they
//          never take each other's core (bare server and Gatehouse alike; needs taskset)
//          --cpu-prof DIR: each server process (bare and Gatehouse) writes a V8 CPU profile into DIR
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { measureBare } from './bare-baseline.ts';
import { runSqliteAndPostgres } from './dialect.ts';
import {
  ARGON2,
  dropPostgres,
  PG_DATABASE,
  postgresCommitRate,
  preparePostgres,
  rawHashRate,
  sqliteCommitRate,
} from './machine.ts';
import {
  CACHE_MAX_AGE_SECONDS,
  killAllChildren,
  pinGeneratorAndServers,
  profileServersInto,
} from './processes.ts';
import { type BenchReport, describeMachine, formatReport, writeJson } from './report.ts';
import { type BenchSettings, toRow } from './scenarios.ts';
import { assertScopesMatchAcl, TokenSet } from './seed-data.ts';

function log(line: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

function readSettings(): BenchSettings & { only: string | undefined; cpuProfDir: string | undefined } {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '10' },
      repeat: { type: 'string', default: '1' },
      connections: { type: 'string', default: '50' },
      large: { type: 'boolean', default: false },
      'large-count': { type: 'string', default: '10000000' },
      'rss-tokens': { type: 'string' },
      instances: { type: 'string', default: '1' },
      only: { type: 'string' },
      'checks-only': { type: 'boolean', default: false },
      'logins-only': { type: 'boolean', default: false },
      pin: { type: 'boolean', default: false },
      'cpu-prof': { type: 'string' },
    },
  });
  const int = (name: string, text: string, min: number) => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be an integer >= ${min}`);
    return value;
  };
  if (values['checks-only'] && values['logins-only'])
    throw new Error('--checks-only or --logins-only, not both');
  if (values.only !== undefined && !['sqlite', 'postgres'].includes(values.only)) {
    throw new Error('--only must be sqlite or postgres');
  }
  return {
    durationSec: int('duration', values.duration, 1),
    repeat: int('repeat', values.repeat, 1),
    connections: int('connections', values.connections, 2),
    loginConnections: 8,
    rssTokens: int('rss-tokens', values['rss-tokens'] ?? (values.large ? '1000000' : '100000'), 1000),
    large: values.large,
    largeCount: int('large-count', values['large-count'], 1),
    instances: int('instances', values.instances, 1),
    only: values.only,
    checksOnly: values['checks-only'],
    loginsOnly: values['logins-only'],
    pin: values.pin,
    cpuProfDir: values['cpu-prof'],
  };
}

function emptyReport(settings: BenchSettings & { only?: string }): BenchReport {
  return {
    startedAt: new Date().toISOString(),
    machine: describeMachine(),
    settings: { ...settings, cacheMaxAgeSeconds: CACHE_MAX_AGE_SECONDS },
    argon2: { hashesPerSec: 0, beforeLogins: {}, concurrency: availableParallelism(), ...ARGON2 },
    commitsPerSec: {},
    rows: [],
    queries: [],
    memory: [],
    large: [],
    revocation: null,
    sqlCeiling: null,
    notes: [],
    wallSeconds: 0,
  };
}

/** The references: raw hash rate, durable commit rates, and the bare node:http server. */
async function measureMachine(
  report: BenchReport,
  settings: BenchSettings,
  tokens: TokenSet,
  workDir: string,
  pgUrl: string | null,
) {
  log(`raw argon2id hash rate (${availableParallelism()} at once), durable commit rates`);
  report.argon2.hashesPerSec = await rawHashRate(Math.min(3, settings.durationSec));
  report.commitsPerSec.sqlite = await sqliteCommitRate(workDir, 1);
  if (pgUrl) report.commitsPerSec.postgres = await postgresCommitRate(pgUrl, 1);
  log('bare node:http baseline');
  const bare = await measureBare(settings, tokens);
  report.rows.push(toRow('bare node:http HEAD', '-', bare, bare.rps, [204]));
  return bare.rps;
}

async function main(): Promise<void> {
  const settings = readSettings();
  const tokens = new TokenSet(randomBytes(8).toString('hex'));
  assertScopesMatchAcl(tokens);
  const report = emptyReport(settings);
  // After the machine is described (this process then sees one CPU); the hash rate is measured on it.
  if (settings.pin) pinGeneratorAndServers();
  if (settings.cpuProfDir !== undefined) profileServersInto(resolve(settings.cpuProfDir));
  const pgUrl = settings.only === 'sqlite' ? null : await preparePostgres(report.notes);
  const workDir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
  process.once('exit', () => rmSync(workDir, { recursive: true, force: true }));
  try {
    const bareRps = await measureMachine(report, settings, tokens, workDir, pgUrl);
    await runSqliteAndPostgres({
      settings,
      tokens,
      report,
      bareRps,
      pgUrl,
      workDir,
      only: settings.only,
      log,
    });
  } finally {
    rmSync(workDir, { recursive: true, force: true });
    if (pgUrl) await dropPostgres().catch((e: Error) => log(`could not drop ${PG_DATABASE}: ${e.message}`));
  }
  for (const row of report.rows) {
    if (Object.keys(row.unexpected).length > 0 || row.errors > 0) {
      report.notes.push(
        `${row.db} ${row.scenario}: unexpected ${JSON.stringify(row.unexpected)}, ${row.errors} errors`,
      );
    }
  }
  report.wallSeconds = Math.round((Date.now() - Date.parse(report.startedAt)) / 1000);
  const path = writeJson(report);
  process.stdout.write(`\n${formatReport(report)}\n\nJSON: ${path}\n`);
}

process.on('exit', killAllChildren);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping`);
    killAllChildren();
    process.exit(130);
  });
}
main().catch((error: unknown) => {
  log(`failed: ${(error as Error)?.stack ?? String(error)}`);
  killAllChildren();
  process.exit(1);
});
