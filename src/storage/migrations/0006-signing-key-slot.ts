import type { Kysely } from 'kysely';

/**
 * OpenID Connect signing keys (issue #6 §8): one key per signing slot. Instances sharing a
 * PostgreSQL all compute the same `active_from_ms` for the next key, so the unique index lets the
 * first insert win and makes the others no-ops: exactly one successor, whatever the race.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the evolving table types.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createIndex('auth_oauth_signing_key__uniq__active_from')
    .on('auth_oauth_signing_key')
    .column('active_from_ms')
    .unique()
    .execute();
}
