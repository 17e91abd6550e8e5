import type { Kysely } from 'kysely';

/**
 * The scope of a scope-limited refresh token (issue #6): the ACL list given at the offline login,
 * JSON-encoded (storage/json-codec.ts). Every access token made from the refresh token gets at most
 * the intersection of this list and the user's ACL at that moment. NULL for an unscoped refresh
 * token, which every row created before this migration is: they keep wazo's full-ACL behaviour.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the evolving table types.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('auth_refresh_token').addColumn('acl', 'text').execute();
}
