import { sessionDeleted } from '../events/auth-events.ts';
import type { EventSink } from '../events/event-sink.ts';
import type { SessionRepository } from './session-repository.ts';
import type { Session } from './token.ts';

export interface SessionRevokerDeps {
  sessions: SessionRepository;
  events: EventSink;
}

/**
 * The one way sessions end (with their tokens): every revocation path goes through here so each
 * deleted session publishes exactly one `auth_session_deleted`, and so a token cache (issue #4)
 * has a single place to hear about revocations.
 */
export class SessionRevoker {
  readonly #deps: SessionRevokerDeps;

  constructor(deps: SessionRevokerDeps) {
    this.#deps = deps;
  }

  revokeToken(digest: string): Promise<Session[]> {
    return this.#announce(this.#deps.sessions.deleteByTokenDigest(digest));
  }

  revokeSession(uuid: string, tenantUuids: readonly string[], userUuid?: string): Promise<Session[]> {
    return this.#announce(this.#deps.sessions.deleteByUuid(uuid, tenantUuids, userUuid));
  }

  revokeUser(userUuid: string): Promise<Session[]> {
    return this.#announce(this.#deps.sessions.deleteByUser(userUuid));
  }

  revokeByRefreshTokens(refreshTokenUuids: readonly string[]): Promise<Session[]> {
    return this.#announce(this.#deps.sessions.deleteByRefreshTokens(refreshTokenUuids));
  }

  /** Publishes for sessions deleted elsewhere (the expiry purge). */
  announce(sessions: readonly Session[]): void {
    for (const session of sessions) this.#deps.events.publish(sessionDeleted(session));
  }

  async #announce(deletion: Promise<Session[]>): Promise<Session[]> {
    const sessions = await deletion;
    this.announce(sessions);
    return sessions;
  }
}
