import { type CompiledAcl, compileAcl } from '../acl/acl-matcher.ts';
import { AclTemplates } from '../acl/shared-acl.ts';
import type { AccessToken } from './token.ts';

/** What a check needs about one token; the ACL is compiled on first use and then kept. */
export interface CachedToken {
  record: AccessToken;
  acl(): CompiledAcl;
}

interface Entry {
  /** null: the digest is known not to exist (unknown tokens are cheap to refuse again). */
  token: CachedToken | null;
  cachedAtMs: number;
}

export interface TokenCacheOptions {
  maxEntries: number;
  /** Entries older than this are read again from the database. */
  maxAgeMs: number;
  /** Unknown digests are remembered this long (a token made later has a different digest anyway). */
  negativeMaxAgeMs: number;
}

export interface CacheStats {
  hits: number;
  misses: number;
  evictions: number;
  flushes: number;
}

/**
 * The bounded in-process cache of the token check (architecture §1, issue #4): digest → token
 * with its compiled ACL, plus a session index so revocations, which are known by session, can
 * evict. It never decides validity on its own: expiry is checked by the caller at every use, and
 * entries past their maximum age are treated as absent.
 */
export class TokenCache {
  readonly #options: TokenCacheOptions;
  readonly #entries = new Map<string, Entry>();
  readonly #digestBySession = new Map<string, string>();
  readonly stats: CacheStats = { hits: 0, misses: 0, evictions: 0, flushes: 0 };
  /** Tokens with the same ACL entries share one compiled ACL (and one entries array). */
  readonly #aclTemplates = new AclTemplates();
  readonly #strings = new StringPool(10_000);
  /** Bumped by every revocation and flush; a read that started under an older one is not cached. */
  generation = 0;

  constructor(options: TokenCacheOptions) {
    this.#options = options;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The cached answer for a digest: a token, null for "known unknown", undefined for "ask the database". */
  get(digest: string, nowMs: number): CachedToken | null | undefined {
    const token = this.peek(digest, nowMs);
    if (token === undefined) this.stats.misses += 1;
    else this.stats.hits += 1;
    return token;
  }

  /** `get` without counting: for a caller that may hand the request on to one that will count it. */
  peek(digest: string, nowMs: number): CachedToken | null | undefined {
    const entry = this.#entries.get(digest);
    if (entry === undefined) return undefined;
    const maxAge = entry.token ? this.#options.maxAgeMs : this.#options.negativeMaxAgeMs;
    if (nowMs - entry.cachedAtMs > maxAge) {
      this.#delete(digest, entry);
      return undefined;
    }
    return entry.token;
  }

  set(digest: string, record: AccessToken | null, nowMs: number): CachedToken | null {
    if (this.#options.maxEntries <= 0) return record ? toCachedToken(record) : null;
    const previous = this.#entries.get(digest);
    if (previous) this.#delete(digest, previous);
    while (this.#entries.size >= this.#options.maxEntries) this.#evictOldest();
    const token = record ? this.#shared(record) : null;
    this.#entries.set(digest, { token, cachedAtMs: nowMs });
    if (record) this.#digestBySession.set(record.sessionUuid, digest);
    return token;
  }

  /** Drops the tokens of these sessions (their sessions were deleted here or on another instance). */
  evictSessions(sessionUuids: Iterable<string>): void {
    this.generation += 1;
    for (const sessionUuid of sessionUuids) {
      const digest = this.#digestBySession.get(sessionUuid);
      const entry = digest === undefined ? undefined : this.#entries.get(digest);
      if (digest !== undefined && entry) this.#delete(digest, entry);
      this.#digestBySession.delete(sessionUuid);
    }
  }

  /** Forgets everything: used when revocations may have been missed. */
  flush(): void {
    this.generation += 1;
    this.#entries.clear();
    this.#digestBySession.clear();
    this.stats.flushes += 1;
  }

  #shared(record: AccessToken): CachedToken {
    const { entries, acl } = this.#aclTemplates.forHolder(record.acl, {
      authId: record.authId,
      sessionUuid: record.sessionUuid,
    });
    // Read-only from here on: the array is shared by every cached token with the same entries.
    record.acl = entries as string[];
    this.#shareStrings(record);
    return { record, acl: () => acl };
  }

  /**
   * Every row read brings its own copy of strings that repeat across tokens (the user's id three
   * times over, tenant, user agent); one instance of each keeps a cached token near 1 KB.
   */
  #shareStrings(record: AccessToken): void {
    const pool = this.#strings;
    const own = (value: string) => (value === record.authId ? record.authId : pool.intern(value));
    record.sessionTenantUuid = pool.intern(record.sessionTenantUuid);
    if (record.pbxUserUuid !== null) record.pbxUserUuid = own(record.pbxUserUuid);
    if (record.xivoUuid !== null) record.xivoUuid = pool.intern(record.xivoUuid);
    record.userAgent = pool.intern(record.userAgent);
    record.remoteAddr = pool.intern(record.remoteAddr);
    // The tokens of one DPoP client share its key's thumbprint.
    if (record.dpopJkt) record.dpopJkt = pool.intern(record.dpopJkt);
    for (const [key, value] of Object.entries(record.metadata)) {
      if (typeof value === 'string') record.metadata[key] = own(value);
    }
  }

  /** Insertion order approximates age well enough; hits do not reorder, which keeps them cheap. */
  #evictOldest(): void {
    const oldest = this.#entries.keys().next();
    if (oldest.done) return;
    const entry = this.#entries.get(oldest.value);
    if (entry) this.#delete(oldest.value, entry);
    this.stats.evictions += 1;
  }

  #delete(digest: string, entry: Entry): void {
    this.#entries.delete(digest);
    if (entry.token) this.#digestBySession.delete(entry.token.record.sessionUuid);
  }
}

export function toCachedToken(record: AccessToken): CachedToken {
  let compiled: CompiledAcl | null = null;
  return {
    record,
    acl: () => {
      compiled ??= compileAcl(record.acl, { authId: record.authId, sessionUuid: record.sessionUuid });
      return compiled;
    },
  };
}

/** One shared instance per distinct short string, up to a bound (then it starts over). */
class StringPool {
  readonly #values = new Map<string, string>();
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  intern(value: string): string {
    const known = this.#values.get(value);
    if (known !== undefined) return known;
    if (this.#values.size >= this.#max) this.#values.clear();
    this.#values.set(value, value);
    return value;
  }
}
