import { sessionDeleted } from '../events/auth-events.ts';
import type { EventSink } from '../events/event-sink.ts';
import type { Db } from '../storage/database.ts';
import { retryOnConflict } from '../storage/db-errors.ts';
import type { RevocationFeed } from './revocation-feed.ts';
import { SessionRepository } from './session-repository.ts';
import type { Session } from './token.ts';

export interface SessionRevokerDeps {
  db: Db;
  feed: RevocationFeed;
  /** This instance's token cache, evicted as soon as the deletion commits. */
  evictLocally(sessionUuids: readonly string[]): void;
  events: EventSink;
}

/**
 * The one way sessions end (with their tokens). Each revocation deletes the sessions and announces
 * them to the other instances in one transaction, evicts them from this instance's cache, then
 * publishes exactly one `auth_session_deleted` per session actually deleted.
 */
export class SessionRevoker {
  readonly #deps: SessionRevokerDeps;

  constructor(deps: SessionRevokerDeps) {
    this.#deps = deps;
  }

  revokeToken(digest: string): Promise<Session[]> {
    return this.#revoke((sessions) => sessions.deleteByTokenDigest(digest));
  }

  revokeSession(uuid: string, tenantUuids: readonly string[], userUuid?: string): Promise<Session[]> {
    return this.#revoke((sessions) => sessions.deleteByUuid(uuid, tenantUuids, userUuid));
  }

  revokeUser(userUuid: string): Promise<Session[]> {
    return this.#revoke((sessions) => sessions.deleteByUser(userUuid));
  }

  /**
   * Ends every session of the tenant and its users. `alsoWithin` runs in the same transaction
   * (the tenant's deletion), so no session of the tenant can vanish by cascade unannounced.
   */
  revokeTenant(tenantUuid: string, alsoWithin?: (tx: Db) => Promise<void>): Promise<Session[]> {
    return this.#revoke(async (sessions, tx) => {
      const deleted = await sessions.deleteByTenant(tenantUuid);
      await alsoWithin?.(tx);
      return deleted;
    });
  }

  revokeByRefreshTokens(refreshTokenUuids: readonly string[]): Promise<Session[]> {
    return this.#revoke((sessions) => sessions.deleteByRefreshTokens(refreshTokenUuids));
  }

  /**
   * Ends the sessions made from an OAuth client's grants. `alsoWithin` (the client's deletion, whose
   * grants cascade) runs in the same transaction, so no session is left pointing at a vanished grant.
   * A grant committed by a concurrent token request between the two statements loses its row to the
   * cascade (no refresh possible) while its session lives until its access token expires.
   */
  revokeOAuthClient(clientId: string, alsoWithin?: (tx: Db) => Promise<void>): Promise<Session[]> {
    return this.#revoke(async (sessions, tx) => {
      const deleted = await sessions.deleteByGrantsOfClient(clientId);
      await alsoWithin?.(tx);
      return deleted;
    });
  }

  /**
   * Ends the sessions of an OAuth grant (and any sessions named), with `before` (the grant's
   * deletion) first in the same transaction: deleting the grant row waits for any issuance that
   * holds it locked (token-repository.ts `grantUuid`), so its session is committed by the time the
   * sessions are deleted, and a later issuance finds no grant. No live token survives (issue #6).
   */
  revokeGrant(
    grantUuid: string | null,
    sessionUuids: readonly string[],
    before?: (tx: Db) => Promise<void>,
  ): Promise<Session[]> {
    return this.#revoke(async (sessions, tx) => {
      await before?.(tx);
      return sessions.deleteByGrant(grantUuid, sessionUuids);
    });
  }

  /** Publishes for sessions deleted elsewhere (the expiry purge: expired tokens need no eviction). */
  announce(sessions: readonly Session[]): void {
    for (const session of sessions) this.#deps.events.publish(sessionDeleted(session));
  }

  async #revoke(deletion: (sessions: SessionRepository, tx: Db) => Promise<Session[]>): Promise<Session[]> {
    // Revocations are idempotent deletions: one that lost a deadlock to a concurrent one (a user
    // deleted while its sessions are revoked, S-REV-2) is simply run again.
    const deleted = await retryOnConflict(() =>
      this.#deps.db.transaction().execute(async (tx) => {
        const sessions = await deletion(new SessionRepository(tx), tx);
        await this.#deps.feed.announceWithin(
          tx,
          sessions.map((s) => s.uuid),
        );
        return sessions;
      }),
    );
    this.#deps.evictLocally(deleted.map((s) => s.uuid));
    this.announce(deleted);
    return deleted;
  }
}
