import type { Kysely } from 'kysely';

/**
 * Failed-login counters of the brute-force gate (security.md A1, S-BF-1..4): one row per counter
 * key (an account at one client address, or a client address alone). Kept in the database, not in
 * memory, so every instance sees the same count and a restart forgets nothing (CC-5, FT-1c).
 * `expires_at_ms` lets the expiry job purge rows nobody has touched for a while.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the evolving table types.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('auth_login_failure')
    .addColumn('counter_key', 'varchar(200)', (c) => c.primaryKey())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('window_start_ms', 'bigint', (c) => c.notNull())
    .addColumn('locked_until_ms', 'bigint', (c) => c.notNull())
    .addColumn('lock_count', 'integer', (c) => c.notNull())
    .addColumn('lock_id', 'varchar(36)')
    .addColumn('expires_at_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('auth_login_failure__idx__expires_at')
    .on('auth_login_failure')
    .column('expires_at_ms')
    .execute();
}
