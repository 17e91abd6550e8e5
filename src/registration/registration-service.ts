import type { PasswordHasher } from '../crypto/password-hasher.ts';
import { newId } from '../crypto/token-values.ts';
import type { EmailRepository } from '../emails/email-repository.ts';
import type { EmailService } from '../emails/email-service.ts';
import { DomainError } from '../errors/domain-error.ts';
import type { GroupRepository } from '../groups/group-repository.ts';
import { checkPasswordLength } from '../password-reset/password-rules.ts';
import { uniqueViolation } from '../storage/db-errors.ts';
import type { TenantRepository } from '../tenants/tenant-repository.ts';
import type { TenantScope, TenantService } from '../tenants/tenant-service.ts';
import type { User } from '../users/user.ts';
import type { UserRepository } from '../users/user-repository.ts';

export interface RegistrationDeps {
  /** Creates the user's tenant as POST /tenants does: default groups, policies, auth_tenant_added. */
  tenantService: Pick<TenantService, 'create' | 'delete'>;
  users: UserRepository;
  emails: EmailRepository;
  groups: GroupRepository;
  tenants: TenantRepository;
  emailService: EmailService;
  hasher: PasswordHasher;
  now: () => number;
  passwordRules: { minLength: number; maxLength: number };
}

export interface Registration {
  username: string;
  password: string;
  email_address: string;
  firstname?: string | null;
  lastname?: string | null;
}

/** wazo's user_registration plugin (§2.3), off unless `user_registration_enabled`. */
export class RegistrationService {
  readonly #deps: RegistrationDeps;

  constructor(deps: RegistrationDeps) {
    this.#deps = deps;
  }

  /**
   * A new tenant named after the user, the user in it (email main but unconfirmed), then the
   * confirmation email. If anything after the tenant fails, both are removed (the tenant through
   * the service, so auth_tenant_deleted follows the auth_tenant_added) and the error stands.
   */
  async register(input: Registration): Promise<User> {
    await this.#refuseTakenLogin('username', input.username);
    await this.#refuseTakenLogin('email_address', input.email_address);
    checkPasswordLength(input.password, this.#deps.passwordRules, 'users');
    const password = await this.#deps.hasher.hash(input.password);
    const top = await this.#deps.tenants.findTop();
    if (!top) throw new Error('top tenant missing');
    // A child of the top tenant, created as the top tenant itself would (wazo §2.3).
    const scope: TenantScope = { tenantUuid: top.uuid, callerTenantUuid: top.uuid };
    const { uuid: tenantUuid } = await this.#deps.tenantService.create(scope, { name: input.username });
    const userUuid = newId();
    const emailUuid = newId();
    const now = this.#deps.now();
    try {
      const groupUuid = await this.#deps.groups.ensureAllUsersGroup(tenantUuid);
      await this.#insertUser(input, { tenantUuid, userUuid, emailUuid, now, password, groupUuid });
      const target = { emailUuid, address: input.email_address, userUuid, username: input.username };
      await this.#deps.emailService.sendConfirmation(target);
    } catch (error) {
      await this.#deps.users.delete(userUuid);
      await this.#deps.tenantService.delete(scope, tenantUuid);
      throw error;
    }
    const user = await this.#deps.users.get(userUuid, [tenantUuid]);
    if (!user) throw new Error('registered user vanished');
    return user;
  }

  async #insertUser(
    input: Registration,
    ids: {
      tenantUuid: string;
      userUuid: string;
      emailUuid: string;
      now: number;
      password: Awaited<ReturnType<PasswordHasher['hash']>>;
      groupUuid: string;
    },
  ): Promise<void> {
    try {
      await this.#deps.users.insert(
        {
          uuid: ids.userUuid,
          username: input.username,
          firstname: input.firstname ?? null,
          lastname: input.lastname ?? null,
          purpose: 'user',
          authenticationMethod: 'default',
          enabled: true,
          tenantUuid: ids.tenantUuid,
          password: ids.password,
          email: { uuid: ids.emailUuid, address: input.email_address, main: true, confirmed: false },
          createdAtMs: ids.now,
        },
        ids.groupUuid,
      );
    } catch (error) {
      const violated = uniqueViolation(error);
      if (violated === null) throw error;
      throw conflict(/username/.test(violated) ? 'username' : 'email_address', 'already exists');
    }
  }

  async #refuseTakenLogin(field: 'username' | 'email_address', value: string): Promise<void> {
    if (await this.#deps.emails.isSomeoneElsesLogin(value, null)) {
      throw conflict(field, `The login "${value}" is already used`);
    }
  }
}

function conflict(field: string, message: string): DomainError {
  return new DomainError('conflict', {
    resource: 'users',
    details: { [field]: { constraint_id: 'unique', message } },
  });
}
