import { type Migration, type MigrationProvider, Migrator } from 'kysely';
import type { Db } from './database.ts';
import * as m0001 from './migrations/0001-initial.ts';

/** Migrations are listed here in order, statically imported so bundling or type-stripping never misses one. */
const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': m0001,
};

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

/**
 * Applies pending migrations (forward only). Kysely takes a lock table first, so several instances
 * starting together on one PostgreSQL apply each migration exactly once.
 */
export async function migrateToLatest(db: Db): Promise<string[]> {
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
