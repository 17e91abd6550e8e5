import { randomBytes } from 'node:crypto';
import type { Db } from '../storage/database.ts';

/**
 * The tenant a self-registered user gets (wazo §2.3: named after the username, child of the top
 * tenant). TODO(#3): go through the tenant service once it exists, so the tenant's default groups
 * and policies and the auth_tenant_added event come with it.
 */
export class RegistrationRepository {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async createTenant(tenant: {
    uuid: string;
    name: string;
    parentUuid: string;
    nowMs: number;
  }): Promise<void> {
    await this.#db
      .insertInto('auth_tenant')
      .values({
        uuid: tenant.uuid,
        name: tenant.name,
        slug: slugFor(tenant.name),
        phone: null,
        contact_uuid: null,
        parent_uuid: tenant.parentUuid,
        default_authentication_method: 'native',
        created_at: tenant.nowMs,
      })
      .execute();
  }

  async deleteTenant(uuid: string): Promise<void> {
    await this.#db.deleteFrom('auth_tenant').where('uuid', '=', uuid).execute();
  }
}

/** Slugs are unique and `[A-Za-z0-9_]`: the name's usable characters plus a random suffix. */
function slugFor(name: string): string {
  const base = name.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 60) || 'tenant';
  return `${base}_${randomBytes(4).toString('hex')}`;
}
