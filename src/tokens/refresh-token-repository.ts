import { sql } from 'kysely';
import { type ListParams, searchPattern } from '../http/list-query.ts';
import type { Db } from '../storage/database.ts';
import type { WriteRunner } from '../storage/group-commit.ts';
import { decodeJsonObject, decodeStringList, encodeJson } from '../storage/json-codec.ts';
import { paginate } from '../storage/pagination.ts';
import { toBool } from '../storage/tables.ts';
import type { RefreshToken } from './token.ts';

export interface NewRefreshToken extends Omit<RefreshToken, 'tenantUuid' | 'lastUsedAtMs'> {
  digest: string;
}

export interface RefreshTokenFilters {
  client_id?: string;
  mobile?: boolean;
  created_at?: string;
}

function joinedWithUser(db: Db) {
  return db.selectFrom('auth_refresh_token as r').innerJoin('auth_user as u', 'u.uuid', 'r.user_uuid');
}

type Query = ReturnType<typeof joinedWithUser>;

const COLUMNS = [
  'r.uuid',
  'r.client_id',
  'r.user_uuid',
  'u.tenant_uuid',
  'r.backend',
  'r.login',
  'r.user_agent',
  'r.remote_addr',
  'r.mobile',
  'r.metadata',
  'r.created_at',
  'r.last_used_at',
  'r.token_ciphertext',
  'r.acl',
] as const;

/** Refresh tokens: one per (user, client_id), looked up by digest, never listed with their value. */
export class RefreshTokenRepository {
  readonly #db: Db;
  readonly #writes: WriteRunner;

  constructor(db: Db, writes: WriteRunner) {
    this.#db = db;
    this.#writes = writes;
  }

  #select() {
    return joinedWithUser(this.#db).select(COLUMNS);
  }

  /** A refresh login needs both the value and the client_id it was made for (wazo §3.4.4). */
  async findByDigest(digest: string, clientId: string): Promise<RefreshToken | null> {
    const row = await this.#select()
      .where('r.token_hash', '=', digest)
      .where('r.client_id', '=', clientId)
      .executeTakeFirst();
    return row ? toRefreshToken(row) : null;
  }

  async findForUser(userUuid: string, clientId: string): Promise<RefreshToken | null> {
    const row = await this.#select()
      .where('r.user_uuid', '=', userUuid)
      .where('r.client_id', '=', clientId)
      .executeTakeFirst();
    return row ? toRefreshToken(row) : null;
  }

  async listMobileOfUser(userUuid: string): Promise<RefreshToken[]> {
    const rows = await this.#select()
      .where('r.user_uuid', '=', userUuid)
      .where('r.mobile', '=', true)
      .execute();
    return rows.map(toRefreshToken);
  }

  /** Inserts unless (user, client_id) already has one; returns whether this call inserted it. */
  async insertIfAbsent(token: NewRefreshToken): Promise<boolean> {
    const inserted = await this.#db
      .insertInto('auth_refresh_token')
      .values({
        uuid: token.uuid,
        token_hash: token.digest,
        token_ciphertext: token.ciphertext,
        client_id: token.clientId,
        user_uuid: token.userUuid,
        backend: token.backend,
        login: token.login,
        user_agent: token.userAgent,
        remote_addr: token.remoteAddr,
        mobile: token.mobile,
        metadata: encodeJson(token.metadata),
        created_at: token.createdAtMs,
        last_used_at: null,
        acl: token.acl === null ? null : encodeJson(token.acl),
      })
      .onConflict((oc) => oc.doNothing())
      .returning('uuid')
      .execute();
    return inserted.length > 0;
  }

  /** Deletes by row id; returns the rows this call deleted (none if another caller got there first). */
  async deleteByUuids(uuids: readonly string[]): Promise<string[]> {
    if (uuids.length === 0) return [];
    const rows = await this.#db
      .deleteFrom('auth_refresh_token')
      .where('uuid', 'in', uuids)
      .returning('uuid')
      .execute();
    return rows.map((r) => r.uuid);
  }

  /** Every refresh login records its use; grouped with concurrent writes on SQLite (group-commit.ts). */
  async touch(uuid: string, nowMs: number): Promise<void> {
    await this.#writes.transaction((tx) =>
      tx.updateTable('auth_refresh_token').set({ last_used_at: nowMs }).where('uuid', '=', uuid).execute(),
    );
  }

  async list(
    scope: { tenantUuids: readonly string[]; userUuid?: string },
    filters: RefreshTokenFilters,
    params: ListParams,
  ) {
    if (scope.tenantUuids.length === 0) return { total: 0, filtered: 0, items: [] as RefreshToken[] };
    let base: Query = joinedWithUser(this.#db).where('u.tenant_uuid', 'in', scope.tenantUuids);
    if (scope.userUuid) base = base.where('r.user_uuid', '=', scope.userUuid);
    const filtered = applyFilters(base, filters, params.search);
    const [total, count, rows] = await Promise.all([
      countOf(base),
      countOf(filtered),
      paginate(
        filtered
          .select(COLUMNS)
          .orderBy(`r.${params.order}` as 'r.created_at', params.direction)
          .orderBy('r.uuid'),
        params,
      ).execute(),
    ]);
    return { total, filtered: count, items: rows.map(toRefreshToken) };
  }
}

function applyFilters(query: Query, filters: RefreshTokenFilters, search: string | undefined): Query {
  let q = query;
  if (filters.client_id !== undefined) q = q.where('r.client_id', '=', filters.client_id);
  if (filters.mobile !== undefined) q = q.where('r.mobile', '=', filters.mobile);
  if (filters.created_at !== undefined) {
    const ms = Date.parse(filters.created_at);
    q = q.where('r.created_at', '=', Number.isNaN(ms) ? -1 : ms);
  }
  if (search) q = q.where(sql<boolean>`lower(r.client_id) like ${searchPattern(search)} escape '\\'`);
  return q;
}

async function countOf(query: Query): Promise<number> {
  const row = await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

function toRefreshToken(row: {
  uuid: string;
  client_id: string;
  user_uuid: string;
  tenant_uuid: string;
  backend: string;
  login: string;
  user_agent: string;
  remote_addr: string;
  mobile: boolean | number;
  metadata: string;
  created_at: number;
  last_used_at: number | null;
  token_ciphertext: string | null;
  acl: string | null;
}): RefreshToken {
  return {
    uuid: row.uuid,
    clientId: row.client_id,
    userUuid: row.user_uuid,
    tenantUuid: row.tenant_uuid,
    backend: row.backend,
    login: row.login,
    userAgent: row.user_agent,
    remoteAddr: row.remote_addr,
    mobile: toBool(row.mobile),
    metadata: decodeJsonObject(row.metadata),
    createdAtMs: row.created_at,
    lastUsedAtMs: row.last_used_at,
    ciphertext: row.token_ciphertext,
    acl: row.acl === null ? null : decodeStringList(row.acl),
  };
}
