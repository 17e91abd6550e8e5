import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { POSTGRES_URL } from './test-databases.ts';

/**
 * Storage for spawned server processes, which know only GATEHOUSE_DATABASE_URL (no schema
 * option): a SQLite file in a temp dir, or a throwaway database created on the shared test
 * PostgreSQL server (`create database`, dropped with FORCE afterwards). Never touches any other
 * database on that server.
 */
export interface ProcessDatabase {
  dialect: 'sqlite' | 'postgres';
  url: string;
  /** A temp dir for the data files (and GATEHOUSE_DATA_DIR). */
  dir: string;
  dispose(): Promise<void>;
}

export async function createProcessDatabase(dialect: 'sqlite' | 'postgres'): Promise<ProcessDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-proc-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  if (dialect === 'sqlite') {
    return { dialect, url: `sqlite:${join(dir, 'gatehouse.db')}`, dir, dispose: async () => removeDir() };
  }
  const name = `gh_fault_${randomBytes(6).toString('hex')}`;
  await adminQuery(`create database ${name}`);
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    dialect,
    url: url.toString(),
    dir,
    dispose: async () => {
      await adminQuery(`drop database if exists ${name} with (force)`);
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
