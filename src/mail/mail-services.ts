import type { Logger } from 'pino';
import type { LoginGate } from '../brute-force/login-gate.ts';
import type { Config } from '../config/config-schema.ts';
import type { PasswordHasher } from '../crypto/password-hasher.ts';
import { EmailRepository } from '../emails/email-repository.ts';
import { EmailService } from '../emails/email-service.ts';
import { LinkTokens } from '../emails/link-tokens.ts';
import type { GroupRepository } from '../groups/group-repository.ts';
import { PasswordResetService } from '../password-reset/password-reset-service.ts';
import { ResetTargetRepository } from '../password-reset/reset-target-repository.ts';
import { RegistrationService } from '../registration/registration-service.ts';
import type { Db } from '../storage/database.ts';
import type { TenantRepository } from '../tenants/tenant-repository.ts';
import type { TenantService } from '../tenants/tenant-service.ts';
import type { SessionRevoker } from '../tokens/session-revoker.ts';
import type { TokenCheckService } from '../tokens/token-check-service.ts';
import type { TokenRepository } from '../tokens/token-repository.ts';
import type { UserRepository } from '../users/user-repository.ts';
import type { Mailer } from './mailer.ts';
import { SmtpMailer } from './smtp-mailer.ts';

export interface MailServicesDeps {
  config: Readonly<Config>;
  db: Db;
  users: UserRepository;
  groups: GroupRepository;
  tenants: TenantRepository;
  /** Registration creates its tenant as POST /tenants does. */
  tenantService: TenantService;
  tokens: TokenRepository;
  revoker: SessionRevoker;
  tokenCheck: TokenCheckService;
  hasher: PasswordHasher;
  /** Password-reset requests are counted by the brute-force gate. */
  loginGate: LoginGate;
  log: Logger;
  now: () => number;
  /** Replaces SMTP (tests of failure paths); SMTP from config otherwise. */
  mailer?: Mailer;
}

/**
 * The part of the composition root for what sends mail: emails, password reset, registration.
 * Called from container.ts only; it keeps the wiring of these three features in one place.
 */
export function buildMailServices(deps: MailServicesDeps) {
  const { config, users, tenants, hasher, log, now } = deps;
  const mailer = deps.mailer ?? new SmtpMailer({ ...config.smtp, timeoutMs: config.smtp.timeout_ms });
  const from = { name: config.smtp.from_name || null, address: config.smtp.from_address };
  const publicUrl = publicUrlOf(config);
  const passwordRules = { minLength: config.passwords.min_length, maxLength: config.passwords.max_length };
  const emails = new EmailRepository(deps.db);
  const linkTokens = new LinkTokens({
    tokens: deps.tokens,
    revoker: deps.revoker,
    topTenantUuid: async () => {
      const top = await tenants.findTop();
      if (!top) throw new Error('top tenant missing');
      return top.uuid;
    },
    now,
  });
  const { email_confirmation: confirmation, password_reset: reset } = config;
  const emailService = new EmailService({
    emails,
    users,
    tenants,
    linkTokens,
    mailer,
    log,
    settings: {
      from,
      publicUrl,
      confirmation: { ...confirmation, expirationSeconds: confirmation.expiration_seconds },
    },
  });
  return {
    mailer,
    emailService,
    passwordResetService: new PasswordResetService({
      targets: new ResetTargetRepository(deps.db),
      users,
      tenants,
      tokenCheck: deps.tokenCheck,
      linkTokens,
      revoker: deps.revoker,
      hasher,
      gate: deps.loginGate,
      mailer,
      log,
      settings: { from, publicUrl, ...reset, expirationSeconds: reset.expiration_seconds, passwordRules },
    }),
    registrationService: new RegistrationService({
      tenantService: deps.tenantService,
      users,
      emails,
      groups: deps.groups,
      tenants,
      emailService,
      hasher,
      now,
      passwordRules,
    }),
  };
}

/** Links in emails never come from request headers (a forged Host would poison reset links). */
function publicUrlOf(config: Readonly<Config>): string {
  const configured = config.public_url?.replace(/\/+$/, '');
  if (configured !== undefined && !/^https?:\/\/[^\s/]+(\/\S*)?$/.test(configured)) {
    throw new Error(`public_url must be an http(s) URL, got ${JSON.stringify(config.public_url)}`);
  }
  return configured ?? `http://${config.host}:${config.port}${config.http.path_prefix}`;
}
