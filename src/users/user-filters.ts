import type { Expression, ExpressionBuilder, SelectQueryBuilder, SqlBool } from 'kysely';
import type { DatabaseSchema } from '../storage/tables.ts';
import type { UserFilters } from './user.ts';

type UserQuery = SelectQueryBuilder<DatabaseSchema, 'auth_user', object>;
type UserExpressions = ExpressionBuilder<DatabaseSchema, 'auth_user'>;
type PolicyKey = { column: 'uuid' | 'slug'; value: string };

/**
 * The association filters of GET /users (wazo §2.2): `group_uuid`, `policy_uuid`/`policy_slug`
 * (the user's own policies only) and `has_policy_uuid`/`has_policy_slug` (own or through a group).
 * Each is an EXISTS on the link tables, so a user never appears twice and counts stay exact.
 */
export function applyAssociationFilters(query: UserQuery, filters: UserFilters): UserQuery {
  let q = query;
  const groupUuid = filters.group_uuid;
  if (groupUuid !== undefined) q = q.where((eb) => memberOf(eb, groupUuid));
  for (const key of directPolicyKeys(filters)) q = q.where((eb) => hasDirectPolicy(eb, key));
  for (const key of anyPolicyKeys(filters)) {
    q = q.where((eb) => eb.or([hasDirectPolicy(eb, key), hasPolicyThroughGroup(eb, key)]));
  }
  return q;
}

function directPolicyKeys(filters: UserFilters): PolicyKey[] {
  return policyKeys(filters.policy_uuid, filters.policy_slug);
}

function anyPolicyKeys(filters: UserFilters): PolicyKey[] {
  return policyKeys(filters.has_policy_uuid, filters.has_policy_slug);
}

function policyKeys(uuid: string | undefined, slug: string | undefined): PolicyKey[] {
  const keys: PolicyKey[] = [];
  if (uuid !== undefined) keys.push({ column: 'uuid', value: uuid });
  if (slug !== undefined) keys.push({ column: 'slug', value: slug });
  return keys;
}

function memberOf(eb: UserExpressions, groupUuid: string): Expression<SqlBool> {
  return eb.exists(
    eb
      .selectFrom('auth_user_group as ug')
      .select('ug.user_uuid')
      .whereRef('ug.user_uuid', '=', 'auth_user.uuid')
      .where('ug.group_uuid', '=', groupUuid),
  );
}

function hasDirectPolicy(eb: UserExpressions, key: PolicyKey): Expression<SqlBool> {
  return eb.exists(
    eb
      .selectFrom('auth_user_policy as up')
      .innerJoin('auth_policy as p', 'p.uuid', 'up.policy_uuid')
      .select('up.user_uuid')
      .whereRef('up.user_uuid', '=', 'auth_user.uuid')
      .where(`p.${key.column}`, '=', key.value),
  );
}

function hasPolicyThroughGroup(eb: UserExpressions, key: PolicyKey): Expression<SqlBool> {
  return eb.exists(
    eb
      .selectFrom('auth_user_group as ug')
      .innerJoin('auth_group_policy as gp', 'gp.group_uuid', 'ug.group_uuid')
      .innerJoin('auth_policy as p', 'p.uuid', 'gp.policy_uuid')
      .select('ug.user_uuid')
      .whereRef('ug.user_uuid', '=', 'auth_user.uuid')
      .where(`p.${key.column}`, '=', key.value),
  );
}
