// What this machine can do without Gatehouse: the references some scenarios are compared with.
// argon2id hashes per second (the ceiling of password logins), durable commits per second on SQLite
// and PostgreSQL (every login and revocation commits once), and the PostgreSQL database to use.
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { hash } from '@node-rs/argon2';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { ConfigSchema } from '../src/config/config-schema.ts';

const passwords = ConfigSchema.properties.passwords.properties;
/** The server's defaults, read from its configuration schema. */
export const ARGON2 = {
  memoryKib: passwords.argon2_memory_kib.default,
  timeCost: passwords.argon2_time_cost.default,
};
/**
 * One database per run: benchmarks started side by side on one PostgreSQL (several worktrees) would
 * otherwise drop each other's database (`with (force)` ends its connections) in the middle of a run.
 */
export const PG_DATABASE = `gatehouse_bench_${process.pid}`;
const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/test';

async function repeatFor(seconds: number, workers: number, task: () => Promise<unknown>): Promise<number> {
  let done = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      await task();
      done += 1;
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  return done / ((performance.now() - started) / 1000);
}

/** argon2id at the server's parameters, as many hashes at once as cores, in this process. */
export async function rawHashRate(seconds: number): Promise<number> {
  const options = { algorithm: 2, memoryCost: ARGON2.memoryKib, timeCost: ARGON2.timeCost, parallelism: 1 };
  await hash('warm-up', options);
  return repeatFor(seconds, availableParallelism(), () => hash(randomBytes(12).toString('hex'), options));
}

/** One-row transactions, one after the other, with Gatehouse's pragmas (WAL, synchronous=FULL). */
export async function sqliteCommitRate(dir: string, seconds: number): Promise<number> {
  const db = new SQLite(join(dir, 'commit-rate.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('create table t (x integer)');
    const insert = db.prepare('insert into t (x) values (?)');
    return await repeatFor(seconds, 1, async () => insert.run(1));
  } finally {
    db.close();
  }
}

/** One-row transactions from 10 connections at once (Gatehouse's pool size). */
export async function postgresCommitRate(url: string, seconds: number): Promise<number> {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  try {
    await pool.query('create table if not exists bench_commit_rate (x integer)');
    const rate = await repeatFor(seconds, 10, () =>
      pool.query('insert into bench_commit_rate (x) values (1)'),
    );
    await pool.query('drop table bench_commit_rate');
    return rate;
  } finally {
    await pool.end();
  }
}

function adminUrl(): string {
  return process.env.TEST_DATABASE_URL ?? DEFAULT_PG_URL;
}

/** A fresh `gatehouse_bench` database next to the test database, or null (with the reason noted). */
export async function preparePostgres(notes: string[]): Promise<string | null> {
  const client = new pg.Client({ connectionString: adminUrl(), connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query(`drop database if exists ${PG_DATABASE} with (force)`);
    await client.query(`create database ${PG_DATABASE}`);
  } catch (error) {
    notes.push(`PostgreSQL scenarios skipped: cannot prepare ${PG_DATABASE} (${(error as Error).message})`);
    return null;
  } finally {
    await client.end().catch(() => {});
  }
  const url = new URL(adminUrl());
  url.pathname = `/${PG_DATABASE}`;
  return url.toString();
}

export async function dropPostgres(): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    await client.query(`drop database if exists ${PG_DATABASE} with (force)`);
  } finally {
    await client.end();
  }
}
