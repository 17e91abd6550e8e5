import type { AuditLog } from '../../audit/audit-log.ts';
import { refreshTokenReuseDetected } from '../../events/auth-events.ts';
import type { EventSink } from '../../events/event-sink.ts';
import type { SessionRevoker } from '../../tokens/session-revoker.ts';
import { GrantRepository, type OAuthGrant } from './grant-repository.ts';

export interface FamilyRevocationDeps {
  revoker: SessionRevoker;
  events: EventSink;
  audit: AuditLog;
}

/**
 * Ends a refresh-token family: the grant row (its retired digests by cascade) and every session
 * made from it, in one transaction through the SessionRevoker, so every instance's token cache
 * drops them at once (S-RT-2, B13, B14).
 */
export class FamilyRevocation {
  readonly #deps: FamilyRevocationDeps;

  constructor(deps: FamilyRevocationDeps) {
    this.#deps = deps;
  }

  /** Also ends the sessions named (an authorization code's first access token may have no grant). */
  async revoke(grantUuid: string | null, sessionUuids: readonly string[] = []): Promise<void> {
    if (grantUuid === null && sessionUuids.length === 0) return;
    await this.#deps.revoker.revokeGrant(grantUuid, sessionUuids, async (tx) => {
      if (grantUuid !== null) await GrantRepository.deleteWithin(tx, grantUuid);
    });
  }

  /** D3: a rotated-away token came back; whoever holds the family now may be an attacker. */
  async reuseDetected(grant: OAuthGrant, context: { remoteAddr: string; userAgent: string }): Promise<void> {
    await this.revoke(grant.uuid);
    this.#deps.events.publish(refreshTokenReuseDetected(grant));
    this.#deps.audit.record({
      event: 'authentication',
      outcome: 'failure',
      actor: grant.userUuid,
      source_ip: context.remoteAddr,
      method: 'oauth:refresh_token',
      user_agent: context.userAgent,
      client_id: grant.clientId,
      reason: `refresh token reuse detected: grant ${grant.uuid} revoked`,
    });
  }
}
