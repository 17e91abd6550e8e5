import { digestToken, isTokenShaped } from '../crypto/token-values.ts';
import { DomainError } from '../errors/domain-error.ts';
import { DpopProofError, JtiReplayCache, verifyDpopProof } from '../oauth/dpop/dpop-proof.ts';
import { retryReadOnce } from '../storage/db-errors.ts';
import type { TenantRepository } from '../tenants/tenant-repository.ts';
import type { UserRepository } from '../users/user-repository.ts';
import type { RevocationFeed } from './revocation-feed.ts';
import type { SessionRevoker } from './session-revoker.ts';
import { type AccessToken, CLIENT_AUTH_ID_PREFIX, isExpired, isUuid, SERVER_AUTH_ID } from './token.ts';
import { type CachedToken, type TokenCache, toCachedToken } from './token-cache.ts';
import type { TokenRepository } from './token-repository.ts';

export interface TokenCheckDeps {
  tokens: TokenRepository;
  /** The same repository on fresh connections, for the one retry of a read whose connection died. */
  tokensOnFreshConnection: TokenRepository;
  users: UserRepository;
  tenants: TenantRepository;
  revoker: SessionRevoker;
  cache: TokenCache;
  feed: RevocationFeed;
  now: () => number;
  /** RFC 9449: proof ids seen by this instance, and how old a proof may be (default: its own, 60 s). */
  dpop?: { replay: JtiReplayCache; maxAgeSeconds: number };
}

export type ValidToken = CachedToken;

/** What the cache alone says of a check: 204, 403 or 404. */
export type CachedVerdict = 'valid' | 'forbidden' | 'unknown';

/**
 * What comes with a token besides its value: a DPoP proof (RFC 9449), and the request it must be
 * for when the caller knows it. A bound token is valid only with a proof of its key; for an
 * unbound token all of this is ignored.
 */
export interface DpopPresentation {
  proof: string | undefined;
  method?: string | undefined;
  url?: string | undefined;
}

/** Why a token was refused, for the callers that answer with RFC 6750 / RFC 9449 error codes. */
export type TokenRefusal = 'invalid_token' | 'invalid_dpop_proof';

/**
 * The token checks every service of the platform calls (wazo §3.6): unknown or expired → 404,
 * scope refused → 403, tenant refused → 403. A refresh token is not an access token, so it is
 * simply unknown here (§3.5).
 */
export class TokenCheckService {
  readonly #deps: TokenCheckDeps;
  /**
   * Concurrent misses for one digest share one database read, but only reads started under the
   * current cache generation: a read begun before a revocation may return the revoked row, and a
   * check that starts after the revocation answered must not inherit it (CC-7).
   */
  readonly #inFlight = new Map<string, { generation: number; load: Promise<CachedToken | null> }>();

  readonly #dpop: { replay: JtiReplayCache; maxAgeSeconds: number };

  constructor(deps: TokenCheckDeps) {
    this.#deps = deps;
    this.#dpop = deps.dpop ?? { replay: new JtiReplayCache(), maxAgeSeconds: 60 };
  }

  /**
   * Finds a live token, or null: the hot path of every service of the platform. A digest, one
   * map lookup and, on a miss, one database read. The cache is consulted only while the
   * revocation feed is current; a storage failure propagates (503), it never means "valid".
   */
  async find(value: string, dpop?: DpopPresentation): Promise<ValidToken | null> {
    const found = this.#findLive(value);
    const token = found instanceof Promise ? await found : found;
    // One property read for the unbound tokens of every wazo service: the hot path stays as it was.
    if (token === null || !token.record.dpopJkt) return token;
    return (await this.#proofRefusal(token, value, dpop)) === null ? token : null;
  }

  /**
   * A live token whether or not it is DPoP-bound, without a proof: for introspection (RFC 7662),
   * whose answer carries `cnf.jkt` so that the resource server checks the proof itself (RFC 9449 §6.2).
   */
  async findIgnoringBinding(value: string): Promise<ValidToken | null> {
    return this.#findLive(value);
  }

  /** `find`, telling a refused DPoP proof from an unknown, expired or unproven token. */
  async authenticate(
    value: string,
    dpop?: DpopPresentation,
  ): Promise<{ token: ValidToken } | { refusal: TokenRefusal }> {
    const token = await this.#findLive(value);
    if (token === null) return { refusal: 'invalid_token' };
    if (!token.record.dpopJkt) return { token };
    const refusal = await this.#proofRefusal(token, value, dpop);
    return refusal === null ? { token } : { refusal };
  }

  /** A cache hit answers synchronously: the hot path awaits nothing more than it did before DPoP. */
  #findLive(value: string): ValidToken | null | Promise<ValidToken | null> {
    if (!isTokenShaped(value)) return null;
    const digest = digestToken(value);
    const now = this.#deps.now();
    const trusted = this.#deps.feed.isCurrent(now);
    const cached = trusted ? this.#deps.cache.get(digest, now) : undefined;
    if (cached !== undefined) return cached && !isExpired(cached.record, now) ? cached : null;
    return this.#load(digest, trusted).then((token) =>
      token && !isExpired(token.record, now) ? token : null,
    );
  }

  /**
   * The answer the cache alone gives to `HEAD /token/{t}?scope=`, the question the framework-free
   * fast path asks: 'valid' (204), 'forbidden' (the scope is refused: 403), 'unknown' (a negative
   * entry, or a cached token past its expiry: 404). Null means "let the full path decide" (a miss, a
   * DPoP-bound token, a feed that is not current, a value that is not token-shaped), never a refusal.
   * The full path counts every cached answer as a hit; so does this.
   */
  verdictFromCache(value: string, scope: string | undefined): CachedVerdict | null {
    if (!isTokenShaped(value)) return null;
    const now = this.#deps.now();
    if (!this.#deps.feed.isCurrent(now)) return null;
    const { cache } = this.#deps;
    const token = cache.peek(digestToken(value), now);
    if (token === undefined) return null;
    // A bound token is valid only with a proof, which the full path verifies (RFC 9449 §7).
    if (token?.record.dpopJkt) return null;
    cache.stats.hits += 1;
    if (token === null || isExpired(token.record, now)) return 'unknown';
    return scope === undefined || token.acl().grants(scope) ? 'valid' : 'forbidden';
  }

  /** True when the cache alone proves the token live and granting `scope` (see `verdictFromCache`). */
  grantsFromCache(value: string, scope: string | undefined): boolean {
    return this.verdictFromCache(value, scope) === 'valid';
  }

  #load(digest: string, cacheable: boolean): Promise<CachedToken | null> {
    const { cache } = this.#deps;
    const generation = cache.generation;
    const pending = this.#inFlight.get(digest);
    if (pending !== undefined && pending.generation === generation) return pending.load;
    // A check is a pure read: a backend killed under it is retried once on a fresh connection (FT-3).
    const { tokens, tokensOnFreshConnection } = this.#deps;
    const load = retryReadOnce(
      () => tokens.findByDigest(digest),
      () => tokensOnFreshConnection.findByDigest(digest),
    )
      .then((record) => {
        // A revocation heard while reading may concern this very row: then do not cache it.
        if (cacheable && cache.generation === generation) return cache.set(digest, record, this.#deps.now());
        return record ? toCachedToken(record) : null;
      })
      .finally(() => {
        // A newer read for the same digest may have replaced this one; leave it in place.
        if (this.#inFlight.get(digest)?.load === load) this.#inFlight.delete(digest);
      });
    this.#inFlight.set(digest, { generation, load });
    return load;
  }

  async check(
    value: string,
    query: { scope?: string; tenant?: string },
    dpop?: DpopPresentation,
  ): Promise<AccessToken> {
    const token = await this.#require(value, dpop);
    if (query.scope !== undefined && !token.acl().grants(query.scope)) {
      throw new DomainError('missing-scope', { message: missingScopeMessage(query.scope) });
    }
    if (query.tenant !== undefined) await this.#checkTenant(token.record, query.tenant);
    return token.record;
  }

  async checkScopes(
    value: string,
    scopes: readonly string[],
    tenant?: string,
    dpop?: DpopPresentation,
  ): Promise<Record<string, boolean>> {
    const token = await this.#require(value, dpop);
    const result: Record<string, boolean> = {};
    const acl = token.acl();
    for (const scope of new Set(scopes)) result[scope] = acl.grants(scope);
    if (tenant !== undefined) await this.#checkTenant(token.record, tenant);
    return result;
  }

  /** DELETE /token/{t}: always succeeds, known or not (wazo §3.6, decision D14). */
  async revoke(value: string): Promise<void> {
    if (isTokenShaped(value)) await this.#deps.revoker.revokeToken(digestToken(value));
  }

  /** A bound token without a valid proof is refused as an unknown one: 404, as wazo's invalid token. */
  async #require(value: string, dpop: DpopPresentation | undefined): Promise<ValidToken> {
    const token = await this.find(value, dpop);
    if (!token) throw new DomainError('no-such-token');
    return token;
  }

  /**
   * Null when `dpop` proves possession of the key the token is bound to (RFC 9449 §4.3, §7.1):
   * `ath` is always checked against the token; `htm`/`htu` only when the caller says them.
   */
  async #proofRefusal(
    token: ValidToken,
    value: string,
    dpop: DpopPresentation | undefined,
  ): Promise<TokenRefusal | null> {
    if (!dpop?.proof) return 'invalid_token';
    const { replay, maxAgeSeconds } = this.#dpop;
    const expect = {
      accessToken: value,
      jkt: token.record.dpopJkt ?? undefined,
      nowMs: this.#deps.now(),
      maxAgeSeconds,
      method: dpop.method,
      url: dpop.url,
    };
    try {
      await verifyDpopProof(dpop.proof, expect, replay);
      return null;
    } catch (error) {
      if (error instanceof DpopProofError) return 'invalid_dpop_proof';
      throw error;
    }
  }

  /** The token's user must live in `tenant` or a descendant of it; server tokens pass (wazo §3.8). */
  async #checkTenant(record: AccessToken, tenant: string): Promise<void> {
    if (record.authId === SERVER_AUTH_ID) return;
    const user = isUuid(record.authId) ? await this.#deps.users.getLoginCandidate(record.authId) : null;
    // An OAuth client token (issue #6) belongs to its client's tenant, which is its session's.
    const isClient = record.authId.startsWith(CLIENT_AUTH_ID_PREFIX);
    const home = user?.tenantUuid ?? (isClient ? record.sessionTenantUuid : null);
    const allowed = home !== null && isUuid(tenant) && (await this.#deps.tenants.isInSubtree(home, tenant));
    if (!allowed) throw new DomainError('forbidden-tenant', { message: `Unauthorized for tenant ${tenant}` });
  }
}

/** The message of a refused scope (also sent by the fast path, so both paths say the same). */
export function missingScopeMessage(scope: string): string {
  return `Unauthorized for ${transliterate(scope)}`;
}

/** wazo-auth puts the refused scope in an ASCII-only message; accents are folded, the rest dropped. */
function transliterate(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\x20-\x7e]/g, '');
}
