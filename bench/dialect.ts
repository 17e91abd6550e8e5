// One Gatehouse per database engine: start it, load the data, run the scenarios, stop it.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createUsers, login, obtainRefreshTokens } from './fixtures.ts';
import { countQueries, measureLarge, measureMemory } from './measures.ts';
import { runInstances } from './multi-instance.ts';
import { type Child, startGatehouse } from './processes.ts';
import type { BenchReport } from './report.ts';
import { type BenchSettings, HOT, type InstanceContext, runThroughput, SEEDED_FIRST } from './scenarios.ts';
import { attachAclPolicy, openSeedDb, seedTokens, type TokenSet, topTenantUuid } from './seed-data.ts';
import { measureSqlCeiling } from './sql-ceiling.ts';

export interface DialectRunOptions {
  settings: BenchSettings;
  tokens: TokenSet;
  report: BenchReport;
  bareRps: number;
  /** null: PostgreSQL is skipped. */
  pgUrl: string | null;
  workDir: string;
  only?: string;
  log: (line: string) => void;
}

const LOGIN_USERS = 4;
const BOOTSTRAP_PASSWORD = randomBytes(12).toString('base64url');
/** One key for every instance: refresh tokens are shared through the database. */
const ENCRYPTION_KEY = randomBytes(32).toString('base64');
/**
 * Every refresh login opens a session, and the session cap counts the user's sessions at each
 * login. With 8 users, each held thousands of sessions by the end of scenario e, far past wazo's
 * default cap of 100; 400 users keep that count near real use.
 */
const REFRESH_USERS = 400;

export async function runSqliteAndPostgres(options: DialectRunOptions): Promise<void> {
  if (options.only !== 'postgres') {
    const url = `sqlite:${join(options.workDir, 'sqlite', 'g.db')}`;
    await attempt(options, 'sqlite', () => runDialect(options, 'sqlite', url));
  }
  const pgUrl = options.pgUrl;
  if (options.settings.instances >= 2 && !pgUrl)
    options.report.notes.push('j skipped: --instances needs PostgreSQL');
  if (pgUrl) await attempt(options, 'postgres', () => runDialect(options, 'postgres', pgUrl));
}

function instanceOptions(options: DialectRunOptions, db: string, databaseUrl: string, name: string) {
  const dataDir = join(options.workDir, `${db}-${name}`);
  mkdirSync(dataDir, { recursive: true });
  return {
    name: `gatehouse ${db} ${name}`,
    databaseUrl,
    dataDir,
    bootstrapPassword: BOOTSTRAP_PASSWORD,
    encryptionKey: ENCRYPTION_KEY,
    cacheMaxEntries: Math.max(200_000, options.settings.rssTokens + 50_000),
  };
}

/** Runs one part; a failure is noted in the report and the run goes on with the next part. */
async function attempt(options: DialectRunOptions, what: string, part: () => Promise<void>): Promise<void> {
  try {
    await part();
  } catch (error) {
    const message = (error as Error)?.message ?? String(error);
    options.log(`${what} failed: ${message}`);
    options.report.notes.push(`${what} failed: ${message.split('\n')[0]}`);
  }
}

async function runDialect(options: DialectRunOptions, db: string, databaseUrl: string): Promise<void> {
  const { log, report, settings } = options;
  log(`${db}: starting Gatehouse`);
  const child = await startGatehouse(instanceOptions(options, db, databaseUrl, 'A'));
  const seed = await openSeedDb(databaseUrl, options.tokens.salt);
  try {
    const ctx = await prepare(options, db, child, seed);
    await attempt(options, `${db} a-f`, async () => {
      report.rows.push(...(await runThroughput(ctx, log)));
    });
    if (!settings.checksOnly)
      await attempt(options, `${db} g`, async () => {
        log(`  ${db}: g statements per operation`);
        report.queries.push(...(await countQueries(ctx)));
      });
    if (db === 'postgres' && !settings.checksOnly)
      await attempt(options, `${db} SQL ceiling`, async () => {
        report.sqlCeiling = await measureSqlCeiling(ctx, databaseUrl, log);
      });
    if (settings.instances >= 2 && db === 'postgres') {
      await attempt(options, `${db} j`, () => runSecondInstance(options, ctx, databaseUrl));
    }
    // i before h: i is compared with scenario a, so the cache holds what it held then, not h's
    // million entries.
    const solo = report.rows.find((r) => r.db === db && r.scenario.startsWith('a '));
    if (settings.large && solo && !settings.checksOnly && !settings.loginsOnly) {
      await attempt(options, `${db} i`, async () => {
        const { large, row } = await measureLarge(ctx, solo, log);
        report.large.push(large);
        report.rows.push(row);
      });
    }
    // The cache is the same code on both engines: measured once, on the first engine run.
    if (report.memory.length === 0 && !settings.checksOnly && !settings.loginsOnly) {
      await attempt(options, `${db} h`, async () => {
        report.memory.push(await measureMemory(ctx, log));
      });
    }
  } finally {
    await seed.close().catch(() => {});
    await child.stop();
  }
}

async function runSecondInstance(options: DialectRunOptions, ctx: InstanceContext, databaseUrl: string) {
  const second = await startGatehouse(instanceOptions(options, ctx.db, databaseUrl, 'B'));
  try {
    const { rows, revocation } = await runInstances(ctx, second, options.log);
    options.report.rows.push(...rows);
    options.report.revocation = revocation;
  } finally {
    await second.stop();
  }
}

async function prepare(
  options: DialectRunOptions,
  db: string,
  child: Child,
  seed: Awaited<ReturnType<typeof openSeedDb>>,
): Promise<InstanceContext> {
  const { log, tokens } = options;
  log(`  ${db}: creating users and ${SEEDED_FIRST.toLocaleString('en-US')} tokens`);
  const tenant = await topTenantUuid(seed);
  const admin = await login(child.url, 'admin', BOOTSTRAP_PASSWORD);
  const users = await createUsers(child.url, admin.token, 'bench', LOGIN_USERS + REFRESH_USERS);
  await attachAclPolicy(
    seed,
    tenant,
    users.map((u) => u.uuid),
  );
  await seedTokens(seed, tenant, { from: 0, to: SEEDED_FIRST });
  const refresh = await obtainRefreshTokens(child.url, users.slice(LOGIN_USERS));
  return {
    db,
    child,
    seed,
    tenant,
    hot: { tokens, count: HOT },
    users: users.slice(0, LOGIN_USERS),
    refresh,
    settings: options.settings,
    bareRps: options.bareRps,
    hashRate: options.report.argon2.hashesPerSec,
    notes: options.report.notes,
    report: options.report,
    nextToken: SEEDED_FIRST,
    adminToken: admin.token,
  };
}
