import type { SecretBox } from '../crypto/secret-box.ts';
import { digestToken, newId, newTokenValue } from '../crypto/token-values.ts';
import { refreshTokenCreated, refreshTokenDeleted } from '../events/auth-events.ts';
import type { EventSink } from '../events/event-sink.ts';
import type { RefreshTokenRepository } from './refresh-token-repository.ts';
import type { SessionRevoker } from './session-revoker.ts';
import type { RefreshToken } from './token.ts';

export interface RefreshTokenIssuerDeps {
  refreshTokens: RefreshTokenRepository;
  revoker: SessionRevoker;
  events: EventSink;
  secretBox: SecretBox;
  reuseOnRelogin: boolean;
  now: () => number;
}

export interface OfflineLogin {
  userUuid: string;
  tenantUuid: string;
  clientId: string;
  mobile: boolean;
  backend: string;
  login: string;
  userAgent: string;
  remoteAddr: string;
  /** The scope asked for (#6), stored on the refresh token; null: unscoped, as in wazo. */
  acl: readonly string[] | null;
}

export interface ObtainedRefreshToken {
  uuid: string;
  value: string;
  sessionsRevoked: number;
}

/** Retries when a concurrent login for the same (user, client_id) wins the unique constraint. */
const MAX_ATTEMPTS = 3;

/**
 * Gives an offline login its refresh token (wazo §3.4.2, §3.4.3): one per (user, client_id); a
 * non-mobile re-login gets the same value back with no event; a mobile login purges the user's
 * other mobile refresh tokens and their sessions, so there is one active mobile client per user.
 * A non-mobile re-login asking for another scope (#6) replaces the refresh token instead: keeping
 * the old scope would ignore the request, and changing it in place could widen a token already
 * handed out.
 */
export class RefreshTokenIssuer {
  readonly #deps: RefreshTokenIssuerDeps;

  constructor(deps: RefreshTokenIssuerDeps) {
    this.#deps = deps;
  }

  async obtain(login: OfflineLogin): Promise<ObtainedRefreshToken> {
    for (let attempt = 1; ; attempt += 1) {
      const result = login.mobile ? await this.#obtainMobile(login) : await this.#obtainDesktop(login);
      if (result || attempt >= MAX_ATTEMPTS) {
        if (!result) throw new Error('refresh token could not be created after concurrent logins');
        return result;
      }
    }
  }

  async #obtainDesktop(login: OfflineLogin): Promise<ObtainedRefreshToken | null> {
    const existing = await this.#deps.refreshTokens.findForUser(login.userUuid, login.clientId);
    if (existing && !sameScope(existing.acl, login.acl)) {
      return this.#create(login, await this.#purge([existing]));
    }
    if (existing) {
      const value = this.#reusableValue(existing);
      if (value) return { uuid: existing.uuid, value, sessionsRevoked: 0 };
      await this.#purge([existing]);
    }
    return this.#create(login, 0);
  }

  async #obtainMobile(login: OfflineLogin): Promise<ObtainedRefreshToken | null> {
    const mobile = await this.#deps.refreshTokens.listMobileOfUser(login.userUuid);
    const sameClient = await this.#deps.refreshTokens.findForUser(login.userUuid, login.clientId);
    const incumbents = sameClient && !sameClient.mobile ? [sameClient, ...mobile] : mobile;
    const revoked = await this.#purge(incumbents);
    return this.#create(login, revoked);
  }

  #reusableValue(existing: RefreshToken): string | null {
    if (!this.#deps.reuseOnRelogin || !existing.ciphertext) return null;
    return this.#deps.secretBox.open(existing.ciphertext, existing.uuid);
  }

  /** Ends the sessions made from these refresh tokens, then deletes them; returns the sessions ended. */
  async #purge(tokens: readonly RefreshToken[]): Promise<number> {
    if (tokens.length === 0) return 0;
    const uuids = tokens.map((t) => t.uuid);
    const sessions = await this.#deps.revoker.revokeByRefreshTokens(uuids);
    const deleted = new Set(await this.#deps.refreshTokens.deleteByUuids(uuids));
    for (const token of tokens.filter((t) => deleted.has(t.uuid))) {
      this.#deps.events.publish(refreshTokenDeleted(token));
    }
    return sessions.length;
  }

  async #create(login: OfflineLogin, sessionsRevoked: number): Promise<ObtainedRefreshToken | null> {
    const uuid = newId();
    const value = newTokenValue();
    const inserted = await this.#deps.refreshTokens.insertIfAbsent({
      uuid,
      digest: digestToken(value),
      ciphertext: this.#deps.reuseOnRelogin ? this.#deps.secretBox.seal(value, uuid) : null,
      clientId: login.clientId,
      userUuid: login.userUuid,
      backend: login.backend,
      login: login.login,
      userAgent: login.userAgent,
      remoteAddr: login.remoteAddr,
      mobile: login.mobile,
      metadata: {},
      createdAtMs: this.#deps.now(),
      acl: login.acl === null ? null : [...login.acl],
    });
    if (!inserted) return null;
    this.#deps.events.publish(refreshTokenCreated({ ...login }));
    return { uuid, value, sessionsRevoked };
  }
}

/** Scopes compare as sets; unscoped (null) differs from every list, the empty one included. */
function sameScope(stored: readonly string[] | null, asked: readonly string[] | null): boolean {
  if (stored === null || asked === null) return stored === asked;
  const storedSet = new Set(stored);
  const askedSet = new Set(asked);
  return storedSet.size === askedSet.size && [...askedSet].every((entry) => storedSet.has(entry));
}
