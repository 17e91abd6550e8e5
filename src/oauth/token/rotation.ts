import type { SecretBox } from '../../crypto/secret-box.ts';
import { digestToken, isTokenShaped, newId, newTokenValue } from '../../crypto/token-values.ts';
import type { OAuthClient } from '../clients/oauth-client.ts';
import type { GrantMatch, GrantRepository, OAuthGrant } from './grant-repository.ts';

export interface RefreshFamiliesDeps {
  grants: GrantRepository;
  secretBox: SecretBox;
  now: () => number;
  /** config oauth.rotation_grace_seconds. */
  graceSeconds: number;
}

export interface NewFamily {
  client: OAuthClient;
  userUuid: string;
  tenantUuid: string;
  scope: readonly string[];
  authTimeMs: number;
  dpopJkt: string | null;
}

/**
 * The successor is sealed with the server key, bound to its grant, so that a grace-window retry
 * can be handed the same value (D3). The prefix keeps these ciphertexts apart from the wazo
 * refresh tokens' ones (bound to a refresh-token uuid) under the same key.
 */
function sealingContext(grantUuid: string): string {
  return `oauth-grant:${grantUuid}`;
}

/**
 * Refresh-token families (D3, RFC 9700 §4.14.2). With rotation each use returns a new token; the
 * one just replaced stays usable during the grace window and yields the same successor (a lost
 * response, two tabs); any older one is reuse, and revokes the family. Concurrent uses of the
 * current token have exactly one winner (the conditional update); the losers find their token
 * is now the previous one and get the winner's successor.
 */
export class RefreshFamilies {
  readonly #deps: RefreshFamiliesDeps;

  constructor(deps: RefreshFamiliesDeps) {
    this.#deps = deps;
  }

  /** A new family, at the first issuance of a user grant; returns its first refresh token. */
  async start(family: NewFamily): Promise<{ grant: OAuthGrant; value: string }> {
    const uuid = newId();
    const value = newTokenValue();
    const now = this.#deps.now();
    const grant: OAuthGrant = {
      uuid,
      clientId: family.client.clientId,
      userUuid: family.userUuid,
      tenantUuid: family.tenantUuid,
      scope: [...family.scope],
      tokenHash: digestToken(value),
      tokenCiphertext: null,
      previousHash: null,
      generation: 1,
      rotatedAtMs: null,
      dpopJkt: family.dpopJkt,
      authTimeMs: family.authTimeMs,
      createdAtMs: now,
      lastUsedAtMs: now,
    };
    await this.#deps.grants.insert(grant);
    return { grant, value };
  }

  /** The family of a presented refresh token; null when it is unknown (nothing to revoke then). */
  locate(value: string): Promise<GrantMatch | null> {
    return isTokenShaped(value) ? this.#deps.grants.locate(digestToken(value)) : Promise.resolve(null);
  }

  /** Presenting this token is reuse: an older token, or the previous one after the grace window. */
  isReuse(match: GrantMatch): boolean {
    if (match.kind === 'retired') return true;
    return match.kind === 'previous' && !this.#withinGrace(match.grant);
  }

  /**
   * Spends a valid presented token and returns the refresh token to hand back: a successor
   * (rotation), the same one (no rotation), or null when a concurrent refresh rotated it first
   * and it is no longer the previous token within the window (no revocation: a benign race).
   */
  async advance(match: GrantMatch, presented: string, client: OAuthClient): Promise<string | null> {
    const { grant } = match;
    if (match.kind === 'previous') return this.#graceAnswer(grant);
    if (client.rotation !== 'rotate') {
      await this.#deps.grants.touch(grant.uuid, this.#deps.now());
      return presented;
    }
    const next = newTokenValue();
    const rotated = await this.#deps.grants.rotate(grant.uuid, {
      presentedHash: grant.tokenHash,
      nextHash: digestToken(next),
      nextCiphertext: this.#deps.secretBox.seal(next, sealingContext(grant.uuid)),
      nowMs: this.#deps.now(),
    });
    if (rotated) return next;
    const reread = await this.#deps.grants.findByUuid(grant.uuid);
    const stillPrevious =
      reread !== null && reread.previousHash === grant.tokenHash && this.#withinGrace(reread);
    return stillPrevious ? this.#graceAnswer(reread) : null;
  }

  async #graceAnswer(grant: OAuthGrant): Promise<string | null> {
    if (!grant.tokenCiphertext) return null;
    const successor = this.#deps.secretBox.open(grant.tokenCiphertext, sealingContext(grant.uuid));
    if (successor !== null) await this.#deps.grants.touch(grant.uuid, this.#deps.now());
    return successor;
  }

  #withinGrace(grant: OAuthGrant): boolean {
    if (grant.rotatedAtMs === null) return false;
    return this.#deps.now() - grant.rotatedAtMs <= this.#deps.graceSeconds * 1000;
  }
}

/** D1: a family past its client's idle or absolute lifetime (0 = none) is dead. */
export function familyExpired(
  grant: Pick<OAuthGrant, 'lastUsedAtMs' | 'createdAtMs'>,
  client: Pick<OAuthClient, 'refreshIdleSeconds' | 'refreshMaxLifetimeSeconds'>,
  nowMs: number,
): boolean {
  const idle = client.refreshIdleSeconds > 0 && nowMs - grant.lastUsedAtMs > client.refreshIdleSeconds * 1000;
  const old =
    client.refreshMaxLifetimeSeconds > 0 &&
    nowMs - grant.createdAtMs > client.refreshMaxLifetimeSeconds * 1000;
  return idle || old;
}
