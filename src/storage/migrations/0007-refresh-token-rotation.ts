import type { Kysely } from 'kysely';

/**
 * Opt-in rotation of wazo refresh tokens per client_id (D3). The row keeps the current value's
 * digest (`token_hash`, changed in place at each rotation), the immediately previous one with the
 * time it was replaced (the grace window), and every older value in `auth_refresh_token_retired`,
 * so that its reuse is recognised and revokes the token; the cascade drops them with the token.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the evolving table types.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('auth_refresh_token').addColumn('previous_hash', 'varchar(64)').execute();
  await db.schema.alterTable('auth_refresh_token').addColumn('rotated_at', 'bigint').execute();
  await db.schema
    .createIndex('auth_refresh_token__idx__previous_hash')
    .on('auth_refresh_token')
    .column('previous_hash')
    .execute();
  await db.schema
    .createTable('auth_refresh_token_retired')
    .addColumn('token_hash', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('refresh_token_uuid', 'varchar(36)', (c) =>
      c.notNull().references('auth_refresh_token.uuid').onDelete('cascade'),
    )
    .addColumn('retired_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('auth_refresh_token_retired__idx__refresh_token')
    .on('auth_refresh_token_retired')
    .column('refresh_token_uuid')
    .execute();
}
