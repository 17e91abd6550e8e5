import { type Kysely, sql } from 'kysely';

/**
 * The initial schema, portable across SQLite and PostgreSQL: text ids made by the application,
 * bigint millisecond times (wazo-auth's int4 seconds overflow in 2038, and 10-year tokens from
 * January 2028), booleans, and expression indexes on lower(...) for case-insensitive uniqueness.
 * Imports nothing from the application, so it never changes once released.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the evolving table types.
export async function up(db: Kysely<any>): Promise<void> {
  await createTenantsAndUsers(db);
  await createGroupsAndPolicies(db);
  await createSessionsAndTokens(db);
}

// biome-ignore lint/suspicious/noExplicitAny: see up().
async function createTenantsAndUsers(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('auth_tenant')
    .addColumn('uuid', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('name', 'text')
    .addColumn('slug', 'varchar(80)', (c) => c.notNull().unique())
    .addColumn('phone', 'text')
    .addColumn('contact_uuid', 'varchar(36)')
    .addColumn('parent_uuid', 'varchar(36)', (c) => c.notNull().references('auth_tenant.uuid'))
    .addColumn('default_authentication_method', 'text', (c) => c.notNull().defaultTo('native'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('auth_tenant__idx__parent_uuid')
    .on('auth_tenant')
    .column('parent_uuid')
    .execute();

  await db.schema
    .createTable('auth_user')
    .addColumn('uuid', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('username', 'varchar(256)')
    .addColumn('password_hash', 'text')
    .addColumn('password_salt', 'text')
    .addColumn('firstname', 'text')
    .addColumn('lastname', 'text')
    .addColumn('enabled', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('tenant_uuid', 'varchar(36)', (c) =>
      c.notNull().references('auth_tenant.uuid').onDelete('cascade'),
    )
    .addColumn('purpose', 'text', (c) =>
      c.notNull().check(sql`purpose in ('user', 'internal', 'external_api')`),
    )
    .addColumn('authentication_method', 'text', (c) => c.notNull().defaultTo('default'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('auth_user__idx__username_lower')
    .unique()
    .on('auth_user')
    .expression(sql`lower(username)`)
    .execute();
  await db.schema.createIndex('auth_user__idx__tenant_uuid').on('auth_user').column('tenant_uuid').execute();

  await db.schema
    .createTable('auth_email')
    .addColumn('uuid', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('confirmed', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('main', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('user_uuid', 'varchar(36)', (c) =>
      c.notNull().references('auth_user.uuid').onDelete('cascade'),
    )
    .execute();
  await db.schema
    .createIndex('auth_email__idx__address_lower')
    .unique()
    .on('auth_email')
    .expression(sql`lower(address)`)
    .execute();
  await db.schema.createIndex('auth_email__idx__user_uuid').on('auth_email').column('user_uuid').execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up().
async function createGroupsAndPolicies(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('auth_group')
    .addColumn('uuid', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('slug', 'varchar(80)', (c) => c.notNull())
    .addColumn('tenant_uuid', 'varchar(36)', (c) =>
      c.notNull().references('auth_tenant.uuid').onDelete('cascade'),
    )
    .addColumn('system_managed', 'boolean', (c) => c.notNull().defaultTo(false))
    .addUniqueConstraint('auth_group_name_tenant', ['name', 'tenant_uuid'])
    .execute();
  await createLowerSlugIndex(db, 'auth_group');

  await db.schema
    .createTable('auth_user_group')
    .addColumn('group_uuid', 'varchar(36)', (c) =>
      c.notNull().references('auth_group.uuid').onDelete('cascade'),
    )
    .addColumn('user_uuid', 'varchar(36)', (c) =>
      c.notNull().references('auth_user.uuid').onDelete('cascade'),
    )
    .addPrimaryKeyConstraint('auth_user_group_pk', ['group_uuid', 'user_uuid'])
    .execute();
  await db.schema
    .createIndex('auth_user_group__idx__user')
    .on('auth_user_group')
    .column('user_uuid')
    .execute();

  await db.schema
    .createTable('auth_policy')
    .addColumn('uuid', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('name', 'varchar(80)', (c) => c.notNull())
    .addColumn('slug', 'varchar(80)', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('tenant_uuid', 'varchar(36)', (c) =>
      c.notNull().references('auth_tenant.uuid').onDelete('cascade'),
    )
    .addColumn('config_managed', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('shared', 'boolean', (c) => c.notNull().defaultTo(false))
    .addUniqueConstraint('auth_policy_name_tenant', ['name', 'tenant_uuid'])
    .execute();
  await createLowerSlugIndex(db, 'auth_policy');

  await db.schema
    .createTable('auth_policy_access')
    .addColumn('policy_uuid', 'varchar(36)', (c) =>
      c.notNull().references('auth_policy.uuid').onDelete('cascade'),
    )
    .addColumn('access', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('auth_policy_access_pk', ['policy_uuid', 'access'])
    .execute();

  for (const [table, owner, ownerTable] of [
    ['auth_group_policy', 'group_uuid', 'auth_group'],
    ['auth_user_policy', 'user_uuid', 'auth_user'],
  ] as const) {
    await db.schema
      .createTable(table)
      .addColumn(owner, 'varchar(36)', (c) =>
        c.notNull().references(`${ownerTable}.uuid`).onDelete('cascade'),
      )
      .addColumn('policy_uuid', 'varchar(36)', (c) =>
        c.notNull().references('auth_policy.uuid').onDelete('cascade'),
      )
      .addPrimaryKeyConstraint(`${table}_pk`, [owner, 'policy_uuid'])
      .execute();
    await db.schema.createIndex(`${table}__idx__policy`).on(table).column('policy_uuid').execute();
  }
}

/** Slugs are unique per tenant, case-insensitively, as in wazo-auth. */
// biome-ignore lint/suspicious/noExplicitAny: see up().
async function createLowerSlugIndex(db: Kysely<any>, table: string): Promise<void> {
  await db.schema
    .createIndex(`${table}__idx__slug_lower_tenant`)
    .unique()
    .on(table)
    .expression(sql`lower(slug), tenant_uuid`)
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up().
async function createSessionsAndTokens(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('auth_session')
    .addColumn('uuid', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('tenant_uuid', 'varchar(36)', (c) =>
      c.notNull().references('auth_tenant.uuid').onDelete('cascade'),
    )
    .addColumn('user_uuid', 'varchar(36)')
    .addColumn('mobile', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('auth_session__idx__tenant').on('auth_session').column('tenant_uuid').execute();
  await db.schema.createIndex('auth_session__idx__user').on('auth_session').column('user_uuid').execute();

  await db.schema
    .createTable('auth_refresh_token')
    .addColumn('uuid', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('token_hash', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('token_ciphertext', 'text')
    .addColumn('client_id', 'varchar(1024)', (c) => c.notNull())
    .addColumn('user_uuid', 'varchar(36)', (c) =>
      c.notNull().references('auth_user.uuid').onDelete('cascade'),
    )
    .addColumn('backend', 'text', (c) => c.notNull())
    .addColumn('login', 'text', (c) => c.notNull())
    .addColumn('user_agent', 'text', (c) => c.notNull())
    .addColumn('remote_addr', 'text', (c) => c.notNull())
    .addColumn('mobile', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('metadata', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint')
    .addUniqueConstraint('auth_refresh_token_client_id_user_uuid', ['client_id', 'user_uuid'])
    .execute();
  await db.schema
    .createIndex('auth_refresh_token__idx__user')
    .on('auth_refresh_token')
    .column('user_uuid')
    .execute();

  await db.schema
    .createTable('auth_token')
    .addColumn('token_hash', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('session_uuid', 'varchar(36)', (c) =>
      c.notNull().references('auth_session.uuid').onDelete('cascade'),
    )
    .addColumn('auth_id', 'text', (c) => c.notNull())
    .addColumn('pbx_user_uuid', 'varchar(36)')
    .addColumn('xivo_uuid', 'text')
    .addColumn('issued_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('expires_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('metadata', 'text', (c) => c.notNull())
    .addColumn('user_agent', 'text', (c) => c.notNull())
    .addColumn('remote_addr', 'text', (c) => c.notNull())
    .addColumn('acl', 'text', (c) => c.notNull())
    .addColumn('refresh_token_uuid', 'varchar(36)', (c) =>
      c.references('auth_refresh_token.uuid').onDelete('set null'),
    )
    .addColumn('expire_soon_notified', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
  await db.schema.createIndex('auth_token__idx__session').on('auth_token').column('session_uuid').execute();
  await db.schema.createIndex('auth_token__idx__expires').on('auth_token').column('expires_at_ms').execute();
  await db.schema
    .createIndex('auth_token__idx__refresh_token')
    .on('auth_token')
    .column('refresh_token_uuid')
    .execute();
}
