import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/**
 * The engines every integration suite runs on: a real SQLite file always, and PostgreSQL when it
 * answers at TEST_DATABASE_URL (default 127.0.0.1:5432/test). When it does not, the PostgreSQL
 * suites are reported as skipped with the reason, never silently dropped; CI sets
 * GATEHOUSE_TEST_REQUIRE_POSTGRES=1 so an unreachable server fails the run instead.
 */
export interface TestDatabase {
  dialect: 'sqlite' | 'postgres';
  url: string;
  pgSchema?: string;
  dataDir: string;
  dispose(): Promise<void>;
}

export const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

let postgresProbe: Promise<string | null> | null = null;

/** Resolves to null when PostgreSQL is usable, or to the reason it is not. */
export function postgresUnavailableReason(): Promise<string | null> {
  postgresProbe ??= probePostgres();
  return postgresProbe;
}

async function probePostgres(): Promise<string | null> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return null;
  } catch (error) {
    const reason = `PostgreSQL not reachable at ${redactUrl(POSTGRES_URL)}: ${(error as Error).message}`;
    if (process.env.GATEHOUSE_TEST_REQUIRE_POSTGRES === '1') throw new Error(reason);
    return reason;
  } finally {
    await client.end().catch(() => {});
  }
}

export async function createTestDatabase(dialect: 'sqlite' | 'postgres'): Promise<TestDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-test-'));
  const removeDir = () => rmSync(dataDir, { recursive: true, force: true });
  if (dialect === 'sqlite') {
    return {
      dialect,
      url: `sqlite:${join(dataDir, 'gatehouse.db')}`,
      dataDir,
      dispose: async () => removeDir(),
    };
  }
  const schema = `gh_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(`create schema ${schema}`);
  return {
    dialect,
    url: POSTGRES_URL,
    pgSchema: schema,
    dataDir,
    dispose: async () => {
      await adminQuery(`drop schema if exists ${schema} cascade`);
      removeDir();
    },
  };
}

async function adminQuery(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
