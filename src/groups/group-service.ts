import { newId } from '../crypto/token-values.ts';
import { DomainError } from '../errors/domain-error.ts';
import type { AuthContext } from '../http/auth-context.ts';
import type { ListParams, ListResult } from '../http/list-query.ts';
import { uniqueViolation } from '../storage/db-errors.ts';
import type { TenantRepository } from '../tenants/tenant-repository.ts';
import { type User, type UserFilters, unknownUser } from '../users/user.ts';
import type { UserRepository } from '../users/user-repository.ts';
import { duplicateGroup, forbiddenGroup, type Group, type GroupFilters, unknownGroup } from './group.ts';
import type { GroupRepository } from './group-repository.ts';
import { chooseSlug } from './slug.ts';

export interface GroupServiceDeps {
  groups: GroupRepository;
  users: UserRepository;
  tenants: TenantRepository;
}

/**
 * Groups and memberships (wazo §2.6). Groups are looked up in the scoping tenant's subtree (404
 * outside it); the system-managed all-users groups cannot be edited, deleted or have members changed.
 */
export class GroupService {
  readonly #deps: GroupServiceDeps;

  constructor(deps: GroupServiceDeps) {
    this.#deps = deps;
  }

  async list(auth: AuthContext, query: ListParams & GroupFilters): Promise<ListResult<Group>> {
    const tenants = query.recurse ? await this.#visible(auth) : [auth.tenantUuid];
    return this.#deps.groups.list(tenants, query, query);
  }

  async get(auth: AuthContext, uuid: string): Promise<Group> {
    const group = await this.#deps.groups.get(uuid, await this.#visible(auth));
    if (!group) throw unknownGroup(uuid);
    return group;
  }

  async create(auth: AuthContext, input: { name: string; slug?: string }): Promise<Group> {
    const tenantUuid = auth.tenantUuid;
    const slug = await chooseSlug(input.slug, input.name, (s) => this.#deps.groups.slugTaken(tenantUuid, s));
    const group: Group = { uuid: newId(), name: input.name, slug, tenantUuid, systemManaged: false };
    await translateConflicts(input.name, () => this.#deps.groups.insert(group));
    return group;
  }

  /** PUT replaces the name only: the slug is immutable (wazo §2.6). */
  async update(auth: AuthContext, uuid: string, input: { name: string }): Promise<Group> {
    const group = await this.#editable(auth, uuid);
    await translateConflicts(input.name, () => this.#deps.groups.rename(uuid, input.name));
    return { ...group, name: input.name };
  }

  async delete(auth: AuthContext, uuid: string): Promise<void> {
    await this.#editable(auth, uuid);
    await this.#deps.groups.delete(uuid);
  }

  async listUsers(
    auth: AuthContext,
    uuid: string,
    query: ListParams & UserFilters,
  ): Promise<ListResult<User>> {
    await this.get(auth, uuid);
    const visible = await this.#visible(auth);
    const members = await this.#deps.users.list(visible, { ...query, group_uuid: uuid }, query);
    const count = { order: query.order, direction: query.direction, limit: 0, offset: 0, recurse: false };
    const all = await this.#deps.users.list(visible, { group_uuid: uuid }, count);
    return { ...members, total: all.filtered };
  }

  async listUserGroups(auth: AuthContext, userUuid: string, query: ListParams & GroupFilters) {
    const visible = await this.#visible(auth);
    if (!(await this.#deps.users.get(userUuid, visible))) throw unknownUser(userUuid);
    return this.#deps.groups.list(visible, query, query, { userUuid });
  }

  /** Idempotent; a user may only join a group of its own tenant (wazo's `missmatching-tenant`). */
  async addUser(auth: AuthContext, groupUuid: string, userUuid: string): Promise<void> {
    const { group, user } = await this.#membership(auth, groupUuid, userUuid);
    if (user.tenantUuid !== group.tenantUuid) {
      throw new DomainError('missmatching-tenant', {
        details: { user_tenant_uuid: user.tenantUuid, group_tenant_uuid: group.tenantUuid },
      });
    }
    await this.#deps.groups.addUser(groupUuid, userUuid);
  }

  async removeUser(auth: AuthContext, groupUuid: string, userUuid: string): Promise<void> {
    await this.#membership(auth, groupUuid, userUuid);
    await this.#deps.groups.removeUser(groupUuid, userUuid);
  }

  async #membership(auth: AuthContext, groupUuid: string, userUuid: string) {
    const visible = await this.#visible(auth);
    const group = await this.#deps.groups.get(groupUuid, visible);
    if (!group) throw unknownGroup(groupUuid);
    const user = await this.#deps.users.get(userUuid, visible);
    if (!user) throw unknownUser(userUuid);
    if (group.systemManaged) throw forbiddenGroup(groupUuid);
    return { group, user };
  }

  async #editable(auth: AuthContext, uuid: string): Promise<Group> {
    const group = await this.get(auth, uuid);
    if (group.systemManaged) throw forbiddenGroup(uuid);
    return group;
  }

  #visible(auth: AuthContext): Promise<string[]> {
    return this.#deps.tenants.subtree(auth.tenantUuid);
  }
}

async function translateConflicts(name: string, write: () => Promise<void>): Promise<void> {
  try {
    await write();
  } catch (error) {
    if (uniqueViolation(error) === null) throw error;
    throw duplicateGroup(name);
  }
}
