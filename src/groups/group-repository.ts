import { type ExpressionBuilder, type SelectQueryBuilder, sql } from 'kysely';
import { newId } from '../crypto/token-values.ts';
import { type ListParams, type ListResult, searchPattern } from '../http/list-query.ts';
import type { Db } from '../storage/database.ts';
import { paginate } from '../storage/pagination.ts';
import { type DatabaseSchema, toBool } from '../storage/tables.ts';
import type { Group, GroupFilters } from './group.ts';

type GroupQuery = SelectQueryBuilder<DatabaseSchema, 'auth_group', object>;
type GroupRow = DatabaseSchema['auth_group'];

/** Every tenant has this system-managed group, and every user of the tenant belongs to it (wazo §4.3). */
export function allUsersGroupSlug(tenantUuid: string): string {
  return `wazo-all-users-tenant-${tenantUuid}`;
}

/** Storage of groups, memberships and group ↔ policy links. */
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

  /** A group by uuid, only if its tenant is one of `tenantUuids`. */
  async get(uuid: string, tenantUuids: readonly string[]): Promise<Group | null> {
    if (tenantUuids.length === 0) return null;
    const row = await this.#db
      .selectFrom('auth_group')
      .selectAll()
      .where('uuid', '=', uuid)
      .where('tenant_uuid', 'in', tenantUuids)
      .executeTakeFirst();
    return row ? toGroup(row) : null;
  }

  async slugTaken(tenantUuid: string, slug: string): Promise<boolean> {
    const row = await this.#db
      .selectFrom('auth_group')
      .select('uuid')
      .where('tenant_uuid', '=', tenantUuid)
      .where(sql`lower(slug)`, '=', slug.toLowerCase())
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Inserts a group; a taken name or slug surfaces as the driver's unique violation. */
  async insert(group: Group): Promise<void> {
    await this.#db
      .insertInto('auth_group')
      .values({
        uuid: group.uuid,
        name: group.name,
        slug: group.slug,
        tenant_uuid: group.tenantUuid,
        system_managed: group.systemManaged,
      })
      .execute();
  }

  async rename(uuid: string, name: string): Promise<void> {
    await this.#db.updateTable('auth_group').set({ name }).where('uuid', '=', uuid).execute();
  }

  async delete(uuid: string): Promise<void> {
    await this.#db.deleteFrom('auth_group').where('uuid', '=', uuid).execute();
  }

  async addUser(groupUuid: string, userUuid: string): Promise<void> {
    await this.#db
      .insertInto('auth_user_group')
      .values({ group_uuid: groupUuid, user_uuid: userUuid })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  async removeUser(groupUuid: string, userUuid: string): Promise<void> {
    await this.#db
      .deleteFrom('auth_user_group')
      .where('group_uuid', '=', groupUuid)
      .where('user_uuid', '=', userUuid)
      .execute();
  }

  /**
   * wazo's group list: `total` counts the groups of `tenantUuids` (and of `scope.userUuid`, for
   * GET /users/{uuid}/groups), `filtered` applies the exact filters and `search` (over the name).
   */
  async list(
    tenantUuids: readonly string[],
    filters: GroupFilters,
    params: ListParams,
    scope: { userUuid?: string } = {},
  ): Promise<ListResult<Group>> {
    if (tenantUuids.length === 0) return { total: 0, filtered: 0, items: [] };
    let scoped: GroupQuery = this.#db.selectFrom('auth_group').where('tenant_uuid', 'in', tenantUuids);
    if (scope.userUuid !== undefined) {
      const userUuid = scope.userUuid;
      scoped = scoped.where((eb) => hasMember(eb, userUuid));
    }
    const filtered = applyFilters(scoped, filters, params.search);
    const [total, count, rows] = await Promise.all([
      countOf(scoped),
      countOf(filtered),
      paginate(
        filtered
          .selectAll()
          .orderBy(params.order as 'name', params.direction)
          .orderBy('uuid'),
        params,
      ).execute(),
    ]);
    return { total, filtered: count, items: rows.map(toGroup) };
  }
}

type GroupExpressions = ExpressionBuilder<DatabaseSchema, 'auth_group'>;

function hasMember(eb: GroupExpressions, userUuid: string) {
  return eb.exists(
    eb
      .selectFrom('auth_user_group as ug')
      .select('ug.group_uuid')
      .whereRef('ug.group_uuid', '=', 'auth_group.uuid')
      .where('ug.user_uuid', '=', userUuid),
  );
}

function hasPolicy(eb: GroupExpressions, column: 'uuid' | 'slug', value: string) {
  return eb.exists(
    eb
      .selectFrom('auth_group_policy as gp')
      .innerJoin('auth_policy as p', 'p.uuid', 'gp.policy_uuid')
      .select('gp.group_uuid')
      .whereRef('gp.group_uuid', '=', 'auth_group.uuid')
      .where(`p.${column}`, '=', value),
  );
}

function applyFilters(query: GroupQuery, filters: GroupFilters, search: string | undefined): GroupQuery {
  let q = query;
  for (const column of ['uuid', 'name', 'slug'] as const) {
    const value = filters[column];
    if (value !== undefined) q = q.where(column, '=', value);
  }
  const { user_uuid, read_only, policy_uuid, policy_slug } = filters;
  if (read_only !== undefined) q = q.where('system_managed', '=', read_only);
  if (user_uuid !== undefined) q = q.where((eb) => hasMember(eb, user_uuid));
  if (policy_uuid !== undefined) q = q.where((eb) => hasPolicy(eb, 'uuid', policy_uuid));
  if (policy_slug !== undefined) q = q.where((eb) => hasPolicy(eb, 'slug', policy_slug));
  if (search !== undefined && search !== '') {
    q = q.where(sql<boolean>`lower(name) like ${searchPattern(search)} escape '\\'`);
  }
  return q;
}

async function countOf(query: GroupQuery): Promise<number> {
  const row = await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

function toGroup(row: GroupRow): Group {
  return {
    uuid: row.uuid,
    name: row.name,
    slug: row.slug,
    tenantUuid: row.tenant_uuid,
    systemManaged: toBool(row.system_managed),
  };
}
