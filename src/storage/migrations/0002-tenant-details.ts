import type { Kysely } from 'kysely';

/**
 * Tenant details of wazo §2.5: domain names (globally unique, used to find a tenant by domain) and
 * one postal address per tenant. wazo keys addresses by a serial id; one row per tenant is all it
 * ever uses, so the tenant uuid is the key here. Both go with their tenant.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the evolving table types.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('auth_tenant_domain')
    .addColumn('uuid', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('tenant_uuid', 'varchar(36)', (c) =>
      c.notNull().references('auth_tenant.uuid').onDelete('cascade'),
    )
    .addColumn('name', 'varchar(253)', (c) => c.notNull())
    .addUniqueConstraint('auth_tenant_domain_name_key', ['name'])
    .execute();
  await db.schema
    .createIndex('auth_tenant_domain__idx__tenant')
    .on('auth_tenant_domain')
    .column('tenant_uuid')
    .execute();

  await db.schema
    .createTable('auth_address')
    .addColumn('tenant_uuid', 'varchar(36)', (c) =>
      c.primaryKey().references('auth_tenant.uuid').onDelete('cascade'),
    )
    .addColumn('line_1', 'text')
    .addColumn('line_2', 'text')
    .addColumn('city', 'text')
    .addColumn('state', 'text')
    .addColumn('country', 'text')
    .addColumn('zip_code', 'text')
    .execute();
}
