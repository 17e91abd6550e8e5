// j (`--instances 2`): a second Gatehouse on the same PostgreSQL. Check throughput with the
// connections split evenly between the two, then the revocation propagation delay: revoke on A,
// poll on B until it answers 404.
import { setTimeout as sleep } from 'node:timers/promises';
import { readMetrics } from './fixtures.ts';
import { type LoadResult, percentile, runLoad } from './load.ts';
import type { Child } from './processes.ts';
import type { RevocationMeasure, Row } from './report.ts';
import { checkMix } from './requests.ts';
import { type InstanceContext, median, REVOKE_FIRST, toRow, warmCache } from './scenarios.ts';

const SAMPLES = 200;
const POLL_MS = 2;
const GIVE_UP_MS = 5000;
/** GATEHOUSE_TOKEN_CACHE_MAX_STALENESS_MS, left at its default by the benchmark. */
export const DOCUMENTED_BOUND_MS = 1000;

export async function runInstances(
  ctx: InstanceContext,
  b: Child,
  log: (line: string) => void,
): Promise<{ rows: Row[]; revocation: RevocationMeasure }> {
  const half = Math.max(1, Math.floor(ctx.settings.connections / 2));
  const run = (child: Child, durationSec: number) =>
    runLoad({
      url: child.url,
      connections: half,
      durationSec,
      requestsFor: (c) => checkMix(ctx.hot, c),
      serverCpuMs: child.cpuMs,
      serverStatements: child.statements,
    });
  log(`  ${ctx.db}: j two instances, ${half} connections each`);
  await Promise.all([
    warmCache(ctx.child.url, ctx.hot, ctx.settings, half),
    warmCache(b.url, ctx.hot, ctx.settings, half),
  ]);
  const onA: LoadResult[] = [];
  const onB: LoadResult[] = [];
  for (let i = 0; i < ctx.settings.repeat; i++) {
    const [a, bResult] = await Promise.all([
      run(ctx.child, ctx.settings.durationSec),
      run(b, ctx.settings.durationSec),
    ]);
    onA.push(a);
    onB.push(bResult);
  }
  for (const [name, child] of [
    ['A', ctx.child],
    ['B', b],
  ] as const) {
    ctx.notes.push(`j instance ${name} after the load: ${await metricSummary(child, ctx.adminToken)}`);
  }
  const expected = [204, 403, 404];
  const rowA = toRow('j HEAD check, instance A', ctx.db, median(onA), ctx.bareRps, expected);
  const rowB = toRow('j HEAD check, instance B', ctx.db, median(onB), ctx.bareRps, expected);
  const weighted = (pick: (r: Row) => number) =>
    (pick(rowA) * rowA.rps + pick(rowB) * rowB.rps) / (rowA.rps + rowB.rps);
  const total: Row = {
    ...rowA,
    scenario: 'j HEAD check, A+B (worse p50/p99)',
    rps: rowA.rps + rowB.rps,
    ratio: rowA.ratio + rowB.ratio,
    p50: Math.max(rowA.p50, rowB.p50),
    p99: Math.max(rowA.p99, rowB.p99),
    cpuUsPerRequest: weighted((r) => r.cpuUsPerRequest),
    statementsPerRequest: weighted((r) => r.statementsPerRequest),
    statuses: mergeCounts(rowA.statuses, rowB.statuses),
    errors: rowA.errors + rowB.errors,
    unexpected: mergeCounts(rowA.unexpected, rowB.unexpected),
  };
  log(`  ${ctx.db}: j revocation propagation, ${SAMPLES} samples`);
  const revocation = await measureRevocation(ctx, b);
  return { rows: [rowA, rowB, total], revocation };
}

const WATCHED = [
  'gatehouse_token_cache_entries',
  'gatehouse_token_cache_flushes_total',
  'gatehouse_token_cache_misses_total',
  'gatehouse_db_pool_connections',
  'gatehouse_db_pool_waiting',
];

/** The cache and pool figures that explain a slow instance, from its GET /metrics. */
async function metricSummary(child: Child, adminToken: string): Promise<string> {
  const metrics = await readMetrics(child.url, adminToken);
  const parts = WATCHED.filter((name) => name in metrics).map((name) => `${name.slice(10)}=${metrics[name]}`);
  return parts.length > 0 ? parts.join(', ') : 'no metrics';
}

function mergeCounts(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const merged = { ...a };
  for (const [key, value] of Object.entries(b)) merged[key] = (merged[key] ?? 0) + value;
  return merged;
}

async function status(url: string, method: string): Promise<number> {
  const response = await fetch(url, { method });
  await response.arrayBuffer();
  return response.status;
}

/** Delay from A's answer to DELETE (the revocation is committed) to B's first 404. */
async function measureRevocation(ctx: InstanceContext, b: Child): Promise<RevocationMeasure> {
  const delays: number[] = [];
  let notSeen = 0;
  for (let k = 0; k < SAMPLES; k++) {
    const value = ctx.hot.tokens.value(REVOKE_FIRST + k);
    const onB = `${b.url}/0.1/token/${value}`;
    for (let warm = 0; warm < 2; warm++) {
      const seen = await status(onB, 'HEAD');
      if (seen !== 204) throw new Error(`token ${REVOKE_FIRST + k} on B: ${seen} before revocation`);
    }
    const revoked = await status(`${ctx.child.url}/0.1/token/${value}`, 'DELETE');
    if (revoked !== 200) throw new Error(`DELETE on A: ${revoked}`);
    const t0 = performance.now();
    let delay = Number.NaN;
    while (performance.now() - t0 < GIVE_UP_MS) {
      if ((await status(onB, 'HEAD')) === 404) {
        delay = performance.now() - t0;
        break;
      }
      await sleep(POLL_MS);
    }
    if (Number.isNaN(delay)) notSeen += 1;
    else delays.push(delay);
  }
  delays.sort((x, y) => x - y);
  return {
    samples: SAMPLES,
    p50Ms: percentile(delays, 0.5),
    p99Ms: percentile(delays, 0.99),
    maxMs: delays.at(-1) ?? Number.NaN,
    notSeen,
    boundMs: DOCUMENTED_BOUND_MS,
  };
}
