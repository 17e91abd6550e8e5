import { type ExpressionBuilder, type SelectQueryBuilder, sql } from 'kysely';
import { type ListParams, searchPattern } from '../http/list-query.ts';
import type { Db } from '../storage/database.ts';
import { paginate } from '../storage/pagination.ts';
import type { DatabaseSchema } from '../storage/tables.ts';
import { ADDRESS_FIELDS, type Address, type TenantDetails, type TenantFilters } from './tenant.ts';

type TenantQuery = SelectQueryBuilder<DatabaseSchema, 'auth_tenant', object>;

/** Reads of the full tenant object (wazo §2.5): the row, its domain names, its address, its live contact. */
export class TenantListRepository {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async get(uuid: string): Promise<TenantDetails | null> {
    const [tenant] = await this.#details(
      this.#db.selectFrom('auth_tenant').where('auth_tenant.uuid', '=', uuid),
    );
    return tenant ?? null;
  }

  async list(tenantUuids: readonly string[], filters: TenantFilters, params: ListParams) {
    if (tenantUuids.length === 0) return { total: 0, filtered: 0, items: [] as TenantDetails[] };
    const scoped = this.#db.selectFrom('auth_tenant').where('auth_tenant.uuid', 'in', tenantUuids);
    const filtered = applyFilters(scoped, filters, params.search);
    const [total, count, items] = await Promise.all([
      countOf(scoped),
      countOf(filtered),
      this.#details(filtered, params),
    ]);
    return { total, filtered: count, items };
  }

  async domainsOf(tenantUuid: string): Promise<{ name: string; uuid: string }[]> {
    return this.#db
      .selectFrom('auth_tenant_domain')
      .select(['name', 'uuid'])
      .where('tenant_uuid', '=', tenantUuid)
      .orderBy('name')
      .execute();
  }

  /**
   * Sorted like wazo's PostgreSQL: nulls after the values going up and before them going down, on
   * both engines (SQLite would put them first). A contact whose user is gone reads as null.
   */
  async #details(query: TenantQuery, params?: ListParams): Promise<TenantDetails[]> {
    const column = (params?.order ?? 'name') as 'name' | 'slug';
    const direction = params?.direction ?? 'asc';
    const rows = await paginate(
      query
        .leftJoin('auth_address as a', 'a.tenant_uuid', 'auth_tenant.uuid')
        .leftJoin('auth_user as contact', 'contact.uuid', 'auth_tenant.contact_uuid')
        .select([
          'auth_tenant.uuid',
          'auth_tenant.parent_uuid',
          'auth_tenant.name',
          'auth_tenant.slug',
          'auth_tenant.phone',
          'auth_tenant.default_authentication_method',
          'contact.uuid as contact_uuid',
          ...ADDRESS_FIELDS.map((f) => `a.${f}` as const),
        ])
        .orderBy(sql`case when ${sql.ref(`auth_tenant.${column}`)} is null then 1 else 0 end`, direction)
        .orderBy(`auth_tenant.${column}`, direction)
        .orderBy('auth_tenant.uuid'),
      params ?? { offset: 0 },
    ).execute();
    const domains = await this.#domainNamesOf(rows.map((r) => r.uuid));
    return rows.map((row) => ({
      uuid: row.uuid,
      parentUuid: row.parent_uuid,
      name: row.name,
      slug: row.slug,
      contactUuid: row.contact_uuid ?? null,
      phone: row.phone,
      domainNames: domains.get(row.uuid) ?? [],
      defaultAuthenticationMethod: row.default_authentication_method,
      address: Object.fromEntries(ADDRESS_FIELDS.map((f) => [f, row[f] ?? null])) as unknown as Address,
    }));
  }

  async #domainNamesOf(tenantUuids: string[]): Promise<Map<string, string[]>> {
    const byTenant = new Map<string, string[]>();
    if (tenantUuids.length === 0) return byTenant;
    const rows = await this.#db
      .selectFrom('auth_tenant_domain')
      .select(['tenant_uuid', 'name'])
      .where('tenant_uuid', 'in', tenantUuids)
      .orderBy('name')
      .execute();
    for (const row of rows)
      byTenant.set(row.tenant_uuid, [...(byTenant.get(row.tenant_uuid) ?? []), row.name]);
    return byTenant;
  }
}

function applyFilters(query: TenantQuery, filters: TenantFilters, search: string | undefined): TenantQuery {
  let q = query;
  for (const column of ['uuid', 'name', 'slug'] as const) {
    const value = filters[column];
    if (value !== undefined) q = q.where(`auth_tenant.${column}`, '=', value);
  }
  if (filters.uuids !== undefined) {
    if (filters.uuids.length === 0) return q.where(sql<boolean>`1 = 0`);
    q = q.where('auth_tenant.uuid', 'in', filters.uuids);
  }
  if (filters.domain_name !== undefined) {
    const name = filters.domain_name;
    q = q.where((eb) => eb.exists(domainsOfRow(eb).where('d.name', '=', name)));
  }
  if (search !== undefined && search !== '') {
    const pattern = searchPattern(search);
    const like = (column: string) => sql<boolean>`lower(${sql.ref(column)}) like ${pattern} escape '\\'`;
    q = q.where((eb) =>
      eb.or([
        like('auth_tenant.name'),
        like('auth_tenant.slug'),
        eb.exists(domainsOfRow(eb).where(like('d.name'))),
      ]),
    );
  }
  return q;
}

/** The domain rows of the tenant row being filtered, for EXISTS conditions. */
function domainsOfRow(eb: ExpressionBuilder<DatabaseSchema, 'auth_tenant'>) {
  return eb
    .selectFrom('auth_tenant_domain as d')
    .select('d.uuid')
    .whereRef('d.tenant_uuid', '=', 'auth_tenant.uuid');
}

async function countOf(query: TenantQuery): Promise<number> {
  const row = await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}
