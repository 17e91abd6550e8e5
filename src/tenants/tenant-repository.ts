import { sql } from 'kysely';
import { newId } from '../crypto/token-values.ts';
import type { Db } from '../storage/database.ts';
import { uniqueViolation } from '../storage/db-errors.ts';
import type { NewTenant, TenantFields } from './tenant.ts';

export interface Tenant {
  uuid: string;
  name: string | null;
  slug: string;
  parentUuid: string;
  defaultAuthenticationMethod: string;
}

/** The top tenant is the row that is its own parent, as in wazo-auth. */
export const TOP_TENANT_SLUG = 'master';

export class TenantRepository {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async get(uuid: string): Promise<Tenant | null> {
    const row = await this.#db
      .selectFrom('auth_tenant')
      .selectAll()
      .where('uuid', '=', uuid)
      .executeTakeFirst();
    return row ? toTenant(row) : null;
  }

  async findTop(): Promise<Tenant | null> {
    const row = await this.#db
      .selectFrom('auth_tenant')
      .selectAll()
      .whereRef('uuid', '=', 'parent_uuid')
      .executeTakeFirst();
    return row ? toTenant(row) : null;
  }

  /**
   * Creates the top tenant unless one exists. Two instances starting together race here; the
   * unique slug lets exactly one insert win and the other reads the winner.
   */
  async ensureTop(uuid: string, nowMs: number): Promise<Tenant> {
    const existing = await this.findTop();
    if (existing) return existing;
    try {
      await this.#db
        .insertInto('auth_tenant')
        .values({
          uuid,
          name: TOP_TENANT_SLUG,
          slug: TOP_TENANT_SLUG,
          phone: null,
          contact_uuid: null,
          parent_uuid: uuid,
          default_authentication_method: 'native',
          created_at: nowMs,
        })
        .execute();
    } catch (error) {
      if (!uniqueViolation(error)) throw error;
    }
    const top = await this.findTop();
    if (!top) throw new Error('top tenant missing after creation');
    return top;
  }

  /** Inserts the tenant with its domain names and address, all or nothing. */
  async insert(tenant: NewTenant): Promise<void> {
    await this.#db.transaction().execute(async (tx) => {
      await tx
        .insertInto('auth_tenant')
        .values({
          uuid: tenant.uuid,
          name: tenant.name,
          slug: tenant.slug,
          phone: tenant.phone,
          contact_uuid: tenant.contactUuid,
          parent_uuid: tenant.parentUuid,
          default_authentication_method: tenant.defaultAuthenticationMethod,
          created_at: tenant.createdAtMs,
        })
        .execute();
      await writeDetails(tx, tenant.uuid, tenant);
    });
  }

  /** Replaces every editable field, domain names and address included (PUT, wazo §1.7). */
  async update(uuid: string, fields: TenantFields): Promise<void> {
    await this.#db.transaction().execute(async (tx) => {
      await tx
        .updateTable('auth_tenant')
        .set({
          name: fields.name,
          phone: fields.phone,
          contact_uuid: fields.contactUuid,
          default_authentication_method: fields.defaultAuthenticationMethod,
        })
        .where('uuid', '=', uuid)
        .execute();
      await tx.deleteFrom('auth_tenant_domain').where('tenant_uuid', '=', uuid).execute();
      await tx.deleteFrom('auth_address').where('tenant_uuid', '=', uuid).execute();
      await writeDetails(tx, uuid, fields);
    });
  }

  /** Deletes a tenant without children; what it owns goes by cascade. False when nothing was deleted. */
  async deleteLeaf(uuid: string): Promise<boolean> {
    const result = await this.#db
      .deleteFrom('auth_tenant')
      .where('uuid', '=', uuid)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('auth_tenant as child')
              .select('child.uuid')
              .where('child.parent_uuid', '=', uuid)
              .whereRef('child.uuid', '!=', 'child.parent_uuid'),
          ),
        ),
      )
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async hasChildren(uuid: string): Promise<boolean> {
    const row = await this.#db
      .selectFrom('auth_tenant')
      .select('uuid')
      .where('parent_uuid', '=', uuid)
      .where('uuid', '!=', uuid)
      .executeTakeFirst();
    return row !== undefined;
  }

  async slugExists(slug: string): Promise<boolean> {
    const row = await this.#db
      .selectFrom('auth_tenant')
      .select('uuid')
      .where('slug', '=', slug)
      .executeTakeFirst();
    return row !== undefined;
  }

  /**
   * Moves the tenant under a new parent unless that parent is the tenant or one of its descendants
   * (returns false then). Every move first locks the top tenant's row, so two concurrent moves are
   * serialized and can never build a cycle together.
   */
  async reparent(uuid: string, parentUuid: string): Promise<boolean> {
    return this.#db.transaction().execute(async (tx) => {
      await tx
        .updateTable('auth_tenant')
        .set((eb) => ({ parent_uuid: eb.ref('parent_uuid') }))
        .whereRef('uuid', '=', 'parent_uuid')
        .execute();
      if (await new TenantRepository(tx).isInSubtree(uuid, parentUuid)) return false;
      await tx.updateTable('auth_tenant').set({ parent_uuid: parentUuid }).where('uuid', '=', uuid).execute();
      return true;
    });
  }

  async allUuids(): Promise<string[]> {
    const rows = await this.#db.selectFrom('auth_tenant').select('uuid').orderBy('created_at').execute();
    return rows.map((r) => r.uuid);
  }

  /**
   * Returns the uuid of the tenant's ordinary (not system-managed) group `slug`, creating it if
   * needed; used for the configured default groups (wazo §4.3). Idempotent across instances.
   */
  async ensureDefaultGroup(tenantUuid: string, slug: string): Promise<string> {
    await this.#db
      .insertInto('auth_group')
      .values({ uuid: newId(), name: slug, slug, tenant_uuid: tenantUuid, system_managed: false })
      .onConflict((oc) => oc.doNothing())
      .execute();
    const row = await this.#db
      .selectFrom('auth_group')
      .select('uuid')
      .where('tenant_uuid', '=', tenantUuid)
      .where(sql<string>`lower(slug)`, '=', slug.toLowerCase())
      .executeTakeFirstOrThrow();
    return row.uuid;
  }

  /** The tenant and all its descendants (wazo's "visible tenants"). */
  async subtree(rootUuid: string): Promise<string[]> {
    const rows = await this.#db
      .withRecursive('visible(uuid)', (db) =>
        db
          .selectFrom('auth_tenant')
          .select('uuid')
          .where('uuid', '=', rootUuid)
          .unionAll(
            db
              .selectFrom('auth_tenant as child')
              .innerJoin('visible', 'visible.uuid', 'child.parent_uuid')
              .whereRef('child.uuid', '!=', 'child.parent_uuid')
              .select('child.uuid'),
          ),
      )
      .selectFrom('visible')
      .select('uuid')
      .execute();
    return rows.map((r) => r.uuid);
  }

  /** Whether `candidateUuid` is `rootUuid` or one of its descendants, walking up from the candidate. */
  async isInSubtree(rootUuid: string, candidateUuid: string): Promise<boolean> {
    const row = await this.#db
      .withRecursive('ancestors(uuid, parent_uuid, depth)', (db) =>
        db
          .selectFrom('auth_tenant')
          .select(['uuid', 'parent_uuid', sql<number>`0`.as('depth')])
          .where('uuid', '=', candidateUuid)
          .unionAll(
            db
              .selectFrom('auth_tenant as parent')
              .innerJoin('ancestors', 'ancestors.parent_uuid', 'parent.uuid')
              .whereRef('ancestors.uuid', '!=', 'ancestors.parent_uuid')
              .where('ancestors.depth', '<', 1000)
              .select(['parent.uuid', 'parent.parent_uuid', sql<number>`ancestors.depth + 1`.as('depth')]),
          ),
      )
      .selectFrom('ancestors')
      .select('uuid')
      .where('uuid', '=', rootUuid)
      .executeTakeFirst();
    return row !== undefined;
  }
}

function toTenant(row: {
  uuid: string;
  name: string | null;
  slug: string;
  parent_uuid: string;
  default_authentication_method: string;
}): Tenant {
  return {
    uuid: row.uuid,
    name: row.name,
    slug: row.slug,
    parentUuid: row.parent_uuid,
    defaultAuthenticationMethod: row.default_authentication_method,
  };
}

/** Writes the domain names and, when any field is set, the address of a tenant. */
async function writeDetails(
  tx: Db,
  tenantUuid: string,
  fields: Pick<TenantFields, 'domainNames' | 'address'>,
) {
  if (fields.domainNames.length > 0) {
    await tx
      .insertInto('auth_tenant_domain')
      .values(fields.domainNames.map((name) => ({ uuid: newId(), tenant_uuid: tenantUuid, name })))
      .execute();
  }
  if (Object.values(fields.address).some((v) => v !== null)) {
    await tx
      .insertInto('auth_address')
      .values({ tenant_uuid: tenantUuid, ...fields.address })
      .execute();
  }
}
