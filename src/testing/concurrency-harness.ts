import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { after, before, describe } from 'node:test';
import { postgresUnavailableReason } from './test-databases.ts';
import { startTestServer, type TestServer, type TestServerOptions } from './test-server.ts';

/**
 * The concurrency suites (security.md §5.3): SQLite with one instance, PostgreSQL with two
 * instances sharing one database and the requests spread across both. Every suite prints its
 * seed; `CC_SEED` replays one, `CC_ITERATIONS` sets the iteration count (100 in `npm run test:cc`).
 */

/** The iteration count: the short form inside `npm test`, or CC_ITERATIONS. */
export function ccIterations(shortForm: number): number {
  const fromEnv = Number(process.env.CC_ITERATIONS);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : shortForm;
}

/** The scale of the long form (CC_ITERATIONS set): bigger populations where the plan asks for them. */
export function ccLongForm(): boolean {
  return ccIterations(0) > 0;
}

/** A small seeded PRNG (mulberry32): the same seed replays the same interleavings and choices. */
export interface SeededRandom {
  seed: number;
  next(): number;
  int(below: number): number;
  pick<T>(items: readonly T[]): T;
}

export function seededRandom(label: string): SeededRandom {
  const fromEnv = Number(process.env.CC_SEED);
  const seed = Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : randomInt(1, 2 ** 31);
  console.log(`${label}: seed ${seed} (replay with CC_SEED=${seed})`);
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (below: number): number => Math.floor(next() * below);
  return { seed, next, int, pick: (items) => items[int(items.length)] as (typeof items)[number] };
}

/** The instances of one dialect: one on SQLite, two sharing the database on PostgreSQL. */
export interface Cluster {
  dialect: 'sqlite' | 'postgres';
  servers: TestServer[];
  /** The first instance (owner of the database). */
  first: TestServer;
  /** An instance chosen by the seeded PRNG. */
  pick(random: SeededRandom): TestServer;
}

export async function describeClusterEachDialect(
  title: string,
  options: TestServerOptions,
  body: (cluster: () => Cluster) => void,
): Promise<void> {
  const postgresSkip = await postgresUnavailableReason();
  for (const dialect of ['sqlite', 'postgres'] as const) {
    const skip = dialect === 'postgres' && postgresSkip ? postgresSkip : false;
    describe(`${title} [${dialect}${dialect === 'postgres' ? ', 2 instances' : ''}]`, { skip }, () => {
      let cluster: Cluster | undefined;
      before(async () => {
        const first = await startTestServer(dialect, options);
        const servers = [first];
        if (dialect === 'postgres') {
          servers.push(await startTestServer(dialect, { ...options, shareDatabaseWith: first }));
        }
        cluster = { dialect, servers, first, pick: (random) => random.pick(servers) };
      });
      after(async () => {
        // The owner of the database closes last.
        for (const server of [...(cluster?.servers ?? [])].reverse()) await server.close();
      });
      body(() => {
        if (!cluster) throw new Error('cluster not started');
        return cluster;
      });
    });
  }
}

/** What one racing request saw, with its start and end on the test's monotonic clock. */
export interface Timed<T> {
  startedAt: number;
  endedAt: number;
  value: T;
}

export async function timed<T>(run: () => Promise<T>): Promise<Timed<T>> {
  const startedAt = performance.now();
  const value = await run();
  return { startedAt, endedAt: performance.now(), value };
}

/** Runs `count` calls of `run` at once. */
export function burst<T>(count: number, run: (index: number) => Promise<T>): Promise<T[]> {
  return Promise.all(Array.from({ length: count }, (_, index) => run(index)));
}

/** Resolves after `ms` real milliseconds (spreads a racing request inside a window). */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** One token check of a race: which instance answered, what, and when it started and ended. */
export interface RaceCheck extends Timed<number> {
  server: TestServer;
}

export interface CheckRace {
  checks: RaceCheck[];
  /** The racing action (a revocation), timed. */
  action: Timed<{ status: number; text: string }>;
  /** The instance that ran the action. */
  actor: TestServer;
}

/**
 * `workers` workers check random `tokens` (HEAD /token/T) on random instances until `total`
 * checks are done; `action` runs on a random instance after a random delay in the middle.
 */
export async function raceChecks(options: {
  cluster: Cluster;
  random: SeededRandom;
  tokens: readonly string[];
  total: number;
  workers?: number;
  action: (server: TestServer) => Promise<{ status: number; text: string }>;
}): Promise<CheckRace> {
  const { cluster, random, tokens, total } = options;
  const checks: RaceCheck[] = [];
  const worker = async () => {
    while (checks.length < total) {
      const server = cluster.pick(random);
      const token = random.pick(tokens);
      const slot = { server } as RaceCheck;
      checks.push(slot);
      const url = `${server.api}/token/${token}`;
      Object.assign(slot, await timed(async () => (await fetch(url, { method: 'HEAD' })).status));
      if (random.next() < 0.3) await pause(random.int(3));
    }
  };
  const actor = cluster.pick(random);
  const running = Promise.all(Array.from({ length: options.workers ?? 4 }, worker));
  await pause(random.int(40));
  const action = await timed(() => options.action(actor));
  await running;
  return { checks, action, actor };
}

/**
 * The CC-3/CC-4/CC-7 verdict: no answer but 204 or 404; every check that started after the
 * action answered is 404 on the instance that ran it, and on the others once `stalenessMs` (the
 * documented LISTEN/NOTIFY bound) has passed. Returns how many stale 204s fell inside that bound.
 */
export function assertRevokedAfter(race: CheckRace, stalenessMs: number, label: string): number {
  const odd = race.checks.filter((c) => c.value !== 204 && c.value !== 404).map((c) => c.value);
  assert.deepEqual(odd, [], `${label}: only 204 or 404, never a 5xx`);
  let stale = 0;
  for (const check of race.checks.filter((c) => c.startedAt > race.action.endedAt)) {
    const late = check.startedAt - race.action.endedAt;
    if (check.server === race.actor || late > stalenessMs) {
      assert.equal(check.value, 404, `${label}: a check ${late.toFixed(1)} ms after the action answered`);
    } else if (check.value === 204) stale += 1;
  }
  return stale;
}

/** Polls until 404; fails when `token` is still valid `boundMs` after `sinceMs` (performance.now()). */
export async function assertRevokedWithin(
  server: TestServer,
  token: string,
  sinceMs: number,
  boundMs: number,
): Promise<void> {
  for (;;) {
    const status = (await fetch(`${server.api}/token/${token}`, { method: 'HEAD' })).status;
    if (status === 404) return;
    assert.equal(status, 204);
    assert.ok(performance.now() - sinceMs <= boundMs, `still valid ${boundMs} ms after the revocation`);
    await pause(10);
  }
}
