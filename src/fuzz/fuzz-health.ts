import { createHash } from 'node:crypto';
import type { Storage } from '../storage/database.ts';
import type { DatabaseSchema } from '../storage/tables.ts';

/** Tables whose rows the fuzzer must not change except through accepted mutations (U6). */
const WATCHED = [
  'auth_user',
  'auth_token',
  'auth_session',
  'auth_refresh_token',
  'auth_policy',
  'auth_policy_access',
  'auth_tenant',
  'auth_group',
  'auth_email',
  'auth_user_policy',
  'auth_group_policy',
  'auth_user_group',
] as const satisfies readonly (keyof DatabaseSchema)[];

/** Tables where one accepted request adds or removes at most one row. */
const ONE_ROW_PER_REQUEST = new Set<string>(['auth_user', 'auth_policy', 'auth_tenant', 'auth_group']);

export type Snapshot = Record<string, { rows: number; checksum: string }>;

/** Row count and an order-independent SHA-256 of every row of each watched table. */
export async function snapshot(storage: Storage): Promise<Snapshot> {
  const out: Snapshot = {};
  for (const table of WATCHED) {
    const rows = await storage.db.selectFrom(table).selectAll().execute();
    const lines = rows.map((row) => JSON.stringify(row)).sort();
    out[table] = { rows: rows.length, checksum: createHash('sha256').update(lines.join('\n')).digest('hex') };
  }
  return out;
}

/**
 * U6: a table may change only if some mutation was accepted (2xx), and the one-row-per-request
 * tables by at most that many rows. `accepted` counts 2xx answers to mutating requests.
 */
export function compareSnapshots(before: Snapshot, after: Snapshot, accepted: number): string[] {
  const problems: string[] = [];
  for (const table of WATCHED) {
    const a = before[table];
    const b = after[table];
    if (!a || !b || a.checksum === b.checksum) continue;
    if (accepted === 0)
      problems.push(`U6 ${table} changed (${a.rows} → ${b.rows} rows) with no accepted mutation`);
    if (ONE_ROW_PER_REQUEST.has(table) && Math.abs(b.rows - a.rows) > accepted) {
      problems.push(`U6 ${table} went ${a.rows} → ${b.rows} rows after ${accepted} accepted mutations`);
    }
  }
  return problems;
}

/** Mutating requests whose 2xx changes stored state (scope checks only read). */
export function isMutation(method: string, path: string): boolean {
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return false;
  return !(method === 'POST' && /\/scopes\/check/.test(path));
}

export interface HealthLimits {
  /** Largest RSS growth accepted over the run, in MiB. */
  maxRssGrowthMiB: number;
}

/**
 * U5: the server still answers HEAD /status, the process memory stayed bounded, and no pool
 * connection is left checked out or waited for once the requests are over.
 */
export async function healthProblems(
  api: string,
  storage: Storage,
  rssBeforeBytes: number,
  limits: HealthLimits,
): Promise<string[]> {
  const problems: string[] = [];
  const status = await fetch(`${api}/status`, { method: 'HEAD' });
  if (status.status !== 200) problems.push(`U5 HEAD /status gave ${status.status}`);
  const growth = (process.memoryUsage().rss - rssBeforeBytes) / 2 ** 20;
  if (growth > limits.maxRssGrowthMiB) problems.push(`U5 RSS grew by ${growth.toFixed(0)} MiB`);
  const pool = await settledPool(storage);
  if (pool && (pool.waiting > 0 || pool.total - pool.idle > 0)) {
    problems.push(`U5 pool: ${pool.total - pool.idle} busy, ${pool.waiting} waiting after the run`);
  }
  return problems;
}

/** Pool stats once in-flight work has had a moment to return its connections. */
async function settledPool(storage: Storage) {
  for (let attempt = 0; attempt < 20; attempt++) {
    const pool = storage.poolStats();
    if (!pool || (pool.waiting === 0 && pool.total === pool.idle)) return pool;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return storage.poolStats();
}

/** U7: every witness token issued before the run still validates (HEAD 204). */
export async function witnessProblems(api: string, tokens: readonly string[]): Promise<string[]> {
  const problems: string[] = [];
  for (const token of tokens) {
    const check = await fetch(`${api}/token/${token}`, { method: 'HEAD' });
    if (check.status !== 204) problems.push(`U7 a token issued before the run now gives ${check.status}`);
  }
  return problems;
}
