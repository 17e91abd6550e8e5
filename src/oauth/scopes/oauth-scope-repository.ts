import type { Db } from '../../storage/database.ts';
import { decodeStringList, encodeJson } from '../../storage/json-codec.ts';
import type { OAuthScopeTable } from '../../storage/tables.ts';

/** A tenant's OAuth scope: a name standing for a set of ACL entries (issue #6 §3). */
export interface OAuthScope {
  uuid: string;
  tenantUuid: string;
  name: string;
  description: string | null;
  acl: string[];
}

export class OAuthScopeRepository {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async listInTenant(tenantUuid: string): Promise<OAuthScope[]> {
    const rows = await this.#db
      .selectFrom('auth_oauth_scope')
      .selectAll()
      .where('tenant_uuid', '=', tenantUuid)
      .orderBy('name')
      .execute();
    return rows.map(toScope);
  }

  /** The scopes of several tenants (a recursive list), ordered by name. */
  async listInTenants(tenantUuids: readonly string[]): Promise<OAuthScope[]> {
    if (tenantUuids.length === 0) return [];
    const rows = await this.#db
      .selectFrom('auth_oauth_scope')
      .selectAll()
      .where('tenant_uuid', 'in', tenantUuids)
      .orderBy('name')
      .orderBy('uuid')
      .execute();
    return rows.map(toScope);
  }

  async findByNames(tenantUuid: string, names: readonly string[]): Promise<OAuthScope[]> {
    if (names.length === 0) return [];
    const rows = await this.#db
      .selectFrom('auth_oauth_scope')
      .selectAll()
      .where('tenant_uuid', '=', tenantUuid)
      .where('name', 'in', names)
      .execute();
    return rows.map(toScope);
  }

  async findByUuid(uuid: string): Promise<OAuthScope | null> {
    const row = await this.#db
      .selectFrom('auth_oauth_scope')
      .selectAll()
      .where('uuid', '=', uuid)
      .executeTakeFirst();
    return row ? toScope(row) : null;
  }

  /** False when the tenant already has a scope of that name. */
  async insert(scope: OAuthScope): Promise<boolean> {
    const result = await this.#db
      .insertInto('auth_oauth_scope')
      .values(toRow(scope))
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async update(scope: OAuthScope): Promise<void> {
    await this.#db
      .updateTable('auth_oauth_scope')
      .set({ description: scope.description, acl: encodeJson(scope.acl) })
      .where('uuid', '=', scope.uuid)
      .execute();
  }

  async delete(uuid: string): Promise<boolean> {
    const result = await this.#db.deleteFrom('auth_oauth_scope').where('uuid', '=', uuid).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }
}

function toScope(row: OAuthScopeTable): OAuthScope {
  return {
    uuid: row.uuid,
    tenantUuid: row.tenant_uuid,
    name: row.name,
    description: row.description,
    acl: decodeStringList(row.acl),
  };
}

function toRow(scope: OAuthScope): OAuthScopeTable {
  return {
    uuid: scope.uuid,
    tenant_uuid: scope.tenantUuid,
    name: scope.name,
    description: scope.description,
    acl: encodeJson(scope.acl),
  };
}
