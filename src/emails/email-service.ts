import type { Logger } from 'pino';
import { newId } from '../crypto/token-values.ts';
import { DomainError } from '../errors/domain-error.ts';
import type { AuthContext } from '../http/auth-context.ts';
import type { MailAddress, Mailer } from '../mail/mailer.ts';
import { renderSubject, renderTemplate } from '../mail/templates.ts';
import { uniqueViolation } from '../storage/db-errors.ts';
import type { TenantRepository } from '../tenants/tenant-repository.ts';
import type { AccessToken } from '../tokens/token.ts';
import { unknownUser } from '../users/user.ts';
import type { UserRepository } from '../users/user-repository.ts';
import { type EmailInput, type EmailRow, loginTaken, planEmails, unknownEmail } from './email.ts';
import type { EmailRepository } from './email-repository.ts';
import type { LinkTokens } from './link-tokens.ts';

export interface MailTemplates {
  subject: string;
  body: string;
}

export interface EmailServiceDeps {
  emails: EmailRepository;
  users: UserRepository;
  tenants: TenantRepository;
  linkTokens: LinkTokens;
  mailer: Mailer;
  log: Logger;
  settings: {
    from: MailAddress;
    publicUrl: string;
    confirmation: MailTemplates & { expirationSeconds: number };
  };
}

/** Who a confirmation email goes to. */
export interface ConfirmationTarget {
  emailUuid: string;
  address: string;
  userUuid: string;
  username: string | null;
}

/** wazo's user_email and email_confirm plugins (§2.4). */
export class EmailService {
  readonly #deps: EmailServiceDeps;

  constructor(deps: EmailServiceDeps) {
    this.#deps = deps;
  }

  /** PUT /users/{u}/emails and its admin variant (only the admin one may set `confirmed`). */
  async replace(auth: AuthContext, userUuid: string, input: readonly EmailInput[]): Promise<EmailRow[]> {
    const user = await this.#deps.users.get(userUuid, await this.#deps.tenants.subtree(auth.tenantUuid));
    if (!user) throw unknownUser(userUuid);
    const planned = planEmails(await this.#deps.emails.listOf(userUuid), input, newId);
    for (const email of planned) {
      if (await this.#deps.emails.isSomeoneElsesLogin(email.address, userUuid))
        throw loginTaken(email.address);
    }
    try {
      await this.#deps.emails.replace(userUuid, planned);
    } catch (error) {
      // Another user took one of the addresses between the check and the write.
      if (uniqueViolation(error) === null) throw error;
      throw loginTaken(planned.map((e) => e.address).join(', '));
    }
    return this.#deps.emails.listOf(userUuid);
  }

  /** GET /users/{u}/emails/{e}/confirm: mails a new confirmation link (404 unknown, 409 confirmed). */
  async resend(auth: AuthContext, userUuid: string, emailUuid: string): Promise<void> {
    const user = await this.#deps.users.get(userUuid, await this.#deps.tenants.subtree(auth.tenantUuid));
    if (!user) throw unknownUser(userUuid);
    const email = await this.#deps.emails.find(emailUuid);
    if (!email || email.userUuid !== userUuid) throw unknownEmail(emailUuid);
    if (email.confirmed) {
      // wazo's EmailAlreadyConfirmedException: 409 `conflict` on resource `emails`.
      throw new DomainError('conflict', {
        message: `This email already confirmed: "${emailUuid}"`,
        resource: 'emails',
        details: { uuid: emailUuid },
      });
    }
    await this.sendConfirmation({ emailUuid, address: email.address, userUuid, username: user.username });
  }

  /**
   * Mails a single-use confirmation link. When the mail cannot go, the link token is withdrawn
   * and the caller gets `mail-delivery-failed`.
   */
  async sendConfirmation(target: ConfirmationTarget): Promise<void> {
    const { confirmation, from, publicUrl } = this.#deps.settings;
    const acl = `auth.emails.${target.emailUuid}.confirm.edit`;
    const token = await this.#deps.linkTokens.issue(acl, confirmation.expirationSeconds);
    const context = {
      token: token.value,
      username: target.username,
      user_uuid: target.userUuid,
      email_uuid: target.emailUuid,
      email_address: target.address,
      public_url: publicUrl,
    };
    try {
      await this.#deps.mailer.send({
        to: { name: target.username, address: target.address },
        from,
        subject: renderSubject(confirmation.subject, context),
        text: renderTemplate(confirmation.body, context),
      });
    } catch (error) {
      this.#deps.log.error({ err: error, email_uuid: target.emailUuid }, 'confirmation email not sent');
      await this.#deps.linkTokens.withdraw(token.digest);
      throw new DomainError('mail-delivery-failed');
    }
  }

  /**
   * PUT and GET /emails/{e}/confirm. The address must be visible from the caller's tenant (link
   * tokens live in the top tenant, so theirs always is); a link token is spent before confirming.
   */
  async confirm(auth: AuthContext, emailUuid: string): Promise<void> {
    const email = await this.#deps.emails.find(emailUuid);
    const visible = email && (await this.#deps.tenants.isInSubtree(auth.tenantUuid, email.tenantUuid));
    if (!visible) throw unknownEmail(emailUuid);
    await this.#spend(auth.token, `auth.emails.${emailUuid}.confirm.update`);
    if (!(await this.#deps.emails.confirm(emailUuid))) throw unknownEmail(emailUuid);
  }

  async #spend(token: AccessToken, requiredAccess: string): Promise<void> {
    if (!(await this.#deps.linkTokens.redeem(token))) throw spentToken(requiredAccess);
  }
}

/** The answer a request gets when a concurrent one spent the same link token first. */
export function spentToken(requiredAccess: string): DomainError {
  return new DomainError('unauthorized', {
    details: { invalid_token: null, reason: 'not_found_or_expired', required_access: requiredAccess },
  });
}
