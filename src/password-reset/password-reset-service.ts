import type { Logger } from 'pino';
import type { LoginGate } from '../brute-force/login-gate.ts';
import type { PasswordHasher, StoredPassword } from '../crypto/password-hasher.ts';
import { spentToken } from '../emails/email-service.ts';
import { isLinkToken, type LinkTokens } from '../emails/link-tokens.ts';
import { DomainError } from '../errors/domain-error.ts';
import type { MailAddress, Mailer } from '../mail/mailer.ts';
import { renderSubject, renderTemplate } from '../mail/templates.ts';
import type { TenantRepository } from '../tenants/tenant-repository.ts';
import type { SessionRevoker } from '../tokens/session-revoker.ts';
import { isUuid } from '../tokens/token.ts';
import type { TokenCheckService, ValidToken } from '../tokens/token-check-service.ts';
import { unknownUser } from '../users/user.ts';
import type { UserRepository } from '../users/user-repository.ts';
import { checkPasswordLength } from './password-rules.ts';
import type { ResetTarget, ResetTargetRepository } from './reset-target-repository.ts';

export interface PasswordResetDeps {
  targets: ResetTargetRepository;
  users: UserRepository;
  tenants: TenantRepository;
  tokenCheck: TokenCheckService;
  linkTokens: LinkTokens;
  revoker: SessionRevoker;
  hasher: PasswordHasher;
  gate: LoginGate;
  mailer: Mailer;
  log: Logger;
  settings: {
    from: MailAddress;
    publicUrl: string;
    subject: string;
    body: string;
    expirationSeconds: number;
    passwordRules: { minLength: number; maxLength: number };
  };
}

export interface ResetRequest {
  username?: string;
  email?: string;
  login?: string;
}

/** wazo's password_reset plugin (§2.3). */
export class PasswordResetService {
  readonly #deps: PasswordResetDeps;
  /** Mails still being sent; tests wait on them (see idle()). */
  readonly #pending = new Set<Promise<void>>();

  constructor(deps: PasswordResetDeps) {
    this.#deps = deps;
  }

  /**
   * GET /users/password/reset. The answer is the same whoever is asked for (ASVS 6.4.3, A14):
   * the lookup is done before answering, but the token and the mail, which only exist for real
   * users, are made after, so neither the status nor the timing tells whether the account exists.
   * Each request spends one of the client address's failures (429 past the cap), and a login name
   * gets at most brute_force.reset_max_per_login mails per window; past it, 204 and no mail.
   */
  async request(query: ResetRequest, remoteAddr: string): Promise<void> {
    const wanted = exactlyOne(query);
    const mayMail = await this.#deps.gate.countResetRequest(wanted.value, remoteAddr);
    const target = await this.#deps.targets.find(wanted);
    if (!target || !mayMail) {
      this.#deps.log.debug({ limited: !mayMail }, 'password reset requested: no mail sent');
      return;
    }
    const sending = this.#mailReset(target).catch((error: unknown) => {
      this.#deps.log.error({ err: error, user_uuid: target.userUuid }, 'password reset email not sent');
    });
    this.#pending.add(sending);
    void sending.finally(() => this.#pending.delete(sending));
  }

  /** Resolves once every reset email requested so far has been sent or has failed. */
  async idle(): Promise<void> {
    await Promise.all([...this.#pending]);
  }

  /**
   * POST /users/password/reset?user_uuid=: the token (query first, then header) must grant
   * `auth.users.password.reset.{user_uuid}.create`. `null` removes the password. Every check runs
   * before a link token is spent, so a refused request leaves it usable; all sessions end after.
   */
  async reset(tokenValue: string, userUuid: string, password: string | null): Promise<void> {
    const required = `auth.users.password.reset.${userUuid.replaceAll('.', '_')}.create`;
    const token = await this.#deps.tokenCheck.find(tokenValue);
    if (!token) throw unauthorized(required, 'not_found_or_expired');
    if (!token.acl().grants(required)) throw unauthorized(required, 'missing_permission_or_invalid_tenant');
    const user = await this.#deps.users.getLoginCandidate(userUuid);
    if (!user || !(await this.#sees(token, user.tenantUuid))) throw unknownUser(userUuid);
    if (user.effectiveMethod !== 'native') {
      throw new DomainError('password-managed-externally', { details: { uuid: userUuid } });
    }
    const stored = password === null ? null : await this.#hash(password);
    if (!(await this.#deps.linkTokens.redeem(token.record))) throw spentToken(required);
    await this.#deps.users.setPassword(userUuid, stored);
    await this.#deps.revoker.revokeUser(userUuid);
  }

  /** Link tokens are the server's and see every tenant; other tokens only their caller's subtree. */
  async #sees(token: ValidToken, tenantUuid: string): Promise<boolean> {
    const { record } = token;
    if (isLinkToken(record)) return true;
    const caller = isUuid(record.authId) ? await this.#deps.users.getLoginCandidate(record.authId) : null;
    const fromMetadata = record.metadata.tenant_uuid;
    const callerTenant =
      caller?.tenantUuid ?? (typeof fromMetadata === 'string' ? fromMetadata : record.sessionTenantUuid);
    return this.#deps.tenants.isInSubtree(callerTenant, tenantUuid);
  }

  async #hash(password: string): Promise<StoredPassword> {
    checkPasswordLength(password, this.#deps.settings.passwordRules, 'reset');
    return this.#deps.hasher.hash(password);
  }

  async #mailReset(target: ResetTarget): Promise<void> {
    const { settings } = this.#deps;
    const acl = `auth.users.password.reset.${target.userUuid}.create`;
    const token = await this.#deps.linkTokens.issue(acl, settings.expirationSeconds);
    const context = {
      token: token.value,
      username: target.username,
      user_uuid: target.userUuid,
      email_address: target.address,
      public_url: settings.publicUrl,
    };
    try {
      await this.#deps.mailer.send({
        to: { name: target.username, address: target.address },
        from: settings.from,
        subject: renderSubject(settings.subject, context),
        text: renderTemplate(settings.body, context),
      });
    } catch (error) {
      await this.#deps.linkTokens.withdraw(token.digest);
      throw error;
    }
  }
}

/** wazo: exactly one of username, email, login, else 400 invalid-data on resource `reset`. */
function exactlyOne(query: ResetRequest): { by: 'username' | 'email' | 'login'; value: string } {
  const given = (['username', 'email', 'login'] as const).filter((key) => query[key] !== undefined);
  const by = given[0];
  const value = by === undefined ? undefined : query[by];
  if (given.length !== 1 || by === undefined || value === undefined || value === '' || value.length > 512) {
    const message = '"username", "email" or "login" should be used';
    throw new DomainError('invalid-data', {
      message,
      resource: 'reset',
      details: { _schema: [{ constraint_id: 'exactly_one', message }] },
    });
  }
  return { by, value };
}

function unauthorized(requiredAccess: string, reason: string): DomainError {
  return new DomainError('unauthorized', {
    details: { invalid_token: null, reason, required_access: requiredAccess },
  });
}
