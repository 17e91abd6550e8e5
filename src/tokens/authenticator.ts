import type { Logger } from 'pino';
import type { AuditLog } from '../audit/audit-log.ts';
import type { LoginGate } from '../brute-force/login-gate.ts';
import type { PasswordHasher } from '../crypto/password-hasher.ts';
import { digestToken, isTokenShaped } from '../crypto/token-values.ts';
import { DomainError } from '../errors/domain-error.ts';
import type { LoginCandidate } from '../users/user.ts';
import type { UserRepository } from '../users/user-repository.ts';
import type { RefreshRotation, RotationMatch } from './refresh-rotation.ts';
import type { RefreshTokenRepository } from './refresh-token-repository.ts';
import type { RefreshToken } from './token.ts';
import type { TokenRequest } from './token-request.ts';

export interface Credentials {
  login: string;
  password: string;
}

export interface LoginAttempt {
  request: TokenRequest;
  credentials: Credentials | null;
  remoteAddr: string;
  userAgent: string;
}

export interface Principal {
  user: LoginCandidate;
  /** The login name used (or stored on the refresh token used). */
  login: string;
  /** Set for a refresh-token login; its use is recorded when the session is written. */
  refreshToken: RefreshToken | null;
  /** Password logins: the stored hash the password matched, which must still be current at issue. */
  verifiedPasswordHash: string | null;
  /** Refresh logins of a rotating client_id (D3): the refresh token to hand back. */
  rotatedRefreshToken?: string;
}

export interface AuthenticatorDeps {
  users: UserRepository;
  refreshTokens: RefreshTokenRepository;
  hasher: PasswordHasher;
  /** Brute-force counters and locks: every path below goes through it (security.md A2). */
  gate: LoginGate;
  log: Logger;
  audit: AuditLog;
  now: () => number;
  refreshLimits: { maxIdleSeconds: number; maxLifetimeSeconds: number };
  rotation: RefreshRotation;
}

/** The only method this server verifies itself; ldap and saml users are refused until those land. */
const NATIVE = 'native';

/**
 * Chooses the authentication method from the request shape (wazo §3.2 step 4) and verifies it.
 * Every failure is the same 401 "Authentication Failed"; the reason goes only to the audit log.
 */
export class Authenticator {
  readonly #deps: AuthenticatorDeps;

  constructor(deps: AuthenticatorDeps) {
    this.#deps = deps;
  }

  async authenticate(attempt: LoginAttempt): Promise<Principal> {
    const { request, credentials } = attempt;
    if (request.refreshToken && request.clientId) {
      return this.#withRefreshToken(attempt, request.refreshToken, request.clientId);
    }
    await this.#deps.gate.assertAddressAllowed(attempt.remoteAddr);
    if (request.samlSessionId || request.domainName || request.tenantId) {
      // These select the SAML or LDAP methods, which this server does not provide.
      throw this.#fail(attempt, credentials?.login ?? null, 'authentication method not available');
    }
    if (credentials) return this.#withPassword(attempt, credentials);
    throw this.#fail(attempt, null, 'no credentials');
  }

  /**
   * The attempt is counted before the hash. A locked account, an unknown login and a disabled user
   * all verify against the dummy hash, so they cost what a wrong password costs (S-ENUM-1), and a
   * locked account refuses even the right password with the same 401 (S-BF-1). Attempts on one
   * account from one address take turns on this instance (the gate's ticket), so parallel logins
   * with the right password each see the counter their predecessor cleared (CC-2).
   */
  async #withPassword(attempt: LoginAttempt, credentials: Credentials): Promise<Principal> {
    const { gate, users } = this.#deps;
    const user = await users.findLoginCandidate(credentials.login);
    const ticket = await gate.countAttempt({ login: credentials.login, user }, attempt.remoteAddr);
    try {
      const principal = await this.#verifyPassword(attempt, credentials, user, ticket.locked);
      await gate.succeeded(ticket);
      return principal;
    } finally {
      ticket.release();
    }
  }

  async #verifyPassword(
    attempt: LoginAttempt,
    credentials: Credentials,
    user: LoginCandidate | null,
    locked: boolean,
  ): Promise<Principal> {
    const { hasher, users } = this.#deps;
    const verdict = await hasher.verify(credentials.password, locked ? null : (user?.password ?? null));
    if (!user || !verdict.ok) {
      const reason = locked ? 'login locked after repeated failures' : 'unknown login or wrong password';
      throw await this.#refuse(attempt, credentials.login, reason);
    }
    if (user.effectiveMethod !== NATIVE) {
      throw await this.#refuse(
        attempt,
        credentials.login,
        `user authentication method is ${user.effectiveMethod}`,
      );
    }
    let verifiedPasswordHash = user.password?.hash ?? null;
    if (verdict.upgraded && user.password) {
      const upgraded = await users.upgradePassword(user.uuid, user.password.hash, verdict.upgraded);
      // A racing login may have upgraded it first (another salt): then the stored hash is unknown
      // here and this one login skips the check rather than fail a correct password.
      verifiedPasswordHash = upgraded ? verdict.upgraded.hash : null;
    }
    return { user, login: credentials.login, refreshToken: null, verifiedPasswordHash };
  }

  /**
   * Failures here count against the client address only: a bad refresh token names no account.
   * One read finds the token with its user, one more reads the address and account counters
   * (issue #4); the address cap still answers 429 before anything else. The token's use is
   * recorded with the new session, under the user-row lock (token-repository.ts).
   */
  async #withRefreshToken(attempt: LoginAttempt, value: string, clientId: string): Promise<Principal> {
    const digest = isTokenShaped(value) ? digestToken(value) : null;
    const match = digest ? await this.#findRefreshToken(digest, clientId) : null;
    const found = match && match.kind !== 'reuse' ? match : null;
    const account = found ? { login: found.token.login, user: found.user } : null;
    const { locked } = await this.#deps.gate.checkRefreshAttempt(account, attempt.remoteAddr);
    if (match?.kind === 'reuse') {
      await this.#deps.rotation.revoke(match.token);
      throw await this.#refuse(attempt, match.token.login, 'refresh token reuse detected');
    }
    if (!found || !digest)
      throw await this.#refuse(attempt, null, 'unknown refresh token for this client_id');
    const { token, user } = found;
    if (this.#isStale(token)) throw await this.#refuse(attempt, token.login, 'refresh token expired');
    if (!user.enabled) throw await this.#refuse(attempt, token.login, 'user disabled or deleted');
    if (locked) throw await this.#refuse(attempt, token.login, 'login locked after repeated failures');
    if (user.effectiveMethod !== NATIVE) {
      throw await this.#refuse(attempt, token.login, `user authentication method is ${user.effectiveMethod}`);
    }
    const principal: Principal = {
      user,
      login: token.login,
      refreshToken: token,
      verifiedPasswordHash: null,
    };
    if (!this.#deps.rotation.appliesTo(clientId)) return principal;
    const successor = await this.#deps.rotation.advance(found, digest);
    if (successor === null) throw await this.#refuse(attempt, token.login, 'refresh token rotated meanwhile');
    return { ...principal, rotatedRefreshToken: successor };
  }

  /** The current value first (the only lookup for client_ids that do not rotate, D3). */
  async #findRefreshToken(digest: string, clientId: string): Promise<RotationMatch | null> {
    const current = await this.#deps.refreshTokens.findForLogin(digest, clientId);
    if (current) return { kind: 'current', ...current };
    const { rotation } = this.#deps;
    return rotation.appliesTo(clientId) ? rotation.locateOlder(digest, clientId) : null;
  }

  /** Decision D1: refresh tokens never expire unless the operator sets idle or absolute limits. */
  #isStale(token: RefreshToken): boolean {
    const { maxIdleSeconds, maxLifetimeSeconds } = this.#deps.refreshLimits;
    const now = this.#deps.now();
    const lastUse = token.lastUsedAtMs ?? token.createdAtMs;
    if (maxIdleSeconds > 0 && now - lastUse > maxIdleSeconds * 1000) return true;
    return maxLifetimeSeconds > 0 && now - token.createdAtMs > maxLifetimeSeconds * 1000;
  }

  /** A refused guess: it counts against the client address (S-BF-3), then fails like any other. */
  async #refuse(attempt: LoginAttempt, login: string | null, reason: string): Promise<DomainError> {
    await this.#deps.gate.recordAddressFailure(attempt.remoteAddr);
    return this.#fail(attempt, login, reason);
  }

  #fail(attempt: LoginAttempt, login: string | null, reason: string): DomainError {
    this.#deps.audit.record({
      event: 'authentication',
      outcome: 'failure',
      actor: login,
      source_ip: attempt.remoteAddr,
      method: attempt.request.refreshToken ? 'refresh_token' : 'password',
      user_agent: attempt.userAgent,
      client_id: attempt.request.clientId ?? null,
      reason,
    });
    return new DomainError('authentication-failed');
  }
}
