import { sql } from 'kysely';
import { newId } from '../crypto/token-values.ts';
import type { ListParams, ListResult } from '../http/list-query.ts';
import type { Db } from '../storage/database.ts';
import { paginate } from '../storage/pagination.ts';
import { type ParamOf, PrecompiledQuery } from '../storage/precompiled-query.ts';
import type { Policy, PolicyFilters, PolicyVisibility } from './policy.ts';
import {
  applyFilters,
  countOf,
  insertAcl,
  linkedTo,
  type PolicyQuery,
  toPolicy,
  visible,
} from './policy-queries.ts';

export interface PolicyDefinition {
  tenantUuid: string;
  slug: string;
  description: string | null;
  acl: readonly string[];
  configManaged: boolean;
}

/** Storage of policies, their ACL entries and their links to users and groups. */
export class PolicyRepository {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async findUuidBySlug(tenantUuid: string, slug: string): Promise<string | null> {
    const row = await this.#db
      .selectFrom('auth_policy')
      .select('uuid')
      .where('tenant_uuid', '=', tenantUuid)
      .where('slug', '=', slug)
      .executeTakeFirst();
    return row?.uuid ?? null;
  }

  /** Creates the policy or replaces its description and ACL; idempotent, safe for racing instances. */
  async upsert(definition: PolicyDefinition): Promise<string> {
    await this.#db
      .insertInto('auth_policy')
      .values({
        uuid: newId(),
        name: definition.slug,
        slug: definition.slug,
        description: definition.description,
        tenant_uuid: definition.tenantUuid,
        config_managed: definition.configManaged,
        shared: false,
      })
      .onConflict((oc) => oc.doNothing())
      .execute();
    const uuid = await this.findUuidBySlug(definition.tenantUuid, definition.slug);
    if (!uuid) throw new Error(`policy ${definition.slug} missing after upsert`);
    await this.#db.transaction().execute(async (tx) => {
      await tx
        .updateTable('auth_policy')
        .set({ description: definition.description, config_managed: definition.configManaged })
        .where('uuid', '=', uuid)
        .execute();
      await tx.deleteFrom('auth_policy_access').where('policy_uuid', '=', uuid).execute();
      const entries = [...new Set(definition.acl)];
      if (entries.length > 0) {
        await tx
          .insertInto('auth_policy_access')
          .values(entries.map((access) => ({ policy_uuid: uuid, access })))
          .execute();
      }
    });
    return uuid;
  }

  async attachToGroup(groupUuid: string, policyUuid: string): Promise<void> {
    await this.#db
      .insertInto('auth_group_policy')
      .values({ group_uuid: groupUuid, policy_uuid: policyUuid })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  async detachFromGroup(groupUuid: string, policyUuid: string): Promise<void> {
    await this.#db
      .deleteFrom('auth_group_policy')
      .where('group_uuid', '=', groupUuid)
      .where('policy_uuid', '=', policyUuid)
      .execute();
  }

  async attachToUser(userUuid: string, policyUuid: string): Promise<void> {
    await this.#db
      .insertInto('auth_user_policy')
      .values({ user_uuid: userUuid, policy_uuid: policyUuid })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  /**
   * The ACL a new token of this user gets (wazo §3.2 step 8): the top tenant's default user policy
   * (by slug), then the policies of every group of the user, then the user's own policies,
   * concatenated in that order. One statement, because every login pays for it (issue #4: it took five).
   */
  async effectiveAcl(userUuid: string, defaultPolicySlug: string | null): Promise<string[]> {
    const rows = defaultPolicySlug
      ? await ACL_WITH_DEFAULT.execute(this.#db, { userUuid, defaultPolicySlug })
      : await ACL_WITHOUT_DEFAULT.execute(this.#db, { userUuid, defaultPolicySlug: '' });
    return rows.map((r) => r.access);
  }

  async detachFromUser(userUuid: string, policyUuid: string): Promise<void> {
    await this.#db
      .deleteFrom('auth_user_policy')
      .where('user_uuid', '=', userUuid)
      .where('policy_uuid', '=', policyUuid)
      .execute();
  }

  /** The tenant and its ancestors up to the top one (whose shared policies it inherits). */
  async lineOf(tenantUuid: string): Promise<string[]> {
    const rows = await this.#db
      .withRecursive('line(uuid, parent_uuid, depth)', (db) =>
        db
          .selectFrom('auth_tenant')
          .select(['uuid', 'parent_uuid', sql<number>`0`.as('depth')])
          .where('uuid', '=', tenantUuid)
          .unionAll(
            db
              .selectFrom('auth_tenant as parent')
              .innerJoin('line', 'line.parent_uuid', 'parent.uuid')
              .whereRef('line.uuid', '!=', 'line.parent_uuid')
              .where('line.depth', '<', 1000)
              .select(['parent.uuid', 'parent.parent_uuid', sql<number>`line.depth + 1`.as('depth')]),
          ),
      )
      .selectFrom('line')
      .select('uuid')
      .execute();
    return rows.map((r) => r.uuid);
  }

  /** A visible policy by uuid or by slug (slugs compare exactly, as in wazo). */
  async find(key: { uuid: string } | { slug: string }, visibility: PolicyVisibility): Promise<Policy | null> {
    let query = this.#db.selectFrom('auth_policy').where((eb) => visible(eb, visibility));
    query = 'uuid' in key ? query.where('uuid', '=', key.uuid) : query.where('slug', '=', key.slug);
    const row = await query.selectAll().orderBy('uuid').executeTakeFirst();
    if (!row) return null;
    const acl = await this.#aclOf([row.uuid]);
    return toPolicy(row, acl.get(row.uuid) ?? []);
  }

  /**
   * wazo's policy lists: `total` counts the visible policies (of `scope`'s user or group when given),
   * `filtered` applies the exact filters and `search` (name, description).
   */
  async list(
    visibility: PolicyVisibility,
    filters: PolicyFilters,
    params: ListParams,
    scope: { userUuid?: string; groupUuid?: string } = {},
  ): Promise<ListResult<Policy>> {
    let scoped: PolicyQuery = this.#db.selectFrom('auth_policy').where((eb) => visible(eb, visibility));
    if (scope.userUuid !== undefined) scoped = scoped.where((eb) => linkedTo(eb, 'user', scope.userUuid!));
    if (scope.groupUuid !== undefined) scoped = scoped.where((eb) => linkedTo(eb, 'group', scope.groupUuid!));
    const filtered = applyFilters(scoped, filters, params.search, visibility);
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
    const acl = await this.#aclOf(rows.map((r) => r.uuid));
    return { total, filtered: count, items: rows.map((r) => toPolicy(r, acl.get(r.uuid) ?? [])) };
  }

  async slugTaken(tenantUuid: string, slug: string): Promise<boolean> {
    return this.#exists(this.#db.selectFrom('auth_policy').where('tenant_uuid', '=', tenantUuid), {
      name: null,
      slug,
    });
  }

  /** Whether a policy of `tenantUuids` (only shared ones when asked) has this name or slug. */
  async nameOrSlugTaken(
    tenantUuids: readonly string[],
    key: { name: string | null; slug: string },
    sharedOnly: boolean,
  ): Promise<boolean> {
    if (tenantUuids.length === 0) return false;
    let query = this.#db.selectFrom('auth_policy').where('tenant_uuid', 'in', tenantUuids);
    if (sharedOnly) query = query.where('shared', '=', true);
    return this.#exists(query, key);
  }

  async #exists(query: PolicyQuery, key: { name: string | null; slug: string }): Promise<boolean> {
    const slug = key.slug.toLowerCase();
    const row = await query
      .select('uuid')
      .where((eb) =>
        eb.or([eb(sql`lower(slug)`, '=', slug), ...(key.name === null ? [] : [eb('name', '=', key.name)])]),
      )
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Inserts the policy and its ACL at once; a taken name or slug is the driver's unique violation. */
  async insert(policy: Policy): Promise<void> {
    await this.#db.transaction().execute(async (tx) => {
      await tx
        .insertInto('auth_policy')
        .values({
          uuid: policy.uuid,
          name: policy.name,
          slug: policy.slug,
          description: policy.description,
          tenant_uuid: policy.tenantUuid,
          config_managed: policy.configManaged,
          shared: policy.shared,
        })
        .execute();
      await insertAcl(tx, policy.uuid, policy.acl);
    });
  }

  /** PUT: replaces name, description and ACL together. */
  async update(uuid: string, fields: { name: string; description: string | null; acl: readonly string[] }) {
    await this.#db.transaction().execute(async (tx) => {
      await tx
        .updateTable('auth_policy')
        .set({ name: fields.name, description: fields.description })
        .where('uuid', '=', uuid)
        .execute();
      await tx.deleteFrom('auth_policy_access').where('policy_uuid', '=', uuid).execute();
      await insertAcl(tx, uuid, fields.acl);
    });
  }

  async delete(uuid: string): Promise<void> {
    await this.#db.deleteFrom('auth_policy').where('uuid', '=', uuid).execute();
  }

  /** Adds one access; false when the policy already had it. */
  async addAccess(uuid: string, access: string): Promise<boolean> {
    const result = await this.#db
      .insertInto('auth_policy_access')
      .values({ policy_uuid: uuid, access })
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  async removeAccess(uuid: string, access: string): Promise<void> {
    await this.#db
      .deleteFrom('auth_policy_access')
      .where('policy_uuid', '=', uuid)
      .where('access', '=', access)
      .execute();
  }

  async #aclOf(policyUuids: string[]): Promise<Map<string, string[]>> {
    const byPolicy = new Map<string, string[]>();
    if (policyUuids.length === 0) return byPolicy;
    const rows = await this.#db
      .selectFrom('auth_policy_access')
      .select(['policy_uuid', 'access'])
      .where('policy_uuid', 'in', policyUuids)
      .orderBy('access')
      .execute();
    for (const row of rows)
      byPolicy.set(row.policy_uuid, [...(byPolicy.get(row.policy_uuid) ?? []), row.access]);
    return byPolicy;
  }
}

/** The parts of a user's ACL; compiled once per shape (storage/precompiled-query.ts). */
function aclQuery(withDefault: boolean) {
  return (db: Db, p: ParamOf<{ userUuid: string; defaultPolicySlug: string }>) => {
    const viaGroups = db
      .selectFrom('auth_user_group as ug')
      .innerJoin('auth_group_policy as gp', 'gp.group_uuid', 'ug.group_uuid')
      .innerJoin('auth_policy_access as pa', 'pa.policy_uuid', 'gp.policy_uuid')
      .select([sql<number>`1`.as('part'), 'gp.group_uuid as owner', 'pa.access'])
      .where('ug.user_uuid', '=', p('userUuid'));
    const direct = db
      .selectFrom('auth_user_policy as up')
      .innerJoin('auth_policy_access as pa', 'pa.policy_uuid', 'up.policy_uuid')
      .select([sql<number>`2`.as('part'), 'up.policy_uuid as owner', 'pa.access'])
      .where('up.user_uuid', '=', p('userUuid'));
    const defaults = db
      .selectFrom('auth_policy as p')
      .innerJoin('auth_tenant as t', 't.uuid', 'p.tenant_uuid')
      .innerJoin('auth_policy_access as pa', 'pa.policy_uuid', 'p.uuid')
      .select([sql<number>`0`.as('part'), 'p.uuid as owner', 'pa.access'])
      .whereRef('t.uuid', '=', 't.parent_uuid')
      .where('p.slug', '=', p('defaultPolicySlug'));
    const parts = withDefault ? defaults.unionAll(viaGroups).unionAll(direct) : viaGroups.unionAll(direct);
    return db
      .selectFrom(parts.as('acl'))
      .select('acl.access')
      .orderBy('acl.part')
      .orderBy('acl.owner')
      .orderBy('acl.access');
  };
}

const ACL_WITH_DEFAULT = new PrecompiledQuery(aclQuery(true));
const ACL_WITHOUT_DEFAULT = new PrecompiledQuery(aclQuery(false));

/** The ACL reads, for the test that compares them with their builder versions. */
export const ACL_STATEMENTS = { ACL_WITH_DEFAULT, ACL_WITHOUT_DEFAULT };
