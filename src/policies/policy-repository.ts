import { newId } from '../crypto/token-values.ts';
import type { Db } from '../storage/database.ts';

export interface PolicyDefinition {
  tenantUuid: string;
  slug: string;
  description: string | null;
  acl: readonly string[];
  configManaged: boolean;
}

/** Storage of policies and their links as far as token issuing needs them (the API is issue #3). */
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
   * The ACL a new token of this user gets (wazo §3.2 step 8): the default user policy, then the
   * policies of every group of the user, then the user's own policies, concatenated.
   */
  async effectiveAcl(userUuid: string, defaultPolicyUuid: string | null): Promise<string[]> {
    const [defaults, viaGroups, direct] = await Promise.all([
      defaultPolicyUuid ? this.#accessOf([defaultPolicyUuid]) : Promise.resolve([]),
      this.#db
        .selectFrom('auth_user_group as ug')
        .innerJoin('auth_group_policy as gp', 'gp.group_uuid', 'ug.group_uuid')
        .innerJoin('auth_policy_access as pa', 'pa.policy_uuid', 'gp.policy_uuid')
        .select('pa.access')
        .where('ug.user_uuid', '=', userUuid)
        .orderBy('gp.group_uuid')
        .orderBy('pa.access')
        .execute(),
      this.#db
        .selectFrom('auth_user_policy as up')
        .innerJoin('auth_policy_access as pa', 'pa.policy_uuid', 'up.policy_uuid')
        .select('pa.access')
        .where('up.user_uuid', '=', userUuid)
        .orderBy('up.policy_uuid')
        .orderBy('pa.access')
        .execute(),
    ]);
    return [...defaults, ...viaGroups.map((r) => r.access), ...direct.map((r) => r.access)];
  }

  async #accessOf(policyUuids: string[]): Promise<string[]> {
    const rows = await this.#db
      .selectFrom('auth_policy_access')
      .select('access')
      .where('policy_uuid', 'in', policyUuids)
      .orderBy('access')
      .execute();
    return rows.map((r) => r.access);
  }
}
