import { type Expression, type ExpressionBuilder, type SelectQueryBuilder, type SqlBool, sql } from 'kysely';
import { searchPattern } from '../http/list-query.ts';
import type { Db } from '../storage/database.ts';
import { type DatabaseSchema, toBool } from '../storage/tables.ts';
import type { Policy, PolicyFilters, PolicyVisibility } from './policy.ts';

/** The SQL pieces of policy-repository.ts: visibility, filters and row mapping. */

export type PolicyQuery = SelectQueryBuilder<DatabaseSchema, 'auth_policy', object>;
type PolicyExpressions = ExpressionBuilder<DatabaseSchema, 'auth_policy'>;
type PolicyRow = DatabaseSchema['auth_policy'];

export async function insertAcl(tx: Db, policyUuid: string, acl: readonly string[]): Promise<void> {
  const entries = [...new Set(acl)];
  if (entries.length === 0) return;
  await tx
    .insertInto('auth_policy_access')
    .values(entries.map((access) => ({ policy_uuid: policyUuid, access })))
    .execute();
}

/** Own tenants' policies, every config-managed one, and those shared along the tenant's line. */
export function visible(eb: PolicyExpressions, visibility: PolicyVisibility): Expression<SqlBool> {
  const conditions: Expression<SqlBool>[] = [eb('config_managed', '=', true)];
  if (visibility.tenantUuids.length > 0) conditions.push(eb('tenant_uuid', 'in', visibility.tenantUuids));
  if (visibility.line.length > 0) {
    conditions.push(eb.and([eb('shared', '=', true), eb('tenant_uuid', 'in', visibility.line)]));
  }
  return eb.or(conditions);
}

/** The policies rendered read-only: config-managed, or inherited from outside `tenantUuids`. */
export function readOnly(
  eb: PolicyExpressions,
  visibility: PolicyVisibility,
  wanted: boolean,
): Expression<SqlBool> {
  const own =
    visibility.tenantUuids.length > 0 ? eb('tenant_uuid', 'in', visibility.tenantUuids) : sql<SqlBool>`1 = 0`;
  return wanted
    ? eb.or([eb('config_managed', '=', true), eb.not(own)])
    : eb.and([eb('config_managed', '=', false), own]);
}

export function linkedTo(eb: PolicyExpressions, owner: 'user' | 'group', uuid: string): Expression<SqlBool> {
  if (owner === 'user') {
    return eb.exists(
      eb
        .selectFrom('auth_user_policy as up')
        .select('up.policy_uuid')
        .whereRef('up.policy_uuid', '=', 'auth_policy.uuid')
        .where('up.user_uuid', '=', uuid),
    );
  }
  return eb.exists(
    eb
      .selectFrom('auth_group_policy as gp')
      .select('gp.policy_uuid')
      .whereRef('gp.policy_uuid', '=', 'auth_policy.uuid')
      .where('gp.group_uuid', '=', uuid),
  );
}

export function applyFilters(
  query: PolicyQuery,
  filters: PolicyFilters,
  search: string | undefined,
  visibility: PolicyVisibility,
): PolicyQuery {
  let q = query;
  for (const column of ['uuid', 'name', 'slug', 'tenant_uuid'] as const) {
    const value = filters[column];
    if (value !== undefined) q = q.where(column, '=', value);
  }
  const { user_uuid, group_uuid, read_only } = filters;
  if (user_uuid !== undefined) q = q.where((eb) => linkedTo(eb, 'user', user_uuid));
  if (group_uuid !== undefined) q = q.where((eb) => linkedTo(eb, 'group', group_uuid));
  if (read_only !== undefined) q = q.where((eb) => readOnly(eb, visibility, read_only));
  if (search !== undefined && search !== '') {
    const pattern = searchPattern(search);
    q = q.where(
      sql<boolean>`(lower(name) like ${pattern} escape '\\' or lower(coalesce(description, '')) like ${pattern} escape '\\')`,
    );
  }
  return q;
}

export async function countOf(query: PolicyQuery): Promise<number> {
  const row = await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

export function toPolicy(row: PolicyRow, acl: string[]): Policy {
  return {
    uuid: row.uuid,
    tenantUuid: row.tenant_uuid,
    name: row.name,
    slug: row.slug,
    description: row.description,
    acl,
    configManaged: toBool(row.config_managed),
    shared: toBool(row.shared),
  };
}
