import { type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import type { Db, Storage } from './database.ts';
import * as m0001 from './migrations/0001-initial.ts';
import * as m0002 from './migrations/0002-tenant-details.ts';
import * as m0003 from './migrations/0003-login-failures.ts';
import * as m0004 from './migrations/0004-refresh-token-acl.ts';
import * as m0005 from './migrations/0005-oauth.ts';
import * as m0006 from './migrations/0006-signing-key-slot.ts';
import * as m0007 from './migrations/0007-refresh-token-rotation.ts';

/** Migrations are listed here in order, statically imported so bundling or type-stripping never misses one. */
const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': m0001,
  '0002-tenant-details': m0002,
  '0003-login-failures': m0003,
  '0004-refresh-token-acl': m0004,
  '0005-oauth': m0005,
  '0006-signing-key-slot': m0006,
  '0007-refresh-token-rotation': m0007,
};

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

/**
 * Applies pending migrations (forward only). Kysely takes a lock table first, so several instances
 * starting together on one PostgreSQL apply each migration exactly once.
 */
export async function migrateToLatest(storage: Storage): Promise<string[]> {
  const { db } = storage;
  const migrationTableSchema = storage.dialect === 'postgres' ? await currentSchema(db) : undefined;
  const migrator = new Migrator({ db, provider, migrationTableSchema });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/**
 * Kysely looks for its bookkeeping tables in every schema unless told which one; with several
 * Gatehouse databases as schemas of one PostgreSQL it would find another's. Pin it to the
 * connection's own schema. SQLite has no schemas.
 */
async function currentSchema(db: Db): Promise<string | undefined> {
  const result = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  return result.rows[0]?.schema ?? undefined;
}
