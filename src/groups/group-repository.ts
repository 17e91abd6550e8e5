import { newId } from '../crypto/token-values.ts';
import type { Db } from '../storage/database.ts';

/** Every tenant has this system-managed group, and every user of the tenant belongs to it (wazo §4.3). */
export function allUsersGroupSlug(tenantUuid: string): string {
  return `wazo-all-users-tenant-${tenantUuid}`;
}

/** Storage of groups and memberships as far as token issuing needs them (the API is issue #3). */
export class GroupRepository {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** Returns the tenant's all-users group, creating it if needed (idempotent across instances). */
  async ensureAllUsersGroup(tenantUuid: string): Promise<string> {
    const slug = allUsersGroupSlug(tenantUuid);
    await this.#db
      .insertInto('auth_group')
      .values({ uuid: newId(), name: slug, slug, tenant_uuid: tenantUuid, system_managed: true })
      .onConflict((oc) => oc.doNothing())
      .execute();
    const row = await this.#db
      .selectFrom('auth_group')
      .select('uuid')
      .where('tenant_uuid', '=', tenantUuid)
      .where('slug', '=', slug)
      .executeTakeFirstOrThrow();
    return row.uuid;
  }

  async listAllUsersGroups(): Promise<string[]> {
    const rows = await this.#db
      .selectFrom('auth_group')
      .select('uuid')
      .where('slug', 'like', 'wazo-all-users-tenant-%')
      .where('system_managed', '=', true)
      .execute();
    return rows.map((r) => r.uuid);
  }
}
