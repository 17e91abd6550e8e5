// The data the benchmark loads: a realistic 20-entry ACL, and live tokens written straight into the
// database in the shape TokenRepository.insertWithSession writes them (one session per token, the
// SHA-256 of the value as key, ACL and metadata as JSON text, millisecond times). Token values are
// derived from a per-run salt and an index, in SQL, so millions of rows load in a few statements
// and the benchmark can recompute any value.
import { createHash, randomUUID } from 'node:crypto';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { compileAcl } from '../src/acl/acl-matcher.ts';
import { digestToken } from '../src/crypto/token-values.ts';

/** A telephony user's ACL as a Wazo stack grants it: `*`, `#`, reserved words and two `!` exclusions. */
export const ACL: readonly string[] = [
  'auth.users.me.read',
  'auth.users.me.update',
  'auth.users.me.password.update',
  'auth.users.me.tokens.*.delete',
  'auth.users.me.sessions.#',
  'confd.users.me.read',
  'confd.users.me.*.read',
  'confd.users.me.funckeys.#',
  'calld.users.me.#',
  '!calld.users.me.calls.*.delete',
  'chatd.users.me.#',
  'dird.directories.favorites.#',
  'dird.directories.lookup.*.read',
  'dird.directories.personal.*.read',
  'webhookd.users.me.subscriptions.#',
  'agentd.agents.me.#',
  'call-logd.users.me.cdr.read',
  'amid.action.*.create',
  '!amid.action.Command.create',
  'websocketd',
];

/** Scopes the ACL grants; `{me}` stands for the token's auth_id, as services send it. */
export const GRANTED_SCOPES: readonly string[] = [
  'confd.users.{me}.read',
  'confd.users.{me}.lines.read',
  'calld.users.{me}.calls.read',
  'chatd.users.me.rooms.messages.create',
  'dird.directories.lookup.default.read',
  'amid.action.QueueStatus.create',
  'auth.users.{me}.sessions.read',
  'websocketd',
];

/** Scopes the ACL refuses: two hit a `!` entry, two are simply not granted. */
export const REFUSED_SCOPES: readonly string[] = [
  'amid.action.Command.create',
  'calld.users.{me}.calls.1234.delete',
  'confd.users.read',
  'auth.tenants.read',
];

export const USERS_PER_TOKEN_SET = 1000;

/**
 * The deterministic tokens of one run. Token number i is `<per-run prefix>-<i in 12 hex digits>`:
 * UUID-shaped like real tokens, cheap to recompute here and in SQL. Gatehouse keys tokens by their
 * SHA-256, so shared prefixes change nothing to its lookups.
 */
export class TokenSet {
  readonly salt: string;
  readonly #authIds: string[] = [];

  constructor(salt: string) {
    this.salt = salt;
  }

  value(i: number): string {
    return benchUuid(this.salt, 't', i);
  }

  authId(i: number): string {
    const user = i % USERS_PER_TOKEN_SET;
    this.#authIds[user] ??= benchUuid(this.salt, 'u', user);
    return this.#authIds[user];
  }

  scope(i: number, template: string): string {
    return template.replaceAll('{me}', this.authId(i));
  }
}

const prefixes = new Map<string, string>();

/** `kind` and `salt` make the prefix (8-4-4-4 hex digits of an md5); the last group is i in hex. */
export function benchUuid(salt: string, kind: string, i: number): string {
  const key = `${salt}:${kind}`;
  let prefix = prefixes.get(key);
  if (prefix === undefined) {
    const h = createHash('md5').update(key).digest('hex');
    prefix = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-`;
    prefixes.set(key, prefix);
  }
  return prefix + i.toString(16).padStart(12, '0');
}

/** Fails fast if the scope lists do not mean what the scenarios assume of them. */
export function assertScopesMatchAcl(tokens: TokenSet): void {
  const acl = compileAcl([...ACL], { authId: tokens.authId(0), sessionUuid: null });
  for (const scope of GRANTED_SCOPES) {
    if (!acl.grants(tokens.scope(0, scope))) throw new Error(`ACL should grant ${scope}`);
  }
  for (const scope of REFUSED_SCOPES) {
    if (acl.grants(tokens.scope(0, scope))) throw new Error(`ACL should refuse ${scope}`);
  }
}

/** What every seeded token row shares. */
interface TokenRowConstants {
  tenantUuid: string;
  nowMs: number;
  expiresAtMs: number;
  aclJson: string;
}

/** A plain connection to the database Gatehouse uses, with `?` placeholders on both engines. */
export interface SeedDb {
  readonly dialect: 'sqlite' | 'postgres';
  run(text: string, params?: unknown[]): Promise<void>;
  rows<T>(text: string, params?: unknown[]): Promise<T[]>;
  /** Tokens number first to last (inclusive) with their sessions, in one transaction. */
  insertTokens(first: number, last: number, row: TokenRowConstants): Promise<void>;
  close(): Promise<void>;
}

export async function openSeedDb(url: string, salt: string): Promise<SeedDb> {
  if (!/^[0-9a-f]+$/.test(salt)) throw new Error('salt must be hex');
  return url.startsWith('sqlite:') ? openSqlite(url.slice('sqlite:'.length), salt) : openPostgres(url, salt);
}

const INSERT_SESSION = `insert into auth_session (uuid, tenant_uuid, user_uuid, mobile, created_at)
  values (?, ?, ?, 0, ?)`;
const INSERT_TOKEN = `insert into auth_token (token_hash, session_uuid, auth_id, pbx_user_uuid, xivo_uuid,
  issued_at_ms, expires_at_ms, metadata, user_agent, remote_addr, acl, refresh_token_uuid, expire_soon_notified)
  values (?, ?, ?, ?, null, ?, ?, ?, 'gatehouse-bench', '127.0.0.1', ?, null, 0)`;

/** SQLite: rows computed here and written through two prepared statements (SQL functions cost more). */
function openSqlite(path: string, salt: string): SeedDb {
  const db = new SQLite(path);
  db.pragma('busy_timeout = 10000');
  db.pragma('cache_size = -512000');
  db.pragma('synchronous = NORMAL');
  const tokens = new TokenSet(salt);
  const insertBatch = db.transaction((first: number, last: number, row: TokenRowConstants) => {
    const session = db.prepare(INSERT_SESSION);
    const token = db.prepare(INSERT_TOKEN);
    for (let i = first; i <= last; i++) {
      const value = tokens.value(i);
      const sessionUuid = benchUuid(salt, 's', i);
      const u = tokens.authId(i);
      session.run(sessionUuid, row.tenantUuid, u, row.nowMs);
      const metadata = `{"uuid":"${u}","tenant_uuid":"${row.tenantUuid}","auth_id":"${u}","pbx_user_uuid":"${u}","xivo_uuid":null,"purpose":"user"}`;
      token.run(digestToken(value), sessionUuid, u, u, row.nowMs, row.expiresAtMs, metadata, row.aclJson);
    }
  });
  return {
    dialect: 'sqlite',
    run: async (text, params = []) => {
      db.prepare(text).run(...params);
    },
    rows: async <T>(text: string, params: unknown[] = []) => db.prepare(text).all(...params) as T[],
    insertTokens: async (first, last, row) => insertBatch(first, last, row),
    close: async () => {
      db.close();
    },
  };
}

/** PostgreSQL: rows generated by the server from generate_series, with the same md5/sha256 recipe. */
async function openPostgres(url: string, salt: string): Promise<SeedDb> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const numbered = (text: string) => {
    let n = 0;
    return text.replace(/\?/g, () => `$${++n}`);
  };
  await client.query(`create or replace function bench_uuid(kind text, i bigint) returns text
    language sql immutable parallel safe as $f$
      select substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-' || substr(h, 13, 4) || '-' ||
             substr(h, 17, 4) || '-' || lpad(to_hex(i), 12, '0')
      from md5('${salt}:' || kind) as h
    $f$`);
  const run = async (text: string, params: unknown[] = []) => {
    await client.query(numbered(text), params);
  };
  return {
    dialect: 'postgres',
    run,
    rows: async <T>(text: string, params: unknown[] = []) =>
      (await client.query(numbered(text), params)).rows as T[],
    insertTokens: async (first, last, row) => {
      await run('begin');
      await run(PG_INSERT_SESSIONS, [first, last, row.tenantUuid, row.nowMs]);
      await run(PG_INSERT_TOKENS, [first, last, row.nowMs, row.expiresAtMs, row.tenantUuid, row.aclJson]);
      await run('commit');
    },
    close: () => client.end(),
  };
}

const PG_SERIES = 'with n(i) as (select generate_series(cast(? as bigint), cast(? as bigint)))';
const PG_INSERT_SESSIONS = `${PG_SERIES}
  insert into auth_session (uuid, tenant_uuid, user_uuid, mobile, created_at)
  select bench_uuid('s', i), cast(? as text), bench_uuid('u', i % ${USERS_PER_TOKEN_SET}), false, cast(? as bigint)
  from n`;
const PG_INSERT_TOKENS = `${PG_SERIES}
  insert into auth_token (token_hash, session_uuid, auth_id, pbx_user_uuid, xivo_uuid, issued_at_ms,
    expires_at_ms, metadata, user_agent, remote_addr, acl, refresh_token_uuid, expire_soon_notified)
  select encode(sha256(convert_to(bench_uuid('t', i), 'UTF8')), 'hex'), bench_uuid('s', i), u, u, null,
    cast(? as bigint), cast(? as bigint),
    '{"uuid":"' || u || '","tenant_uuid":"' || cast(? as text) || '","auth_id":"' || u ||
      '","pbx_user_uuid":"' || u || '","xivo_uuid":null,"purpose":"user"}',
    'gatehouse-bench', '127.0.0.1', cast(? as text), null, false
  from (select i, bench_uuid('u', i % ${USERS_PER_TOKEN_SET}) as u from n) as x`;

export async function topTenantUuid(db: SeedDb): Promise<string> {
  const [row] = await db.rows<{ uuid: string }>('select uuid from auth_tenant where uuid = parent_uuid');
  if (!row) throw new Error('no top tenant: Gatehouse has not provisioned the database');
  return row.uuid;
}

/** Creates a policy holding ACL and links it to these users, as the policy API would. */
export async function attachAclPolicy(db: SeedDb, tenantUuid: string, userUuids: string[]): Promise<void> {
  const policy = randomUUID();
  await db.run(
    `insert into auth_policy (uuid, name, slug, description, tenant_uuid, config_managed, shared)
     values (?, ?, ?, ?, ?, false, false)`,
    [policy, 'bench-user', 'bench-user', 'benchmark telephony user', tenantUuid],
  );
  for (const access of ACL) {
    await db.run('insert into auth_policy_access (policy_uuid, access) values (?, ?)', [policy, access]);
  }
  for (const user of userUuids) {
    await db.run('insert into auth_user_policy (user_uuid, policy_uuid) values (?, ?)', [user, policy]);
  }
}

const BATCH = 50_000;
const LIFETIME_MS = 24 * 3600 * 1000;

/** Writes tokens number `from` to `to - 1`, with their sessions, in transactions of 50,000 rows. */
export async function seedTokens(
  db: SeedDb,
  tenantUuid: string,
  range: { from: number; to: number },
  progress?: (done: number) => void,
): Promise<void> {
  const nowMs = Date.now();
  const row = { tenantUuid, nowMs, expiresAtMs: nowMs + LIFETIME_MS, aclJson: JSON.stringify(ACL) };
  for (let start = range.from; start < range.to; start += BATCH) {
    const last = Math.min(start + BATCH, range.to) - 1;
    await db.insertTokens(start, last, row);
    progress?.(last + 1 - range.from);
  }
}
