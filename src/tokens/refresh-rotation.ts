import type { SecretBox } from '../crypto/secret-box.ts';
import { digestToken, newTokenValue } from '../crypto/token-values.ts';
import { refreshTokenDeleted } from '../events/auth-events.ts';
import type { EventSink } from '../events/event-sink.ts';
import type { LoginCandidate } from '../users/user.ts';
import type { RefreshRotationRepository } from './refresh-rotation-repository.ts';
import type { RefreshTokenRepository } from './refresh-token-repository.ts';
import type { SessionRevoker } from './session-revoker.ts';
import type { RefreshToken } from './token.ts';

export interface RefreshRotationDeps {
  rotations: RefreshRotationRepository;
  refreshTokens: RefreshTokenRepository;
  revoker: SessionRevoker;
  events: EventSink;
  secretBox: SecretBox;
  now: () => number;
  /** config refresh_tokens.rotate_client_ids. */
  clientIds: readonly string[];
  /** config refresh_tokens.rotation_grace_seconds. */
  graceSeconds: number;
}

/** How a presented value relates to a rotating refresh token. */
export type RotationMatch =
  | { kind: 'current'; token: RefreshToken; user: LoginCandidate }
  | { kind: 'previous'; token: RefreshToken; user: LoginCandidate }
  | { kind: 'reuse'; token: RefreshToken };

/**
 * Opt-in rotation of wazo refresh tokens per client_id (D3, RFC 9700 §4.14.2), the idea of the
 * OAuth families (oauth/token/rotation.ts) on the wazo rows: each refresh login of a listed
 * client_id replaces the value in place; the value just replaced still works during the grace
 * window and answers the same successor (a lost response, parallel requests); any older one is
 * reuse, and deletes the refresh token and ends its sessions. An unknown value revokes nothing.
 * The current value is kept sealed in token_ciphertext (as for D2) so the grace answer and an
 * offline re-login can hand it back.
 */
export class RefreshRotation {
  readonly #deps: RefreshRotationDeps;
  readonly #clientIds: ReadonlySet<string>;

  constructor(deps: RefreshRotationDeps) {
    this.#deps = deps;
    this.#clientIds = new Set(deps.clientIds);
  }

  appliesTo(clientId: string): boolean {
    return this.#clientIds.has(clientId);
  }

  /** A value that is not the current one: the previous one (within grace or not), a retired one, or unknown. */
  async locateOlder(digest: string, clientId: string): Promise<RotationMatch | null> {
    const previous = await this.#deps.rotations.findByPrevious(digest, clientId);
    if (previous) {
      return this.#withinGrace(previous.rotatedAtMs)
        ? { kind: 'previous', token: previous.token, user: previous.user }
        : { kind: 'reuse', token: previous.token };
    }
    const retired = await this.#deps.rotations.findRetiredOwner(digest, clientId);
    return retired ? { kind: 'reuse', token: retired } : null;
  }

  /**
   * Spends a valid presented value; returns the refresh token to hand back: a successor for the
   * current value, the same successor for the previous one, or null when a concurrent refresh
   * rotated it first and the grace no longer covers it (refused, nothing revoked: a benign race).
   */
  async advance(match: RotationMatch, presentedDigest: string): Promise<string | null> {
    const { token } = match;
    if (match.kind === 'previous') return this.#graceAnswer(token.uuid, presentedDigest);
    const next = newTokenValue();
    const rotated = await this.#deps.rotations.rotate(token.uuid, {
      presentedHash: presentedDigest,
      nextHash: digestToken(next),
      nextCiphertext: this.#deps.secretBox.seal(next, token.uuid),
      nowMs: this.#deps.now(),
    });
    return rotated ? next : this.#graceAnswer(token.uuid, presentedDigest);
  }

  /** Reuse: the refresh token is deleted and its sessions end on every instance (B2, B13, S-RT-3). */
  async revoke(token: RefreshToken): Promise<void> {
    await this.#deps.revoker.revokeByRefreshTokens([token.uuid]);
    const deleted = await this.#deps.refreshTokens.deleteByUuids([token.uuid]);
    if (deleted.length > 0) this.#deps.events.publish(refreshTokenDeleted(token));
  }

  async #graceAnswer(uuid: string, presentedDigest: string): Promise<string | null> {
    const state = await this.#deps.rotations.state(uuid);
    if (!state || state.previousHash !== presentedDigest || !this.#withinGrace(state.rotatedAtMs))
      return null;
    return state.ciphertext ? this.#deps.secretBox.open(state.ciphertext, uuid) : null;
  }

  #withinGrace(rotatedAtMs: number | null): boolean {
    if (rotatedAtMs === null) return false;
    return this.#deps.now() - rotatedAtMs <= this.#deps.graceSeconds * 1000;
  }
}
