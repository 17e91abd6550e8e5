import { sql } from 'kysely';
import { type ListParams, searchPattern } from '../http/list-query.ts';
import type { Db } from '../storage/database.ts';
import { decodeJsonObject, decodeStringList, encodeJson } from '../storage/json-codec.ts';
import { paginate } from '../storage/pagination.ts';
import { type ParamOf, PrecompiledQuery } from '../storage/precompiled-query.ts';
import { toBool } from '../storage/tables.ts';
import type { LoginCandidate } from '../users/user.ts';
import { toCandidate } from '../users/user-repository.ts';
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

/** A refresh token with what a login needs of its user. */
export function selectForLogin(db: Db) {
  return joinedWithUser(db)
    .innerJoin('auth_tenant as t', 't.uuid', 'u.tenant_uuid')
    .select([
      ...COLUMNS,
      'u.username',
      'u.purpose',
      'u.enabled',
      'u.authentication_method',
      'u.password_hash',
      'u.password_salt',
      't.default_authentication_method as tenant_method',
    ]);
}

/** Every refresh login starts here, so it is compiled once (storage/precompiled-query.ts). */
const FIND_FOR_LOGIN = new PrecompiledQuery((db, p: ParamOf<{ digest: string; clientId: string }>) =>
  selectForLogin(db).where('r.token_hash', '=', p('digest')).where('r.client_id', '=', p('clientId')),
);

/** The refresh-login read, for the test that compares it with its builder version. */
export const REFRESH_LOGIN_STATEMENTS = { FIND_FOR_LOGIN };

/** Refresh tokens: one per (user, client_id), looked up by digest, never listed with their value. */
export class RefreshTokenRepository {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  #select() {
    return joinedWithUser(this.#db).select(COLUMNS);
  }

  /**
   * A refresh login needs both the value and the client_id it was made for (wazo §3.4.4); it gets
   * the token and what the login needs of its user in one read (issue #4).
   */
  async findForLogin(
    digest: string,
    clientId: string,
  ): Promise<{ token: RefreshToken; user: LoginCandidate } | null> {
    const row = await FIND_FOR_LOGIN.takeFirst(this.#db, { digest, clientId });
    if (!row) return null;
    return { token: toRefreshToken(row), user: toCandidate({ ...row, uuid: row.user_uuid }) };
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

export function toRefreshToken(row: {
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
