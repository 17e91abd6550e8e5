import type { Logger } from 'pino';
import { intersectAcl } from '../acl/acl-intersection.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { digestToken, newSessionId, newTokenValue, redactToken } from '../crypto/token-values.ts';
import { DomainError } from '../errors/domain-error.ts';
import { sessionCreated } from '../events/auth-events.ts';
import type { EventSink } from '../events/event-sink.ts';
import type { PolicyRepository } from '../policies/policy-repository.ts';
import type { TenantRepository } from '../tenants/tenant-repository.ts';
import type { Authenticator, LoginAttempt, Principal } from './authenticator.ts';
import type { RefreshTokenIssuer } from './refresh-token-issuer.ts';
import type { SessionRepository } from './session-repository.ts';
import type { AccessToken } from './token.ts';
import type { TokenRepository } from './token-repository.ts';

export interface TokenServiceDeps {
  authenticator: Authenticator;
  refreshTokenIssuer: RefreshTokenIssuer;
  tokens: TokenRepository;
  sessions: SessionRepository;
  policies: PolicyRepository;
  tenants: TenantRepository;
  events: EventSink;
  log: Logger;
  audit: AuditLog;
  now: () => number;
  settings: {
    xivoUuid: string | null;
    defaultLifetimeSeconds: number;
    maxUserSessions: number;
    defaultUserPolicy: string | null;
  };
}

export interface TokenCreation extends LoginAttempt {
  mobile: boolean;
}

export interface IssuedToken {
  token: string;
  record: AccessToken;
  refreshToken?: string;
  sessionsRevoked: number;
}

/** POST /token (wazo §3.2): authenticate, enforce the session cap, snapshot the ACL, issue. */
export class TokenService {
  readonly #deps: TokenServiceDeps;

  constructor(deps: TokenServiceDeps) {
    this.#deps = deps;
  }

  async create(creation: TokenCreation): Promise<IssuedToken> {
    const principal = await this.#deps.authenticator.authenticate(creation);
    const offline = creation.request.accessType === 'offline' && creation.request.clientId;
    if (offline) await this.#enforceSessionLimit(principal);
    const sessionUuid = newSessionId();
    const acl = this.#grantedAcl(await this.#effectiveAcl(principal), principal, creation, sessionUuid);
    const refresh = offline
      ? await this.#deps.refreshTokenIssuer.obtain({
          userUuid: principal.user.uuid,
          tenantUuid: principal.user.tenantUuid,
          clientId: creation.request.clientId as string,
          mobile: creation.mobile,
          backend: creation.request.backend,
          login: principal.login,
          userAgent: creation.userAgent,
          remoteAddr: creation.remoteAddr,
          acl: creation.request.acl,
        })
      : null;
    const value = newTokenValue();
    const record = this.#newRecord(value, principal, creation, {
      sessionUuid,
      acl,
      refreshTokenUuid: refresh?.uuid ?? principal.refreshToken?.uuid ?? null,
    });
    await this.#store(principal, record, creation);
    this.#announce(principal, record, creation, value);
    return {
      token: value,
      record,
      refreshToken: refresh?.value ?? principal.rotatedRefreshToken,
      sessionsRevoked: refresh?.sessionsRevoked ?? 0,
    };
  }

  /** Writes the session and token, unless the cap is reached or the credentials changed meanwhile. */
  async #store(principal: Principal, record: AccessToken, creation: TokenCreation): Promise<void> {
    const session = {
      uuid: record.sessionUuid,
      tenantUuid: principal.user.tenantUuid,
      userUuid: principal.user.uuid,
      mobile: creation.mobile,
    };
    const used = principal.refreshToken;
    const outcome = await this.#deps.tokens.insertWithSession(session, record, record.issuedAtMs, {
      sessionCap: this.#sessionCap(principal),
      passwordHash: principal.verifiedPasswordHash,
      refreshTokenUse: used ? { uuid: used.uuid, atMs: record.issuedAtMs } : null,
    });
    if (outcome === 'session-cap') throw this.#maxSessions(principal);
    if (outcome === 'credentials-changed') {
      // The user was deleted, its password changed or the refresh token used was deleted since
      // they were verified: as a wrong password.
      this.#deps.audit.record({
        event: 'authentication',
        outcome: 'failure',
        actor: principal.login,
        source_ip: creation.remoteAddr,
        method: principal.refreshToken ? 'refresh_token' : 'password',
        user_agent: creation.userAgent,
        client_id: creation.request.clientId,
        reason: 'user deleted, password changed or refresh token deleted during the login',
      });
      throw new DomainError('authentication-failed');
    }
  }

  /**
   * wazo §3.2 step 7: purposes user and external_api hold at most N sessions; internal is exempt.
   * The authoritative check is the conditional insert (`#sessionCap`), which concurrent logins
   * cannot overrun (CC-6). This early count runs only before an offline login, so that a login
   * that cannot succeed creates no refresh token; other logins write nothing before the insert,
   * and skipping it spares every refresh login a statement (issue #4).
   */
  async #enforceSessionLimit(principal: Principal): Promise<void> {
    const cap = this.#sessionCap(principal);
    if (cap === null) return;
    const count = await this.#deps.sessions.countForUser(principal.user.uuid);
    if (count >= cap) throw this.#maxSessions(principal);
  }

  #sessionCap(principal: Principal): number | null {
    return principal.user.purpose === 'internal' ? null : this.#deps.settings.maxUserSessions;
  }

  #maxSessions(principal: Principal): DomainError {
    return new DomainError('max-sessions', {
      message: `User ${principal.user.uuid} has exceeded the maximum number of active sessions`,
    });
  }

  #effectiveAcl(principal: Principal): Promise<string[]> {
    return this.#deps.policies.effectiveAcl(
      principal.user.uuid,
      this.#deps.settings.defaultUserPolicy || null,
    );
  }

  /**
   * Issue #6: the scope stored on the refresh token used, then the scope this request asks for,
   * each narrow the user's ACL of this moment, so a right the user lost is gone at the next
   * refresh and a request can narrow but never widen. Without either, wazo's full ACL (§3.2).
   * `me` and `my_session` in them stand for this token's holder and session.
   */
  #grantedAcl(
    userAcl: string[],
    principal: Principal,
    creation: TokenCreation,
    sessionUuid: string,
  ): string[] {
    const subject = { authId: principal.user.uuid, sessionUuid };
    let acl = userAcl;
    for (const scope of [principal.refreshToken?.acl ?? null, creation.request.acl]) {
      if (scope !== null) acl = intersectAcl(scope, acl, subject);
    }
    return acl;
  }

  #newRecord(
    value: string,
    principal: Principal,
    creation: TokenCreation,
    issue: Pick<AccessToken, 'sessionUuid' | 'acl' | 'refreshTokenUuid'>,
  ): AccessToken {
    const { user } = principal;
    const now = this.#deps.now();
    const lifetime = creation.request.expirationSeconds ?? this.#deps.settings.defaultLifetimeSeconds;
    const pbxUserUuid = user.purpose === 'user' ? user.uuid : null;
    const xivoUuid = this.#deps.settings.xivoUuid;
    return {
      digest: digestToken(value),
      sessionUuid: issue.sessionUuid,
      sessionTenantUuid: user.tenantUuid,
      mobile: creation.mobile,
      authId: user.uuid,
      pbxUserUuid,
      xivoUuid,
      issuedAtMs: now,
      expiresAtMs: now + lifetime * 1000,
      // Persistent metadata stored on the refresh token first; freshly computed keys win (wazo §3.1).
      metadata: {
        ...(principal.refreshToken?.metadata ?? {}),
        uuid: user.uuid,
        tenant_uuid: user.tenantUuid,
        auth_id: user.uuid,
        pbx_user_uuid: pbxUserUuid,
        xivo_uuid: xivoUuid,
        purpose: user.purpose,
      },
      userAgent: creation.userAgent,
      remoteAddr: creation.remoteAddr,
      acl: issue.acl,
      refreshTokenUuid: issue.refreshTokenUuid,
    };
  }

  #announce(principal: Principal, record: AccessToken, creation: TokenCreation, value: string): void {
    this.#deps.events.publish(
      sessionCreated(
        { uuid: record.sessionUuid, tenantUuid: record.sessionTenantUuid, userUuid: principal.user.uuid },
        creation.mobile,
      ),
    );
    this.#deps.audit.record({
      event: 'authentication',
      outcome: 'success',
      actor: principal.login,
      source_ip: creation.remoteAddr,
      method: principal.refreshToken ? 'refresh_token' : 'password',
      user_agent: creation.userAgent,
      client_id: creation.request.clientId,
      user_uuid: principal.user.uuid,
      session_uuid: record.sessionUuid,
      // wazo-auth logs the issued token by its last 8 characters only (A10).
      token: redactToken(value),
    });
  }
}
