import { type CompiledAcl, compileAcl } from '../acl/acl-matcher.ts';
import { type AclTemplate, aclTemplate, bindAclTemplate } from '../acl/shared-acl.ts';
import { InternPool } from './intern-pool.ts';
import type { AccessToken } from './token.ts';
import { formatUuid, readDigest, readSession, SESSION_WORDS } from './token-cache-keys.ts';
import {
  CACHED_AT,
  EntryTable,
  EXPIRES_AT,
  ISSUED_AT,
  MOBILE,
  NEGATIVE,
  ODD_SESSION,
  REF_CLIENT,
  REF_HOLDER,
  REFS,
} from './token-cache-table.ts';

/** What a check needs about one token; the ACL is compiled on first use and then kept. */
export interface CachedToken {
  record: AccessToken;
  acl(): CompiledAcl;
}

export interface TokenCacheOptions {
  maxEntries: number;
  /** Entries older than this are read again from the database. */
  maxAgeMs: number;
  /** Unknown digests are remembered this long (a token made later has a different digest anyway). */
  negativeMaxAgeMs: number;
  /** Entries the table has room for before it first grows (tests); see EntryTable. */
  initialCapacity?: number;
}

export interface CacheStats {
  hits: number;
  misses: number;
  evictions: number;
  flushes: number;
}

/** What the tokens of one user with one ACL share: kept once, however many sessions they have. */
interface Holder {
  authId: string;
  tenant: string;
  pbxUserUuid: string | null;
  xivoUuid: string | null;
  metadata: Record<string, unknown>;
  template: AclTemplate;
  templateRef: number;
}

/** What the tokens of one client (device, refresh token, DPoP key) share. */
interface Client {
  userAgent: string;
  remoteAddr: string;
  refreshTokenUuid: string | null;
  /** `dpopJkt` as the record had it; `absent`: the record had no such property. */
  dpopJkt: string | null | undefined;
  absent: boolean;
}
/**
 * Tokens recently stored or hit keep their object form, so the hot set of a busy platform is
 * answered without rebuilding anything and a holder-specific ACL compiled once stays compiled.
 * Direct-mapped by entry id (a power of two): O(1) whatever the access pattern, no Map churn.
 */
const VIEW_SLOTS = 16_384;

/**
 * The bounded in-process cache of the token check (architecture §1, issue #4): digest → token
 * with its compiled ACL, plus a session index so revocations, which are known by session, can
 * evict. It never decides validity on its own: expiry is checked by the caller at every use, and
 * entries past their maximum age are treated as absent.
 *
 * A million entries must fit in a few hundred MB, so an entry is a row of typed-array columns
 * (`EntryTable`: binary digest and session, times, flags) with two references into
 * reference-counted pools: its holder (user, tenant, metadata, ACL) and its client (user agent,
 * address, refresh token, DPoP key); a hit rebuilds the token from them (no database read,
 * GET /token/{t} included), and recently used tokens stay built (VIEW_SLOTS).
 */
export class TokenCache {
  readonly #options: TokenCacheOptions;
  readonly #table: EntryTable;
  readonly #clients = new InternPool<Client>();
  readonly #holders = new InternPool<Holder>();
  /** Tokens with the same ACL entries share one compiled template (and one entries array). */
  readonly #templates = new InternPool<AclTemplate>();
  /** Session texts that are not canonical UUIDs (their table words are only a hash). */
  readonly #oddSessions = new Map<number, string>();
  readonly #views: (CachedToken | undefined)[] = new Array(VIEW_SLOTS).fill(undefined);
  /** The entry id each view slot holds (-1: none). */
  readonly #viewIds = new Int32Array(VIEW_SLOTS).fill(-1);
  readonly stats: CacheStats = { hits: 0, misses: 0, evictions: 0, flushes: 0 };
  /** Bumped by every revocation and flush; a read that started under an older one is not cached. */
  generation = 0;

  constructor(options: TokenCacheOptions) {
    this.#options = options;
    this.#table = new EntryTable(options.maxEntries, options.initialCapacity);
  }

  get size(): number {
    return this.#table.size;
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
    const table = this.#table;
    if (table.size === 0) return undefined;
    readDigest(digest, table.probe, 0);
    const id = table.findDigest();
    if (id < 0) return undefined;
    const negative = ((table.flags[id] as number) & NEGATIVE) !== 0;
    const maxAge = negative ? this.#options.negativeMaxAgeMs : this.#options.maxAgeMs;
    if (nowMs - (table.times[id * 3 + CACHED_AT] as number) > maxAge) {
      this.#delete(id);
      return undefined;
    }
    if (negative) return null;
    const slot = id & (VIEW_SLOTS - 1);
    const view = this.#viewIds[slot] === id ? this.#views[slot] : undefined;
    return view ?? this.#remember(id, this.#rebuild(id, digest));
  }

  set(digest: string, record: AccessToken | null, nowMs: number): CachedToken | null {
    if (this.#options.maxEntries <= 0) return record ? toCachedToken(record) : null;
    const table = this.#table;
    readDigest(digest, table.probe, 0);
    const previous = table.findDigest();
    if (previous >= 0) this.#delete(previous);
    while (table.size >= this.#options.maxEntries) this.#evictOldest();
    if (record === null) {
      table.add(NEGATIVE, nowMs);
      return null;
    }
    const canonical = readSession(record.sessionUuid, table.sessionProbe, 0);
    const id = table.add((record.mobile ? MOBILE : 0) | (canonical ? 0 : ODD_SESSION), nowMs);
    if (!canonical) this.#oddSessions.set(id, record.sessionUuid);
    table.times[id * 3 + ISSUED_AT] = record.issuedAtMs;
    table.times[id * 3 + EXPIRES_AT] = record.expiresAtMs;
    const holder = this.#storeRefs(id, record);
    // The caller's record becomes the cached one: its shared parts are the pooled instances.
    record.acl = holder.template.entries as string[];
    record.authId = holder.authId;
    record.sessionTenantUuid = holder.tenant;
    record.pbxUserUuid = holder.pbxUserUuid;
    record.xivoUuid = holder.xivoUuid;
    record.metadata = holder.metadata;
    const client = this.#clients.value(table.refs[id * REFS + REF_CLIENT] as number);
    record.userAgent = client.userAgent;
    record.remoteAddr = client.remoteAddr;
    record.refreshTokenUuid = client.refreshTokenUuid;
    return this.#remember(id, new CompactToken(record, holder.template));
  }

  /** Drops the tokens of these sessions (their sessions were deleted here or on another instance). */
  evictSessions(sessionUuids: Iterable<string>): void {
    this.generation += 1;
    const table = this.#table;
    for (const sessionUuid of sessionUuids) {
      if (table.size === 0) continue;
      const canonical = readSession(sessionUuid, table.sessionProbe, 0);
      for (let id = table.findSession(); id >= 0; ) {
        const next = table.nextOfSession(id);
        if (canonical || this.#oddSessions.get(id) === sessionUuid) this.#delete(id);
        id = next;
      }
    }
  }

  /** Forgets everything: used when revocations may have been missed. */
  flush(): void {
    this.generation += 1;
    this.#table.clear();
    this.#clients.clear();
    this.#holders.clear();
    this.#templates.clear();
    this.#oddSessions.clear();
    this.#views.fill(undefined);
    this.#viewIds.fill(-1);
    this.stats.flushes += 1;
  }

  #storeRefs(id: number, record: AccessToken): Holder {
    const refs = this.#table.refs;
    const holderRef = this.#holder(record);
    refs[id * REFS + REF_HOLDER] = holderRef;
    refs[id * REFS + REF_CLIENT] = this.#client(record);
    return this.#holders.value(holderRef);
  }

  #client(record: AccessToken): number {
    const { userAgent, remoteAddr, refreshTokenUuid, dpopJkt } = record;
    const absent = !('dpopJkt' in record);
    const jkt = absent ? 0 : dpopJkt === undefined ? 1 : dpopJkt;
    const key = JSON.stringify([userAgent, remoteAddr, refreshTokenUuid, jkt]);
    return this.#clients.acquire(key, () => ({ userAgent, remoteAddr, refreshTokenUuid, dpopJkt, absent }));
  }

  #holder(record: AccessToken): number {
    const acl = record.acl;
    const templateRef = this.#templates.acquire(JSON.stringify(acl), () => aclTemplate(acl));
    const { authId, sessionTenantUuid: tenant, pbxUserUuid, xivoUuid, metadata } = record;
    const key = JSON.stringify([authId, tenant, pbxUserUuid, xivoUuid, templateRef, metadata]);
    let created = false;
    const holderRef = this.#holders.acquire(key, () => {
      created = true;
      const template = this.#templates.value(templateRef);
      // Shared by every token of the holder: frozen so that no reader can change another's.
      const shared = Object.freeze(JSON.parse(JSON.stringify(metadata)) as Record<string, unknown>);
      return { authId, tenant, pbxUserUuid, xivoUuid, metadata: shared, template, templateRef };
    });
    if (!created) this.#templates.release(templateRef);
    return holderRef;
  }

  #rebuild(id: number, digest: string): CachedToken {
    const table = this.#table;
    const at = id * REFS;
    const refs = table.refs;
    const flags = table.flags[id] as number;
    const holder = this.#holders.value(refs[at + REF_HOLDER] as number);
    const client = this.#clients.value(refs[at + REF_CLIENT] as number);
    const record: AccessToken = {
      digest,
      sessionUuid:
        (flags & ODD_SESSION) === 0
          ? formatUuid(table.sessions, id * SESSION_WORDS)
          : (this.#oddSessions.get(id) as string),
      sessionTenantUuid: holder.tenant,
      mobile: (flags & MOBILE) !== 0,
      authId: holder.authId,
      pbxUserUuid: holder.pbxUserUuid,
      xivoUuid: holder.xivoUuid,
      issuedAtMs: table.times[id * 3 + ISSUED_AT] as number,
      expiresAtMs: table.times[id * 3 + EXPIRES_AT] as number,
      metadata: holder.metadata,
      userAgent: client.userAgent,
      remoteAddr: client.remoteAddr,
      acl: holder.template.entries as string[],
      refreshTokenUuid: client.refreshTokenUuid,
    };
    if (!client.absent) record.dpopJkt = client.dpopJkt;
    return new CompactToken(record, holder.template);
  }

  #remember(id: number, token: CachedToken): CachedToken {
    const slot = id & (VIEW_SLOTS - 1);
    this.#viewIds[slot] = id;
    this.#views[slot] = token;
    return token;
  }

  /** Insertion order approximates age well enough; hits do not reorder, which keeps them cheap. */
  #evictOldest(): void {
    const oldest = this.#table.oldest;
    if (oldest < 0) return;
    this.#delete(oldest);
    this.stats.evictions += 1;
  }

  #delete(id: number): void {
    const table = this.#table;
    const flags = table.flags[id] as number;
    if ((flags & NEGATIVE) === 0) {
      const at = id * REFS;
      const refs = table.refs;
      const holder = this.#holders.release(refs[at + REF_HOLDER] as number);
      if (holder !== undefined) this.#templates.release(holder.templateRef);
      this.#clients.release(refs[at + REF_CLIENT] as number);
      if ((flags & ODD_SESSION) !== 0) this.#oddSessions.delete(id);
    }
    const slot = id & (VIEW_SLOTS - 1);
    if (this.#viewIds[slot] === id) {
      this.#viewIds[slot] = -1;
      this.#views[slot] = undefined;
    }
    table.remove(id);
  }
}

/** A cached token in object form; its ACL is bound to the holder on first use. */
class CompactToken implements CachedToken {
  readonly record: AccessToken;
  readonly #template: AclTemplate;
  #acl: CompiledAcl | null = null;

  constructor(record: AccessToken, template: AclTemplate) {
    this.record = record;
    this.#template = template;
  }

  acl(): CompiledAcl {
    this.#acl ??= bindAclTemplate(this.#template, {
      authId: this.record.authId,
      sessionUuid: this.record.sessionUuid,
    });
    return this.#acl;
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
