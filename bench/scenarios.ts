// Scenarios a to i against one Gatehouse instance (see bench/run.ts for the list).
import type { AutocannonRequest } from 'autocannon';
import { besideBare } from './bare-baseline.ts';
import type { BenchUser, RefreshCredential } from './fixtures.ts';
import { type LoadResult, type LoadSpec, runLoad, unexpectedStatuses } from './load.ts';
import { rawHashRate } from './machine.ts';
import type { Child } from './processes.ts';
import type { BenchReport, Row } from './report.ts';
import {
  checkMix,
  distinctChecks,
  type HotTokens,
  passwordLogins,
  refreshLogins,
  scopeChecks,
  tokenReads,
} from './requests.ts';
import type { SeedDb } from './seed-data.ts';

/** Token numbers: 0..HOT-1 are checked under load; the other ranges serve single measures. */
export const HOT = 10_000;
export const COLD_FIRST = 10_000;
export const REVOKE_FIRST = 11_000;
export const SEEDED_FIRST = 12_000;
export const RSS_FIRST = 20_000;

export interface BenchSettings {
  durationSec: number;
  repeat: number;
  connections: number;
  loginConnections: number;
  rssTokens: number;
  large: boolean;
  largeCount: number;
  instances: number;
  /** Scenario a only (with --instances 2, j too): for iterating on the check path. */
  checksOnly: boolean;
  /** d, e and g only: for iterating on the login path. */
  loginsOnly: boolean;
  /** Load generator on CPU 0, every server on the other CPUs (processes.ts). */
  pin: boolean;
}

export interface InstanceContext {
  db: string;
  child: Child;
  seed: SeedDb;
  tenant: string;
  hot: HotTokens;
  users: BenchUser[];
  refresh: RefreshCredential[];
  settings: BenchSettings;
  bareRps: number;
  /** Raw argon2id hashes/s, measured again just before the password logins (see machine.ts). */
  hashRate: number;
  /** Anything odd seen along the way, printed with the report. */
  notes: string[];
  report: BenchReport;
  /** An administrator token (ACL `#`), for GET /metrics. */
  adminToken: string;
  /** The first token number not seeded yet. */
  nextToken: number;
}

const CHECK_STATUSES = [204, 403, 404];

/** The median of each figure over repeated runs; statuses come from the run of median throughput. */
/** The middle value (the lower of the two middle ones for an even count); NaN for none. */
export function medianOf(values: readonly number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)] ?? Number.NaN;
}

export function median(results: LoadResult[]): LoadResult {
  const middle = Math.floor((results.length - 1) / 2);
  const mid = (pick: (r: LoadResult) => number) => medianOf(results.map(pick));
  const byRps = [...results].sort((a, b) => a.rps - b.rps)[middle] as LoadResult;
  return {
    ...byRps,
    rps: mid((r) => r.rps),
    p50: mid((r) => r.p50),
    p99: mid((r) => r.p99),
    cpuUsPerRequest: mid((r) => r.cpuUsPerRequest),
    statementsPerRequest: mid((r) => r.statementsPerRequest),
  };
}

export async function measure(repeat: number, run: () => Promise<LoadResult>): Promise<LoadResult> {
  const results: LoadResult[] = [];
  for (let i = 0; i < repeat; i++) results.push(await run());
  return median(results);
}

export function toRow(
  scenario: string,
  db: string,
  result: LoadResult,
  bareRps: number,
  expected: readonly number[],
  other?: Row['other'],
): Row {
  return {
    scenario,
    db,
    rps: result.rps,
    p50: result.p50,
    p99: result.p99,
    cpuUsPerRequest: result.cpuUsPerRequest,
    statementsPerRequest: result.statementsPerRequest,
    ratio: result.rps / bareRps,
    other,
    statuses: result.statuses,
    errors: result.errors + result.timeouts,
    unexpected: unexpectedStatuses(result, expected),
  };
}

export function load(
  ctx: InstanceContext,
  connections: number,
  requestsFor: (c: number) => AutocannonRequest[],
) {
  const spec: LoadSpec = {
    url: ctx.child.url,
    connections,
    durationSec: ctx.settings.durationSec,
    requestsFor,
    serverCpuMs: ctx.child.cpuMs,
    serverStatements: ctx.child.statements,
  };
  return () => runLoad(spec);
}

/**
 * Puts every hot token in the cache of the instance at `url` (one check each, so misses read the
 * database once), then (unless `cacheOnly`) runs the check mix briefly so the code is optimised.
 */
export async function warmCache(
  url: string,
  hot: HotTokens,
  settings: BenchSettings,
  connections: number,
  cacheOnly = false,
): Promise<void> {
  const perConnection = Math.floor(hot.count / connections);
  await runLoad({
    url,
    connections,
    amount: perConnection * connections,
    requestsFor: (c) => distinctChecks(hot.tokens, 0, perConnection, c),
  });
  if (cacheOnly) return;
  const durationSec = Math.min(2, settings.durationSec);
  await runLoad({ url, connections, durationSec, requestsFor: (c) => checkMix(hot, c) });
}

export function warmChecks(ctx: InstanceContext, cacheOnly = false): Promise<void> {
  return warmCache(ctx.child.url, ctx.hot, ctx.settings, ctx.settings.connections, cacheOnly);
}

/** Scenarios a to f, each measured `repeat` times (medians). */
export async function runThroughput(ctx: InstanceContext, log: (line: string) => void): Promise<Row[]> {
  const { connections, repeat } = ctx.settings;
  const rows: Row[] = [];
  const step = async (name: string, run: () => Promise<LoadResult>, expected: number[], other?: Other) => {
    log(`  ${ctx.db}: ${name}`);
    const result = await measure(repeat, run);
    const row = toRow(name, ctx.db, result, ctx.bareRps, expected, other?.(result));
    rows.push(row);
    return row;
  };
  const { checksOnly, loginsOnly } = ctx.settings;
  await warmChecks(ctx);
  const solo = loginsOnly ? null : await soloChecks(ctx, log, rows);
  if (checksOnly) return rows;
  if (!loginsOnly) {
    await step(
      'b GET token',
      load(ctx, connections, (c) => tokenReads(ctx.hot, c)),
      [200],
    );
    await step(
      'c scopes/check x5',
      load(ctx, connections, (c) => scopeChecks(ctx.hot, c)),
      [200],
    );
  }
  // The reference of the logins, measured while the server is idle, just before them.
  ctx.hashRate = await rawHashRate(Math.min(3, ctx.settings.durationSec));
  ctx.report.argon2.beforeLogins[ctx.db] = ctx.hashRate;
  await step('d password login', loginLoad(ctx), [200], vsHash(ctx));
  await step(
    'e refresh login',
    load(ctx, connections, (c) => refreshLogins(ctx.refresh, c, connections)),
    [200],
  );
  if (solo) rows.push(...(await runChecksDuringLogins(ctx, solo, log)));
  return rows;
}

/** a: the check scenario, each run beside a run of the bare server (bare-baseline.ts). */
async function soloChecks(ctx: InstanceContext, log: (line: string) => void, rows: Row[]): Promise<Row> {
  const name = 'a HEAD check 90/5/5';
  log(`  ${ctx.db}: ${name}, each run after one of the bare server`);
  const { result, ratio } = await besideBare(ctx.settings, ctx.hot.tokens, checkLoad(ctx));
  const row = toRow(name, ctx.db, result, ctx.bareRps, CHECK_STATUSES, {
    label: 'x bare beside',
    value: ratio,
  });
  rows.push(row);
  return row;
}

type Other = (result: LoadResult) => Row['other'];

const vsHash =
  (ctx: InstanceContext): Other =>
  (r) => ({ label: 'x raw hash', value: r.rps / ctx.hashRate });
const checkLoad = (ctx: InstanceContext) => load(ctx, ctx.settings.connections, (c) => checkMix(ctx.hot, c));
const loginLoad = (ctx: InstanceContext) =>
  load(ctx, ctx.settings.loginConnections, (c) => passwordLogins(ctx.users, c));

/** f: a and d at the same time, on the same server. */
async function runChecksDuringLogins(ctx: InstanceContext, solo: Row, log: (line: string) => void) {
  log(`  ${ctx.db}: f checks during logins`);
  await warmChecks(ctx, true);
  const checkRuns: LoadResult[] = [];
  const loginRuns: LoadResult[] = [];
  for (let i = 0; i < ctx.settings.repeat; i++) {
    const [c, l] = await Promise.all([checkLoad(ctx)(), loginLoad(ctx)()]);
    // Both loads hit one server: its CPU time and statements cannot be split between them.
    const unsplit = { cpuUsPerRequest: Number.NaN, statementsPerRequest: Number.NaN };
    checkRuns.push({ ...c, ...unsplit });
    loginRuns.push({ ...l, ...unsplit });
  }
  const checks = median(checkRuns);
  const logins = median(loginRuns);
  const ratio = { label: 'x solo a', value: checks.rps / solo.rps };
  return [
    toRow('f HEAD check during logins', ctx.db, checks, ctx.bareRps, CHECK_STATUSES, ratio),
    toRow('f password login during checks', ctx.db, logins, ctx.bareRps, [200], vsHash(ctx)(logins)),
  ];
}
