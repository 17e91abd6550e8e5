// `npm run bench:instructions`: instructions per request, counted by callgrind, for the bare
// node:http server, the token check (scenario a's mix) and refresh logins (scenario e). The
// machine's speed does not move these counts: on a shared 2-core VM whose rates swing 2x from one
// minute to the next (issue #4), they are what an A/B of a change to either path can rely on.
// They are not the targets, which are rates: a count says how much work an answer costs the
// server, not how the kernel, the caches and the load generator share the cores.
// --simulate-caches adds callgrind's cache and branch-predictor simulation: on this machine a
// check took 2.6x the bare server's user time for 1.5x its instructions, and its extra cache
// misses and mispredicted branches account for much of the difference.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { AutocannonRequest } from 'autocannon';
import { createUsers, login, obtainRefreshTokens, type RefreshCredential } from './fixtures.ts';
import { runLoad } from './load.ts';
import { dropPostgres, preparePostgres } from './machine.ts';
import {
  type Child,
  countInstructionsInto,
  killAllChildren,
  startBare,
  startGatehouse,
} from './processes.ts';
import { checkMix, refreshLogins } from './requests.ts';
import { HOT, warmCache } from './scenarios.ts';
import { attachAclPolicy, openSeedDb, seedTokens, TokenSet, topTenantUuid } from './seed-data.ts';

const CHECK_CONNECTIONS = 50;
const LOGIN_CONNECTIONS = 8;
const REFRESH_USERS = 400;
const PASSWORD = 'bench-instructions-admin';
const KEY = Buffer.alloc(32, 7).toString('base64');

interface Count {
  scenario: string;
  db: string;
  requests: number;
  /** The event loop's thread: what an answer costs where the requests queue. */
  mainPerRequest: number;
  /** V8's and libuv's helper threads (compiler, garbage collector, file system). */
  othersPerRequest: number;
  /** With --simulate-caches: the event loop's simulated misses and mispredictions per request. */
  simulated?: Simulated;
}

/**
 * What callgrind's cache and branch simulation counts, per request: first-level instruction and
 * data cache misses, last-level misses, mispredicted conditional and indirect branches. A miss or
 * a misprediction costs tens of cycles where an instruction costs a fraction of one, which is why
 * two paths can differ in time by more than in instructions.
 */
interface Simulated {
  i1Misses: number;
  d1Misses: number;
  llMisses: number;
  mispredicted: number;
}

function settings() {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      warm: { type: 'string', default: '3000' },
      count: { type: 'string', default: '1000' },
      'checks-only': { type: 'boolean', default: false },
      /** Also simulate the caches and the branch predictor (callgrind, several times slower). */
      'simulate-caches': { type: 'boolean', default: false },
      /** Keep callgrind's files there (for callgrind_annotate) instead of a temporary folder. */
      out: { type: 'string' },
    },
  });
  if (values.only !== undefined && !['sqlite', 'postgres'].includes(values.only))
    throw new Error('--only must be sqlite or postgres');
  const warm = Number(values.warm);
  const count = Number(values.count);
  if (!Number.isInteger(warm) || warm < 0 || !Number.isInteger(count) || count < 100)
    throw new Error('--warm must be an integer >= 0 and --count one >= 100');
  return {
    only: values.only,
    warm,
    count,
    out: values.out,
    checksOnly: values['checks-only'],
    simulateCaches: values['simulate-caches'],
  };
}

/** Each thread's event totals (Ir, and the simulation's when on) in the newest dump of `pid`. */
function lastDump(dir: string, pid: number): Record<string, number>[] {
  const files = readdirSync(dir).filter((f) => f.startsWith(`callgrind.${pid}.`));
  const dump = Math.max(...files.map((f) => Number(/\.(\d+)-\d+$/.exec(f)?.[1] ?? 0)));
  return files
    .filter((f) => f.startsWith(`callgrind.${pid}.${dump}-`))
    .sort()
    .map((f) => eventTotals(readFileSync(join(dir, f), 'utf8')));
}

/** A callgrind file's `events:` names paired with its `totals:` values. */
function eventTotals(text: string): Record<string, number> {
  const names = /^events: (.+)$/m.exec(text)?.[1]?.split(' ') ?? [];
  const values = /^totals: (.+)$/m.exec(text)?.[1]?.split(' ').map(Number) ?? [];
  return Object.fromEntries(names.map((name, i) => [name, values[i] ?? 0]));
}

function simulated(main: Record<string, number>, requests: number): Simulated | undefined {
  if (main.I1mr === undefined) return undefined;
  const per = (...events: string[]) => events.reduce((sum, e) => sum + (main[e] ?? 0), 0) / requests;
  return {
    i1Misses: per('I1mr'),
    d1Misses: per('D1mr', 'D1mw'),
    llMisses: per('ILmr', 'DLmr', 'DLmw'),
    mispredicted: per('Bcm', 'Bim'),
  };
}

/** Warms the path up uninstrumented, then counts `count` requests. Thread 1 is the event loop. */
async function countFor(
  child: Child,
  dir: string,
  label: { scenario: string; db: string },
  load: { connections: number; warm: number; count: number; requestsFor: (c: number) => AutocannonRequest[] },
): Promise<Count> {
  const spec = { url: child.url, connections: load.connections, requestsFor: load.requestsFor };
  if (load.warm > 0) await runLoad({ ...spec, amount: load.warm });
  const control = (...args: string[]) =>
    execFileSync('callgrind_control', [...args, String(child.pid)], { stdio: 'ignore' });
  control('-i', 'on');
  control('-z');
  const result = await runLoad({ ...spec, amount: load.count });
  control('-d');
  control('-i', 'off');
  const [main = {}, ...others] = lastDump(dir, child.pid);
  const requests = result.requests;
  const unexpected = Object.keys(result.statuses).filter((s) => !['200', '204', '403', '404'].includes(s));
  if (unexpected.length > 0 || result.errors > 0)
    throw new Error(
      `${label.scenario} ${label.db}: statuses ${JSON.stringify(result.statuses)}, ${result.errors} errors`,
    );
  return {
    ...label,
    requests,
    mainPerRequest: (main.Ir ?? Number.NaN) / requests,
    othersPerRequest: others.reduce((sum, thread) => sum + (thread.Ir ?? 0), 0) / requests,
    simulated: simulated(main, requests),
  };
}

async function countBare(dir: string, tokens: TokenSet, warm: number, count: number): Promise<Count> {
  const bare = await startBare();
  try {
    const requestsFor = (c: number) => checkMix({ tokens, count: HOT }, c);
    const load = { connections: CHECK_CONNECTIONS, warm, count, requestsFor };
    return await countFor(bare, dir, { scenario: 'bare node:http HEAD', db: '-' }, load);
  } finally {
    await bare.stop();
  }
}

/** The hot tokens, and users with refresh tokens, written by a Gatehouse run without valgrind. */
async function seed(
  db: string,
  url: string,
  dataDir: string,
  tokens: TokenSet,
  withUsers: boolean,
): Promise<RefreshCredential[]> {
  countInstructionsInto(null);
  const child = await startGatehouse(gatehouseOptions(db, url, dataDir));
  const seedDb = await openSeedDb(url, tokens.salt);
  try {
    const tenant = await topTenantUuid(seedDb);
    await seedTokens(seedDb, tenant, { from: 0, to: HOT });
    if (!withUsers) return [];
    const admin = await login(child.url, 'admin', PASSWORD);
    const users = await createUsers(child.url, admin.token, 'instr', REFRESH_USERS);
    await attachAclPolicy(
      seedDb,
      tenant,
      users.map((u) => u.uuid),
    );
    return await obtainRefreshTokens(child.url, users);
  } finally {
    await seedDb.close();
    await child.stop();
  }
}

function gatehouseOptions(db: string, databaseUrl: string, dataDir: string) {
  return {
    name: `gatehouse ${db}`,
    databaseUrl,
    dataDir,
    bootstrapPassword: PASSWORD,
    encryptionKey: KEY,
    cacheMaxEntries: 200_000,
    // Under valgrind a second lasts a few hundred checks instead of tens of thousands, so the
    // default 5 s would send most of the 5% unknown tokens back to the database: kept as long as
    // the bench keeps known ones (processes.ts), they cost what they cost at full speed.
    negativeMaxAgeSeconds: 3600,
    // Likewise, a feed poll late by more than the default 1 s would make the cache untrusted and
    // send checks down the full path, which reads the database: counts then swung from 81k to 120k
    // instructions per check between runs of the same code.
    maxStalenessMs: 600_000,
  };
}

async function countDialect(
  db: string,
  url: string,
  work: string,
  tokens: TokenSet,
  run: { warm: number; count: number; checksOnly: boolean; simulateCaches: boolean },
): Promise<Count[]> {
  const dataDir = join(work, `${db}-data`);
  mkdirSync(dataDir, { recursive: true });
  log(
    `${db}: seeding ${HOT.toLocaleString('en-US')} tokens${run.checksOnly ? '' : ` and ${REFRESH_USERS} users`}`,
  );
  const refresh = await seed(db, url, dataDir, tokens, !run.checksOnly);
  const dir = join(work, db);
  mkdirSync(dir, { recursive: true });
  countInstructionsInto(dir, run.simulateCaches);
  log(`${db}: starting Gatehouse under callgrind`);
  const child = await startGatehouse(gatehouseOptions(db, url, dataDir));
  try {
    const hot = { tokens, count: HOT };
    const warmSettings = { durationSec: 1 } as Parameters<typeof warmCache>[2];
    await warmCache(child.url, hot, warmSettings, CHECK_CONNECTIONS, true);
    const scenario = (name: string, connections: number, requestsFor: (c: number) => AutocannonRequest[]) => {
      log(`${db}: ${name}`);
      const load = { connections, warm: run.warm, count: run.count, requestsFor };
      return countFor(child, dir, { scenario: name, db }, load);
    };
    const check = await scenario('a HEAD check 90/5/5', CHECK_CONNECTIONS, (c) => checkMix(hot, c));
    if (run.checksOnly) return [check];
    const refreshLogin = await scenario('e refresh login', LOGIN_CONNECTIONS, (c) =>
      refreshLogins(refresh, c, LOGIN_CONNECTIONS),
    );
    return [check, refreshLogin];
  } finally {
    await child.stop();
  }
}

function log(line: string): void {
  process.stderr.write(`[instructions] ${line}\n`);
}

function format(counts: Count[]): string {
  const bare = counts.find((c) => c.db === '-')?.mainPerRequest ?? Number.NaN;
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  const lines = counts.map((c) => {
    const ratio = c.scenario.startsWith('a ') ? (bare / c.mainPerRequest).toFixed(2) : '';
    return [
      c.scenario.padEnd(20),
      c.db.padEnd(8),
      n(c.requests).padStart(8),
      n(c.mainPerRequest).padStart(12),
      n(c.othersPerRequest).padStart(14),
      ratio.padStart(11),
    ].join('  ');
  });
  const head = [
    'scenario'.padEnd(20),
    'db'.padEnd(8),
    'requests'.padStart(8),
    'main/request'.padStart(12),
    'others/request'.padStart(14),
    'bare/check'.padStart(11),
  ].join('  ');
  return [
    'Instructions per request (callgrind; main: the event loop thread; others: helper threads)',
    head,
    ...lines,
    "bare/check: the bare server's instructions per answer over the check's, on the event loop",
    ...formatSimulated(counts),
  ].join('\n');
}

function formatSimulated(counts: Count[]): string[] {
  if (!counts.some((c) => c.simulated)) return [];
  const n = (x: number | undefined) => (x === undefined ? '-' : Math.round(x).toLocaleString('en-US'));
  const row = (cells: string[]) =>
    [cells[0]?.padEnd(20), cells[1]?.padEnd(8), ...cells.slice(2).map((c) => c.padStart(12))].join('  ');
  return [
    '',
    'Simulated by callgrind, per request on the event loop (--simulate-caches)',
    row(['scenario', 'db', 'I1 misses', 'D1 misses', 'LL misses', 'mispredicted']),
    ...counts.map((c) =>
      row([
        c.scenario,
        c.db,
        n(c.simulated?.i1Misses),
        n(c.simulated?.d1Misses),
        n(c.simulated?.llMisses),
        n(c.simulated?.mispredicted),
      ]),
    ),
    'mispredicted: conditional and indirect branches; LL: the last-level cache, instructions and data',
  ];
}

async function main(): Promise<void> {
  const run = settings();
  for (const tool of ['valgrind', 'callgrind_control'])
    if (spawnSync(tool, ['--version'], { stdio: 'ignore' }).status !== 0)
      throw new Error(`${tool} is not installed`);
  const work = run.out ?? mkdtempSync(join(tmpdir(), 'gatehouse-instructions-'));
  mkdirSync(work, { recursive: true });
  const notes: string[] = [];
  const pgUrl = run.only === 'sqlite' ? null : await preparePostgres(notes);
  const tokens = new TokenSet(Buffer.from(String(Date.now())).toString('hex'));
  try {
    const bareDir = join(work, 'bare');
    mkdirSync(bareDir, { recursive: true });
    countInstructionsInto(bareDir, run.simulateCaches);
    log('bare node:http server');
    const counts = [await countBare(bareDir, tokens, run.warm, run.count)];
    if (run.only !== 'postgres')
      counts.push(...(await countDialect('sqlite', `sqlite:${join(work, 'g.db')}`, work, tokens, run)));
    if (pgUrl) counts.push(...(await countDialect('postgres', pgUrl, work, tokens, run)));
    const results = new URL('./results/', import.meta.url).pathname;
    mkdirSync(results, { recursive: true });
    const path = join(results, `instructions-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(path, `${JSON.stringify({ ...run, node: process.version, counts, notes }, null, 2)}\n`);
    process.stdout.write(`\n${format(counts)}\n${notes.map((n) => `- ${n}\n`).join('')}\nJSON: ${path}\n`);
  } finally {
    if (run.out === undefined) rmSync(work, { recursive: true, force: true });
    if (pgUrl) await dropPostgres().catch(() => {});
  }
}

process.on('exit', killAllChildren);
main().catch((error: unknown) => {
  log(`failed: ${(error as Error)?.stack ?? String(error)}`);
  killAllChildren();
  process.exit(1);
});
