import type { AuditLog } from '../../audit/audit-log.ts';
import type { LoginGate } from '../../brute-force/login-gate.ts';
import { DomainError } from '../../errors/domain-error.ts';
import type { TenantRepository } from '../../tenants/tenant-repository.ts';
import type { Authenticator } from '../../tokens/authenticator.ts';
import type { UserRepository } from '../../users/user-repository.ts';
import type { OAuthClient } from '../clients/oauth-client.ts';
import { digestAuthorizationCode, newAuthorizationCode } from '../codes/code-values.ts';
import type { OAuthServices } from '../oauth-services.ts';
import { parseScope } from '../scopes/scope-catalog.ts';
import { withResponseParameters } from './redirect-uri.ts';
import type { CodeTransaction, DeviceTransaction, LoggedIn, Transaction } from './transaction.ts';

export interface AuthorizeServiceDeps {
  oauth: Pick<OAuthServices, 'repositories' | 'scopeCatalog' | 'issuer' | 'config'>;
  authenticator: Authenticator;
  loginGate: LoginGate;
  tenants: TenantRepository;
  users: UserRepository;
  audit: AuditLog;
  now: () => number;
}

export interface Attempt {
  username: string;
  password: string;
  remoteAddr: string;
  userAgent: string;
}

export type LoginOutcome =
  | { kind: 'ok'; loggedIn: LoggedIn }
  /** Wrong password, unknown or disabled user, locked account, other tenant: one answer. */
  | { kind: 'failed' }
  | { kind: 'throttled'; retryAfter: string };

export interface ClientView {
  client: OAuthClient;
  tenantName: string;
}

/**
 * The use cases behind the login, consent and device verification pages (issue #6 §4–§5). The
 * password is checked by the Authenticator of POST /0.1/token, through the same brute-force gate.
 */
export class AuthorizeService {
  readonly #deps: AuthorizeServiceDeps;

  constructor(deps: AuthorizeServiceDeps) {
    this.#deps = deps;
  }

  /** The client of a transaction with its tenant's name, or null when it was deleted meanwhile. */
  async clientView(clientId: string): Promise<ClientView | null> {
    const client = await this.#deps.oauth.repositories.clients.findByClientId(clientId);
    if (!client) return null;
    const tenant = await this.#deps.tenants.get(client.tenantUuid);
    return { client, tenantName: tenant?.name || tenant?.slug || '' };
  }

  async login(client: OAuthClient, attempt: Attempt): Promise<LoginOutcome> {
    try {
      const principal = await this.#deps.authenticator.authenticate({
        request: {
          expirationSeconds: null,
          accessType: 'online',
          clientId: client.clientId,
          refreshToken: null,
          samlSessionId: null,
          backend: 'wazo_user',
          domainName: null,
          tenantId: null,
          acl: null,
        },
        credentials: { login: attempt.username, password: attempt.password },
        remoteAddr: attempt.remoteAddr,
        userAgent: attempt.userAgent,
      });
      const { user } = principal;
      if (!(await this.#deps.tenants.isInSubtree(client.tenantUuid, user.tenantUuid))) {
        // Only the client's tenant and its sub-tenants; to anyone else it looks like a wrong password.
        await this.#deps.loginGate.recordAddressFailure(attempt.remoteAddr);
        this.#auditLogin(client, attempt, { outcome: 'failure', reason: 'user outside the client tenant' });
        return { kind: 'failed' };
      }
      this.#auditLogin(client, attempt, { outcome: 'success', user_uuid: user.uuid });
      return {
        kind: 'ok',
        loggedIn: { userUuid: user.uuid, login: principal.login, authTimeMs: this.#deps.now() },
      };
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      if (error.code === 'authentication-failed') return { kind: 'failed' };
      if (error.code === 'too-many-failed-logins') {
        return { kind: 'throttled', retryAfter: error.options.headers?.['retry-after'] ?? '60' };
      }
      throw error;
    }
  }

  /** Whether the logged-in user may still decide (not deleted nor disabled since the login). */
  async stillEnabled(loggedIn: LoggedIn): Promise<boolean> {
    return (await this.#deps.users.getLoginCandidate(loggedIn.userUuid))?.enabled === true;
  }

  async scopeDescriptions(client: OAuthClient, scope: readonly string[]) {
    const resolved = await this.#deps.oauth.scopeCatalog.resolve(client.tenantUuid, scope);
    return scope.map((name) => ({ name, description: resolved.descriptions[name] ?? name }));
  }

  /**
   * Allow: a new code, stored by digest, then the redirect with code, state and iss (RFC 9207);
   * Deny: the redirect with access_denied. Either way the URL the browser is sent to (303).
   */
  async finishCode(
    transaction: CodeTransaction,
    loggedIn: LoggedIn,
    decision: 'allowed' | 'denied' | 'skipped',
    sourceIp: string,
  ): Promise<string> {
    this.#auditConsent(transaction, loggedIn, decision, sourceIp);
    const iss = this.#deps.oauth.issuer.value;
    if (decision === 'denied') {
      return withResponseParameters(transaction.redirectUri, {
        error: 'access_denied',
        error_description: 'The user denied the request.',
        state: transaction.state,
        iss,
      });
    }
    const code = newAuthorizationCode();
    await this.#deps.oauth.repositories.codes.insert({
      codeHash: digestAuthorizationCode(code),
      clientId: transaction.clientId,
      userUuid: loggedIn.userUuid,
      redirectUri: transaction.redirectUri,
      scope: transaction.scope.join(' '),
      codeChallenge: transaction.codeChallenge,
      nonce: transaction.nonce,
      dpopJkt: transaction.dpopJkt,
      authTimeMs: loggedIn.authTimeMs,
      expiresAtMs: this.#deps.now() + this.#deps.oauth.config.code_lifetime_seconds * 1000,
    });
    return withResponseParameters(transaction.redirectUri, { code, state: transaction.state, iss });
  }

  /** RFC 8628 §3.3: records the decision; false when the code expired or was decided meanwhile. */
  async finishDevice(
    transaction: DeviceTransaction,
    loggedIn: LoggedIn,
    decision: 'allowed' | 'denied',
    sourceIp: string,
  ): Promise<boolean> {
    const recorded = await this.#deps.oauth.repositories.deviceCodes.decide(
      transaction.userCode,
      {
        status: decision === 'allowed' ? 'approved' : 'denied',
        userUuid: loggedIn.userUuid,
        authTimeMs: loggedIn.authTimeMs,
      },
      this.#deps.now(),
    );
    if (recorded) this.#auditConsent(transaction, loggedIn, decision, sourceIp);
    return recorded;
  }

  /**
   * The pending device authorization a typed user code names, or null. User codes are short
   * enough to guess, so the address is throttled and every wrong code counts against it.
   */
  async findPendingDevice(userCode: string | null, remoteAddr: string): Promise<DeviceTransaction | null> {
    await this.#deps.loginGate.assertAddressAllowed(remoteAddr);
    const found = userCode ? await this.#deps.oauth.repositories.deviceCodes.findByUserCode(userCode) : null;
    if (found?.status !== 'pending' || found.expiresAtMs < this.#deps.now()) {
      await this.#deps.loginGate.recordAddressFailure(remoteAddr);
      return null;
    }
    return {
      flow: 'device',
      clientId: found.clientId,
      userCode: found.userCode,
      scope: parseScope(found.scope),
    };
  }

  #auditLogin(
    client: OAuthClient,
    attempt: Attempt,
    result: { outcome: 'success'; user_uuid: string } | { outcome: 'failure'; reason: string },
  ): void {
    this.#deps.audit.record({
      event: 'authentication',
      actor: attempt.username,
      source_ip: attempt.remoteAddr,
      method: 'password',
      user_agent: attempt.userAgent,
      client_id: client.clientId,
      ...result,
    });
  }

  #auditConsent(
    transaction: Transaction,
    loggedIn: LoggedIn,
    decision: 'allowed' | 'denied' | 'skipped',
    sourceIp: string,
  ): void {
    this.#deps.audit.record({
      event: 'oauth_consent',
      outcome: decision,
      flow: transaction.flow === 'code' ? 'authorization_code' : 'device_code',
      actor: loggedIn.login,
      source_ip: sourceIp,
      client_id: transaction.clientId,
      user_uuid: loggedIn.userUuid,
      scope: transaction.scope.join(' '),
    });
  }
}
