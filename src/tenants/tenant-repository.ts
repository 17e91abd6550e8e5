import { sql } from 'kysely';
import type { Db } from '../storage/database.ts';
import { uniqueViolation } from '../storage/db-errors.ts';

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
