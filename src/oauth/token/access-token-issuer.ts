import type { AuditLog } from '../../audit/audit-log.ts';
import { digestToken, newTokenValue, redactToken } from '../../crypto/token-values.ts';
import { sessionCreated } from '../../events/auth-events.ts';
import type { EventSink } from '../../events/event-sink.ts';
import { type AccessToken, CLIENT_AUTH_ID_PREFIX } from '../../tokens/token.ts';
import type { IssueConditions, TokenRepository } from '../../tokens/token-repository.ts';
import type { LoginCandidate } from '../../users/user.ts';
import type { OAuthClient } from '../clients/oauth-client.ts';
import { OAuthError } from '../oauth-error.ts';

export interface AccessTokenIssuerDeps {
  tokens: TokenRepository;
  events: EventSink;
  audit: AuditLog;
  now: () => number;
  xivoUuid: string | null;
  maxUserSessions: number;
}

/** Who a token acts for: a user (code, device and refresh grants) or the client itself. */
export type TokenSubject = { kind: 'user'; user: LoginCandidate } | { kind: 'client' };

export interface AccessTokenOrder {
  client: OAuthClient;
  subject: TokenSubject;
  scope: readonly string[];
  acl: string[];
  grantUuid: string | null;
  /** Drawn before the ACL is computed: `my_session` entries are judged against it (acl-intersection.ts). */
  sessionUuid: string;
  dpopJkt: string | null;
  /** The grant type, for the audit line. */
  grantType: string;
  remoteAddr: string;
  userAgent: string;
}

export interface IssuedAccessToken {
  value: string;
  sessionUuid: string;
  expiresInSeconds: number;
  tokenType: 'Bearer' | 'DPoP';
}

/**
 * The auth_id of client_credentials tokens. Never a UUID, so no service that reads auth_id as a user
 * can mistake a client for a user (RFC 9700 §4.15); the caller's tenant comes from the metadata.
 */
export function clientAuthId(clientId: string): string {
  return `${CLIENT_AUTH_ID_PREFIX}${clientId}`;
}

/**
 * OAuth access tokens are ordinary Gatehouse tokens (one session each, with the grant's uuid), so
 * HEAD /0.1/token/{t}?scope= and every revocation path work on them unchanged.
 */
export class AccessTokenIssuer {
  readonly #deps: AccessTokenIssuerDeps;

  constructor(deps: AccessTokenIssuerDeps) {
    this.#deps = deps;
  }

  async issue(order: AccessTokenOrder): Promise<IssuedAccessToken> {
    const value = newTokenValue();
    const record = this.#record(value, order);
    const user = order.subject.kind === 'user' ? order.subject.user : null;
    const session = {
      uuid: record.sessionUuid,
      tenantUuid: record.sessionTenantUuid,
      userUuid: user?.uuid ?? null,
      mobile: false,
      grantUuid: order.grantUuid,
    };
    const outcome = await this.#deps.tokens.insertWithSession(
      session,
      record,
      record.issuedAtMs,
      this.#conditions(user, order.grantUuid),
    );
    // The user was deleted meanwhile: as if the grant had been refused (S-GATE-1).
    if (outcome === 'credentials-changed')
      throw new OAuthError('invalid_grant', 'The user is no longer valid.');
    // The family was revoked (reuse detected elsewhere) while this token was being issued.
    if (outcome === 'grant-revoked') throw new OAuthError('invalid_grant', 'The grant was revoked.');
    if (outcome === 'session-cap') {
      throw new OAuthError('temporarily_unavailable', 'The user holds too many sessions.', { status: 429 });
    }
    this.#announce(order, record, value);
    return {
      value,
      sessionUuid: record.sessionUuid,
      expiresInSeconds: order.client.accessTokenLifetimeSeconds,
      tokenType: order.dpopJkt ? 'DPoP' : 'Bearer',
    };
  }

  /** The user's sessions stay capped as for POST /token (wazo §3.2 step 7, CC-6); internal users are not. */
  #conditions(user: LoginCandidate | null, grantUuid: string | null): IssueConditions | null {
    if (!user) return null;
    const sessionCap = user.purpose === 'internal' ? null : this.#deps.maxUserSessions;
    // A token of a grant is issued only while its family lives (token-repository.ts).
    return { sessionCap, passwordHash: null, grantUuid };
  }

  #record(value: string, order: AccessTokenOrder): AccessToken {
    const { client, subject } = order;
    const now = this.#deps.now();
    const user = subject.kind === 'user' ? subject.user : null;
    const authId = user ? user.uuid : clientAuthId(client.clientId);
    const tenantUuid = user ? user.tenantUuid : client.tenantUuid;
    const pbxUserUuid = user?.purpose === 'user' ? user.uuid : null;
    return {
      digest: digestToken(value),
      sessionUuid: order.sessionUuid,
      sessionTenantUuid: tenantUuid,
      mobile: false,
      authId,
      pbxUserUuid,
      xivoUuid: this.#deps.xivoUuid,
      issuedAtMs: now,
      expiresAtMs: now + client.accessTokenLifetimeSeconds * 1000,
      // The metadata wazo services read (token-service.ts), plus what the token was issued for.
      metadata: {
        uuid: user?.uuid ?? null,
        tenant_uuid: tenantUuid,
        auth_id: authId,
        pbx_user_uuid: pbxUserUuid,
        xivo_uuid: this.#deps.xivoUuid,
        purpose: user?.purpose ?? 'oauth_client',
        client_id: client.clientId,
        scope: order.scope.join(' '),
      },
      userAgent: order.userAgent,
      remoteAddr: order.remoteAddr,
      acl: order.acl,
      refreshTokenUuid: null,
      dpopJkt: order.dpopJkt,
    };
  }

  #announce(order: AccessTokenOrder, record: AccessToken, value: string): void {
    const userUuid = order.subject.kind === 'user' ? order.subject.user.uuid : null;
    this.#deps.events.publish(
      sessionCreated({ uuid: record.sessionUuid, tenantUuid: record.sessionTenantUuid, userUuid }, false),
    );
    this.#deps.audit.record({
      event: 'authentication',
      outcome: 'success',
      actor: userUuid ?? clientAuthId(order.client.clientId),
      source_ip: order.remoteAddr,
      method: `oauth:${order.grantType}`,
      user_agent: order.userAgent,
      client_id: order.client.clientId,
      ...(userUuid ? { user_uuid: userUuid } : {}),
      session_uuid: record.sessionUuid,
      token: redactToken(value),
    });
  }
}
