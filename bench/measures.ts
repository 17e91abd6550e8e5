// Measures g (SQL statements per operation), h (RSS with many cached tokens) and i (check
// throughput with a large database) against one Gatehouse instance.
import { setTimeout as sleep } from 'node:timers/promises';
import { measureBare } from './bare-baseline.ts';
import { callJson, login, readMetrics } from './fixtures.ts';
import { runLoad } from './load.ts';
import { type LargeMeasure, largeRatio, type MemoryMeasure, type QueryCount, type Row } from './report.ts';
import { checkMix, distinctChecks } from './requests.ts';
import {
  COLD_FIRST,
  type InstanceContext,
  load,
  measure,
  REVOKE_FIRST,
  RSS_FIRST,
  toRow,
  warmChecks,
} from './scenarios.ts';
import { GRANTED_SCOPES, seedTokens } from './seed-data.ts';

const MB = 2 ** 20;

/** `gatehouse_token_cache_entries` from GET /metrics, or NaN when the server does not report it. */
async function cacheEntries(ctx: InstanceContext): Promise<number> {
  const metrics = await readMetrics(ctx.child.url, ctx.adminToken);
  return metrics.gatehouse_token_cache_entries ?? Number.NaN;
}
const UNKNOWN_FOR_COUNTS = 2_000_000_000;

async function expectStatus(url: string, method: string, expected: number): Promise<void> {
  const response = await fetch(url, { method });
  await response.arrayBuffer();
  if (response.status !== expected)
    throw new Error(`${method} ${url}: ${response.status}, expected ${expected}`);
}

async function perOperation(ctx: InstanceContext, count: number, op: (k: number) => Promise<unknown>) {
  const before = await ctx.child.stats();
  for (let k = 0; k < count; k++) await op(k);
  const after = await ctx.child.stats();
  return {
    statementsPerOp: (after.statements - before.statements) / count,
    roundTripsPerOp: ctx.db === 'sqlite' ? Number.NaN : (after.roundTrips - before.roundTrips) / count,
  };
}

/** g: statements counted inside the server process (see probe.mjs), sequential requests. */
export async function countQueries(ctx: InstanceContext): Promise<QueryCount[]> {
  const { child, hot } = ctx;
  const tokens = hot.tokens;
  const scope = GRANTED_SCOPES[0] as string;
  const check = (i: number) =>
    expectStatus(
      `${child.url}/0.1/token/${tokens.value(i)}?scope=${encodeURIComponent(tokens.scope(i, scope))}`,
      'HEAD',
      i >= UNKNOWN_FOR_COUNTS ? 404 : 204,
    );
  for (let k = 0; k < 200; k++) await check(k);
  const users = ctx.users;
  const refresh = ctx.refresh;
  const operations: [string, number, (k: number) => Promise<unknown>][] = [
    ['check, token cached', 200, (k) => check(k)],
    ['check, token not cached', 200, (k) => check(COLD_FIRST + k)],
    ['check, unknown token', 200, (k) => check(UNKNOWN_FOR_COUNTS + k)],
    [
      'password login',
      10,
      (k) =>
        login(child.url, users[k % users.length]?.username ?? '', users[k % users.length]?.password ?? ''),
    ],
    [
      'refresh login',
      100,
      (k) => {
        const credential = refresh[k % refresh.length];
        return callJson(child.url, '/token', {
          method: 'POST',
          body: { refresh_token: credential?.refreshToken, client_id: credential?.clientId },
        });
      },
    ],
    [
      'revoke (DELETE /token/{t})',
      50,
      (k) => expectStatus(`${child.url}/0.1/token/${tokens.value(REVOKE_FIRST + 900 + k)}`, 'DELETE', 200),
    ],
  ];
  const counts: QueryCount[] = [];
  for (const [operation, count, op] of operations) {
    counts.push({ db: ctx.db, operation, ...(await perOperation(ctx, count, op)) });
  }
  return counts;
}

/** h: RSS and heap (after GC) before and after checking many distinct tokens once each. */
export async function measureMemory(
  ctx: InstanceContext,
  log: (line: string) => void,
): Promise<MemoryMeasure> {
  const { connections } = ctx.settings;
  const perConnection = Math.floor(ctx.settings.rssTokens / connections);
  const tokens = perConnection * connections;
  // After measure i (when run), whose tokens stay uncached: this range is new to the server.
  const first = Math.max(ctx.nextToken, RSS_FIRST);
  log(`  ${ctx.db}: h seeding ${tokens.toLocaleString('en-US')} tokens`);
  await seedTokens(ctx.seed, ctx.tenant, { from: first, to: first + tokens });
  ctx.nextToken = first + tokens;
  // On SQLite, Gatehouse flushes its cache when another connection commits (data_version poll):
  // let that happen before the first reading.
  await sleep(1500);
  const before = await ctx.child.stats();
  const rssBefore = ctx.child.rssBytes();
  const entriesBefore = await cacheEntries(ctx);
  log(`  ${ctx.db}: h checking each once`);
  const result = await runLoad({
    url: ctx.child.url,
    connections,
    amount: tokens,
    requestsFor: (c) => distinctChecks(ctx.hot.tokens, first, perConnection, c),
  });
  if ((result.statuses[204] ?? 0) !== tokens) {
    const failed = `${result.errors} request errors, ${result.timeouts} of them timeouts`;
    ctx.notes.push(
      `${ctx.db} memory: expected ${tokens} x 204, got ${JSON.stringify(result.statuses)}, ${failed}`,
    );
  }
  const after = await ctx.child.stats();
  const rssAfter = ctx.child.rssBytes();
  const entriesAfter = await cacheEntries(ctx);
  // Per cached entry when the server reports its cache size (GET /metrics), else per token checked.
  const added = Number.isFinite(entriesAfter - entriesBefore) ? entriesAfter - entriesBefore : tokens;
  if (added < tokens * 0.99)
    ctx.notes.push(`${ctx.db} memory: only ${added} of ${tokens} tokens stayed cached`);
  const bytesPerTokenRss = (rssAfter - rssBefore) / added;
  const extrapolated = tokens < 1_000_000;
  return {
    db: ctx.db,
    tokens,
    cacheEntries: entriesAfter,
    rssBeforeMb: rssBefore / MB,
    rssAfterMb: rssAfter / MB,
    bytesPerTokenRss,
    bytesPerTokenHeap: (after.memory.heapUsed - before.memory.heapUsed) / added,
    rssAt1MMb: extrapolated ? (rssBefore + bytesPerTokenRss * 1_000_000) / MB : rssAfter / MB,
    extrapolated,
  };
}

/** i: fills the database up to `largeCount` tokens, then measures scenario a again. */
export async function measureLarge(
  ctx: InstanceContext,
  solo: Row,
  log: (line: string) => void,
): Promise<{ large: LargeMeasure; row: Row }> {
  const countTokens = async () => {
    const [row] = await ctx.seed.rows<{ n: number | string }>('select count(*) as n from auth_token');
    return Number(row?.n ?? 0);
  };
  const from = Math.max(ctx.nextToken, RSS_FIRST);
  const to = from + Math.max(0, ctx.settings.largeCount - (await countTokens()));
  const started = performance.now();
  await seedTokens(ctx.seed, ctx.tenant, { from, to }, (done) => {
    if (done % 1_000_000 === 0)
      log(`  ${ctx.db}: i seeded ${done.toLocaleString('en-US')} of ${(to - from).toLocaleString('en-US')}`);
  });
  if (ctx.seed.dialect === 'postgres') await ctx.seed.run('analyze');
  ctx.nextToken = to;
  const seedSeconds = (performance.now() - started) / 1000;
  const tokens = await countTokens();
  log(`  ${ctx.db}: i checks with ${tokens.toLocaleString('en-US')} tokens in the database`);
  await sleep(1500); // see measureMemory: the cache flush caused by the seeding comes first
  await warmChecks(ctx);
  const result = await measure(
    ctx.settings.repeat,
    load(ctx, ctx.settings.connections, (c) => checkMix(ctx.hot, c)),
  );
  // Scenario a ran many minutes earlier. The bare server, measured again now, tells how much of
  // the change is the machine's (and the load generator's, in this process, after the seeding).
  log(`  ${ctx.db}: i bare node:http baseline again`);
  const bareAfter = (await measureBare(ctx.settings, ctx.hot.tokens)).rps;
  const large = {
    db: ctx.db,
    tokens,
    seedSeconds,
    rpsSmall: solo.rps,
    rpsLarge: result.rps,
    bareRpsSmall: ctx.bareRps,
    bareRpsLarge: bareAfter,
  };
  const row = toRow(
    `i HEAD check, ${tokens >= 1e6 ? `${(tokens / 1e6).toFixed(1)}M` : `${Math.round(tokens / 1e3)}k`} in db`,
    ctx.db,
    result,
    bareAfter,
    [204, 403, 404],
    { label: 'x 10k a', value: largeRatio(large) },
  );
  return { large, row };
}
