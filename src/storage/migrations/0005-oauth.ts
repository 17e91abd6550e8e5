import type { Kysely } from 'kysely';

/**
 * The OAuth 2.1 / OpenID Connect interface (issue #6).
 *
 * - `auth_oauth_client`: registered clients, tenant-scoped; secrets as SHA-256 digests (they are
 *   server-generated and high-entropy, so a slow hash adds nothing; brute force is the gate's job).
 * - `auth_oauth_scope`: named sets of ACL entries per tenant, so an OAuth token carries an ACL.
 * - `auth_oauth_code`, `auth_oauth_device_code`: one-time artefacts, stored by digest; `used_at_ms`
 *   is set by one conditional update so exactly one redemption wins.
 * - `auth_oauth_grant`: one row per refresh-token family. The row keeps the current refresh token's
 *   digest and, for the rotation grace window, the previous one; every older value is kept in
 *   `auth_oauth_retired_token` so that its reuse is recognised and revokes the family (D3).
 * - Sessions made from a grant carry its uuid, so revoking the grant ends them (cascade, S-RT-2).
 * - `auth_token.dpop_jkt`: the thumbprint a DPoP-bound access token is bound to (RFC 9449).
 * - `auth_oauth_signing_key`: OIDC signing keys, private halves encrypted with the server key.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the evolving table types.
export async function up(db: Kysely<any>): Promise<void> {
  await createClients(db);
  await createScopes(db);
  await createGrants(db);
  await createCodes(db);
  await createDeviceCodes(db);
  await createSigningKeys(db);
  await db.schema.alterTable('auth_session').addColumn('grant_uuid', 'varchar(36)').execute();
  await db.schema.createIndex('auth_session__idx__grant').on('auth_session').column('grant_uuid').execute();
  await db.schema.alterTable('auth_token').addColumn('dpop_jkt', 'varchar(64)').execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see above.
async function createClients(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('auth_oauth_client')
    .addColumn('uuid', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('client_id', 'varchar(128)', (c) => c.notNull().unique())
    .addColumn('tenant_uuid', 'varchar(36)', (c) =>
      c.notNull().references('auth_tenant.uuid').onDelete('cascade'),
    )
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('client_type', 'varchar(16)', (c) => c.notNull())
    .addColumn('secret_hash', 'varchar(64)')
    .addColumn('token_endpoint_auth_method', 'varchar(32)', (c) => c.notNull())
    .addColumn('jwks', 'text')
    .addColumn('redirect_uris', 'text', (c) => c.notNull())
    .addColumn('grant_types', 'text', (c) => c.notNull())
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('acl', 'text', (c) => c.notNull())
    .addColumn('access_token_lifetime_seconds', 'integer', (c) => c.notNull())
    .addColumn('refresh_idle_seconds', 'integer', (c) => c.notNull())
    .addColumn('refresh_max_lifetime_seconds', 'integer', (c) => c.notNull())
    .addColumn('rotation', 'varchar(16)', (c) => c.notNull())
    .addColumn('dpop_bound', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('skip_consent', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('auth_oauth_client__idx__tenant')
    .on('auth_oauth_client')
    .column('tenant_uuid')
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see above.
async function createScopes(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('auth_oauth_scope')
    .addColumn('uuid', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('tenant_uuid', 'varchar(36)', (c) =>
      c.notNull().references('auth_tenant.uuid').onDelete('cascade'),
    )
    .addColumn('name', 'varchar(128)', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('acl', 'text', (c) => c.notNull())
    .addUniqueConstraint('auth_oauth_scope_tenant_name', ['tenant_uuid', 'name'])
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see above.
async function createGrants(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('auth_oauth_grant')
    .addColumn('uuid', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('client_id', 'varchar(128)', (c) =>
      c.notNull().references('auth_oauth_client.client_id').onDelete('cascade'),
    )
    .addColumn('user_uuid', 'varchar(36)', (c) => c.references('auth_user.uuid').onDelete('cascade'))
    .addColumn('tenant_uuid', 'varchar(36)', (c) =>
      c.notNull().references('auth_tenant.uuid').onDelete('cascade'),
    )
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('token_ciphertext', 'text')
    .addColumn('previous_hash', 'varchar(64)')
    .addColumn('generation', 'integer', (c) => c.notNull())
    .addColumn('rotated_at_ms', 'bigint')
    .addColumn('dpop_jkt', 'varchar(64)')
    .addColumn('auth_time_ms', 'bigint', (c) => c.notNull())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('auth_oauth_grant__idx__user')
    .on('auth_oauth_grant')
    .column('user_uuid')
    .execute();
  await db.schema
    .createTable('auth_oauth_retired_token')
    .addColumn('token_hash', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('grant_uuid', 'varchar(36)', (c) =>
      c.notNull().references('auth_oauth_grant.uuid').onDelete('cascade'),
    )
    .addColumn('retired_at_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('auth_oauth_retired_token__idx__grant')
    .on('auth_oauth_retired_token')
    .column('grant_uuid')
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see above.
async function createCodes(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('auth_oauth_code')
    .addColumn('code_hash', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('client_id', 'varchar(128)', (c) =>
      c.notNull().references('auth_oauth_client.client_id').onDelete('cascade'),
    )
    .addColumn('user_uuid', 'varchar(36)', (c) =>
      c.notNull().references('auth_user.uuid').onDelete('cascade'),
    )
    .addColumn('redirect_uri', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('code_challenge', 'varchar(128)', (c) => c.notNull())
    .addColumn('nonce', 'text')
    .addColumn('dpop_jkt', 'varchar(64)')
    .addColumn('auth_time_ms', 'bigint', (c) => c.notNull())
    .addColumn('expires_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('used_at_ms', 'bigint')
    .addColumn('grant_uuid', 'varchar(36)')
    .addColumn('session_uuid', 'varchar(36)')
    .execute();
  await db.schema
    .createIndex('auth_oauth_code__idx__expires')
    .on('auth_oauth_code')
    .column('expires_at_ms')
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see above.
async function createDeviceCodes(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('auth_oauth_device_code')
    .addColumn('device_code_hash', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('user_code', 'varchar(16)', (c) => c.notNull().unique())
    .addColumn('client_id', 'varchar(128)', (c) =>
      c.notNull().references('auth_oauth_client.client_id').onDelete('cascade'),
    )
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('user_uuid', 'varchar(36)', (c) => c.references('auth_user.uuid').onDelete('cascade'))
    .addColumn('auth_time_ms', 'bigint')
    .addColumn('interval_seconds', 'integer', (c) => c.notNull())
    .addColumn('last_polled_at_ms', 'bigint')
    .addColumn('expires_at_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('auth_oauth_device_code__idx__expires')
    .on('auth_oauth_device_code')
    .column('expires_at_ms')
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see above.
async function createSigningKeys(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('auth_oauth_signing_key')
    .addColumn('kid', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('alg', 'varchar(16)', (c) => c.notNull())
    .addColumn('public_jwk', 'text', (c) => c.notNull())
    .addColumn('private_jwk_ciphertext', 'text', (c) => c.notNull())
    .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('active_from_ms', 'bigint', (c) => c.notNull())
    .addColumn('retire_after_ms', 'bigint')
    .execute();
}
