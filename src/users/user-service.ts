import type { PasswordHasher, StoredPassword } from '../crypto/password-hasher.ts';
import { newId } from '../crypto/token-values.ts';
import { DomainError } from '../errors/domain-error.ts';
import type { GroupRepository } from '../groups/group-repository.ts';
import type { AuthContext } from '../http/auth-context.ts';
import type { ListParams } from '../http/list-query.ts';
import { uniqueViolation } from '../storage/db-errors.ts';
import type { TenantRepository } from '../tenants/tenant-repository.ts';
import type { SessionRevoker } from '../tokens/session-revoker.ts';
import {
  defaultAuthenticationMethod,
  type Purpose,
  type User,
  type UserFields,
  type UserFilters,
  unknownUser,
} from './user.ts';
import type { UserRepository } from './user-repository.ts';

export interface UserServiceDeps {
  users: UserRepository;
  groups: GroupRepository;
  tenants: TenantRepository;
  hasher: PasswordHasher;
  revoker: SessionRevoker;
  now: () => number;
  passwordRules: { minLength: number; maxLength: number };
}

export interface UserInput {
  username?: string | null;
  firstname?: string | null;
  lastname?: string | null;
  purpose?: Purpose;
  authentication_method?: string;
  enabled?: boolean;
}

export interface NewUserInput extends UserInput {
  uuid?: string;
  password?: string | null;
  email_address?: string | null;
}

/** Users as far as tokens need them (wazo §2.2); the rest of identity management is issue #3. */
export class UserService {
  readonly #deps: UserServiceDeps;

  constructor(deps: UserServiceDeps) {
    this.#deps = deps;
  }

  async list(auth: AuthContext, query: ListParams & UserFilters) {
    const tenantUuids = query.recurse ? await this.#deps.tenants.subtree(auth.tenantUuid) : [auth.tenantUuid];
    return this.#deps.users.list(tenantUuids, query, query);
  }

  async get(auth: AuthContext, uuid: string): Promise<User> {
    const user = await this.#deps.users.get(uuid, await this.#deps.tenants.subtree(auth.tenantUuid));
    if (!user) throw unknownUser(uuid);
    return user;
  }

  async create(auth: AuthContext, input: NewUserInput): Promise<User> {
    return this.createInTenant(auth.tenantUuid, input);
  }

  /** Creates the user in `tenantUuid` (the API's scoping tenant, or the one the CLI operator names). */
  async createInTenant(tenantUuid: string, input: NewUserInput): Promise<User> {
    const fields = toFields(input);
    await this.#refuseUsernameThatIsAnEmail(fields.username);
    const password = input.password ? await this.#hashNew(input.password) : null;
    const uuid = input.uuid?.toLowerCase() ?? newId();
    const email = input.email_address
      ? { uuid: newId(), address: input.email_address, main: true, confirmed: true }
      : null;
    const groupUuid = await this.#deps.groups.ensureAllUsersGroup(tenantUuid);
    await this.#translateConflicts(() =>
      this.#deps.users.insert(
        { ...fields, uuid, tenantUuid, password, email, createdAtMs: this.#deps.now() },
        groupUuid,
      ),
    );
    const user = await this.#deps.users.get(uuid, [tenantUuid]);
    if (!user) throw unknownUser(uuid);
    return user;
  }

  /** The user whose uuid, else whose username (case-insensitively), is `ref`, in any tenant (CLI). */
  async findAnywhere(ref: string): Promise<User> {
    const everyTenant = await this.#everyTenant();
    const byUuid = await this.#deps.users.get(ref.toLowerCase(), everyTenant);
    if (byUuid) return byUuid;
    const uuid = await this.#deps.users.findUuidByUsername(ref);
    const byName = uuid ? await this.#deps.users.get(uuid, everyTenant) : null;
    if (!byName) throw unknownUser(ref);
    return byName;
  }

  /** The users of one tenant, or of every tenant, by username (the operator's CLI). */
  async listForOperator(tenantUuid: string | null) {
    const tenantUuids = tenantUuid ? [tenantUuid] : await this.#everyTenant();
    const params = { order: 'username', direction: 'asc', offset: 0, recurse: false } as const;
    return this.#deps.users.list(tenantUuids, {}, params);
  }

  /** Disables the user and ends its sessions, as a PUT with `enabled: false` does; returns how many. */
  async disable(uuid: string): Promise<number> {
    await this.#deps.users.setEnabled(uuid, false);
    return (await this.#deps.revoker.revokeUser(uuid)).length;
  }

  /** Sets a new password (within the password rules) and ends the user's sessions; returns how many. */
  async setPassword(uuid: string, password: string): Promise<number> {
    await this.#deps.users.setPassword(uuid, await this.#hashNew(password));
    return (await this.#deps.revoker.revokeUser(uuid)).length;
  }

  async #everyTenant(): Promise<string[]> {
    const top = await this.#deps.tenants.findTop();
    return top ? this.#deps.tenants.subtree(top.uuid) : [];
  }

  /** PUT is a full replacement; disabling a user ends all its sessions (wazo 26.02). */
  async update(auth: AuthContext, uuid: string, input: UserInput): Promise<User> {
    const current = await this.get(auth, uuid);
    const fields = toFields(input);
    if (fields.username?.toLowerCase() !== current.username?.toLowerCase()) {
      await this.#refuseUsernameThatIsAnEmail(fields.username);
    }
    await this.#translateConflicts(() => this.#deps.users.update(uuid, fields));
    if (!fields.enabled) await this.#deps.revoker.revokeUser(uuid);
    return this.get(auth, uuid);
  }

  /** Decision D15: deleting a user also ends its sessions at once (wazo-auth leaves them alive). */
  async delete(auth: AuthContext, uuid: string): Promise<void> {
    await this.get(auth, uuid);
    await this.#deps.revoker.revokeUser(uuid);
    if (!(await this.#deps.users.delete(uuid))) throw unknownUser(uuid);
    // A login racing the delete may have added a session in between; end it too.
    await this.#deps.revoker.revokeUser(uuid);
  }

  /**
   * wazo §2.2: checks the old password against the user's login, refuses users whose password lives
   * elsewhere (405), and ends every session on success.
   */
  async changePassword(
    auth: AuthContext,
    uuid: string,
    oldPassword: string,
    newPassword: string,
  ): Promise<void> {
    // wazo-auth looks the user up in every tenant here; Gatehouse keeps other tenants' users
    // invisible (404) like every other route, so the answer cannot confirm they exist (S-TEN-1).
    await this.get(auth, uuid);
    const user = await this.#deps.users.getLoginCandidate(uuid);
    if (!user) throw unknownUser(uuid);
    if (user.effectiveMethod !== 'native') {
      throw new DomainError('password-managed-externally', { details: { uuid } });
    }
    const login = await this.#deps.users.loginOf(uuid);
    const verdict = await this.#deps.hasher.verify(oldPassword, login ? user.password : null);
    if (!verdict.ok) throw new DomainError('wrong-old-password');
    await this.#deps.users.setPassword(uuid, await this.#hashNew(newPassword));
    await this.#deps.revoker.revokeUser(uuid);
  }

  async #hashNew(password: string): Promise<StoredPassword> {
    const { minLength, maxLength } = this.#deps.passwordRules;
    if (password.length < minLength || password.length > maxLength) {
      throw new DomainError('invalid-data', {
        resource: 'users',
        details: {
          password: {
            constraint_id: 'length',
            constraint: { min: minLength, max: maxLength },
            message: `Length must be between ${minLength} and ${maxLength}.`,
          },
        },
      });
    }
    return this.#deps.hasher.hash(password);
  }

  async #refuseUsernameThatIsAnEmail(username: string | null): Promise<void> {
    if (username && (await this.#deps.users.usernameIsSomeonesEmail(username))) {
      throw conflict('username', 'this username is already used as an email address');
    }
  }

  async #translateConflicts(write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (error) {
      const violated = uniqueViolation(error);
      if (violated === null) throw error;
      throw conflict(conflictingField(violated), 'already exists');
    }
  }
}

function toFields(input: UserInput): UserFields {
  const purpose = input.purpose ?? 'user';
  return {
    username: input.username ?? null,
    firstname: input.firstname ?? null,
    lastname: input.lastname ?? null,
    purpose,
    authenticationMethod: input.authentication_method ?? defaultAuthenticationMethod(purpose),
    enabled: input.enabled ?? true,
  };
}

function conflictingField(violated: string): string {
  if (/username/.test(violated)) return 'username';
  if (/address|email/.test(violated)) return 'email_address';
  return 'uuid';
}

function conflict(field: string, message: string): DomainError {
  return new DomainError('conflict', {
    resource: 'users',
    details: { [field]: { constraint_id: 'unique', message } },
  });
}
