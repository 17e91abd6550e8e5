import { digestToken, newSessionId, newTokenValue } from '../crypto/token-values.ts';
import type { SessionRevoker } from '../tokens/session-revoker.ts';
import { type AccessToken, SERVER_AUTH_ID } from '../tokens/token.ts';
import type { TokenRepository } from '../tokens/token-repository.ts';

/** wazo-auth marks the tokens it mails with this user agent (services/email.py). */
export const LINK_TOKEN_USER_AGENT = 'wazo-auth-email-reset';

export interface LinkTokenDeps {
  tokens: TokenRepository;
  revoker: SessionRevoker;
  /** The top tenant, where link-token sessions live (wazo §3.13). */
  topTenantUuid: () => Promise<string>;
  now: () => number;
}

/**
 * The tokens sent by email (wazo §3.13): ordinary access tokens of the server (auth_id
 * `wazo-auth`, empty metadata, a session in the top tenant bound to no user) carrying one ACL
 * entry. Gatehouse also makes them single-use (ASVS 6.4.1, security.md A12/B17): redeeming one
 * deletes its session, and only the request whose delete removed it may go on.
 */
export class LinkTokens {
  readonly #deps: LinkTokenDeps;

  constructor(deps: LinkTokenDeps) {
    this.#deps = deps;
  }

  /** Returns the token value (to mail) and its digest (to withdraw it if the mail fails). */
  async issue(acl: string, lifetimeSeconds: number): Promise<{ value: string; digest: string }> {
    const value = newTokenValue();
    const digest = digestToken(value);
    const now = this.#deps.now();
    const session = {
      uuid: newSessionId(),
      tenantUuid: await this.#deps.topTenantUuid(),
      userUuid: null,
      mobile: false,
    };
    await this.#deps.tokens.insertWithSession(
      session,
      {
        digest,
        sessionUuid: session.uuid,
        authId: SERVER_AUTH_ID,
        pbxUserUuid: null,
        xivoUuid: null,
        issuedAtMs: now,
        expiresAtMs: now + lifetimeSeconds * 1000,
        metadata: {},
        userAgent: LINK_TOKEN_USER_AGENT,
        remoteAddr: '',
        acl: [acl],
        refreshTokenUuid: null,
      },
      now,
    );
    return { value, digest };
  }

  async withdraw(digest: string): Promise<void> {
    await this.#deps.revoker.revokeToken(digest);
  }

  /**
   * Spends a link token; other tokens (an administrator's, granted the same ACL) are not touched.
   * Returns false when a concurrent request spent it first.
   */
  async redeem(token: AccessToken): Promise<boolean> {
    if (!isLinkToken(token)) return true;
    const ended = await this.#deps.revoker.revokeToken(token.digest);
    return ended.length > 0;
  }
}

export function isLinkToken(token: AccessToken): boolean {
  return token.authId === SERVER_AUTH_ID && token.userAgent === LINK_TOKEN_USER_AGENT;
}
