import { type SelectQueryBuilder, sql } from 'kysely';
import { type ListParams, type ListResult, searchPattern } from '../../http/list-query.ts';
import type { Db } from '../../storage/database.ts';
import { decodeStringList, encodeJson } from '../../storage/json-codec.ts';
import { paginate } from '../../storage/pagination.ts';
import { type DatabaseSchema, type OAuthClientTable, toBool } from '../../storage/tables.ts';
import type { ClientAuthMethod, ClientType, GrantType, OAuthClient, RotationPolicy } from './oauth-client.ts';

/** Exact-match filters of GET /oauth/clients. */
export interface OAuthClientFilters {
  uuid?: string;
  client_id?: string;
  name?: string;
  client_type?: string;
}

type ClientQuery = SelectQueryBuilder<DatabaseSchema, 'auth_oauth_client', object>;

/** Registered OAuth clients; `client_id` is unique across tenants (it is what clients present). */
export class OAuthClientRepository {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async findByClientId(clientId: string): Promise<OAuthClient | null> {
    const row = await this.#db
      .selectFrom('auth_oauth_client')
      .selectAll()
      .where('client_id', '=', clientId)
      .executeTakeFirst();
    return row ? toClient(row) : null;
  }

  async findByUuid(uuid: string): Promise<OAuthClient | null> {
    const row = await this.#db
      .selectFrom('auth_oauth_client')
      .selectAll()
      .where('uuid', '=', uuid)
      .executeTakeFirst();
    return row ? toClient(row) : null;
  }

  async listInTenants(tenantUuids: readonly string[]): Promise<OAuthClient[]> {
    if (tenantUuids.length === 0) return [];
    const rows = await this.#db
      .selectFrom('auth_oauth_client')
      .selectAll()
      .where('tenant_uuid', 'in', tenantUuids)
      .orderBy('client_id')
      .execute();
    return rows.map(toClient);
  }

  /**
   * wazo's list envelope: `total` counts the clients of `tenantUuids`, `filtered` those left by
   * the filters and `search` (over name and client_id).
   */
  async list(
    tenantUuids: readonly string[],
    filters: OAuthClientFilters,
    params: ListParams,
  ): Promise<ListResult<OAuthClient>> {
    if (tenantUuids.length === 0) return { total: 0, filtered: 0, items: [] };
    const scoped: ClientQuery = this.#db
      .selectFrom('auth_oauth_client')
      .where('tenant_uuid', 'in', tenantUuids);
    const filtered = applyFilters(scoped, filters, params.search);
    const [total, count, rows] = await Promise.all([
      countOf(scoped),
      countOf(filtered),
      paginate(
        filtered
          .selectAll()
          .orderBy(params.order as 'name', params.direction)
          .orderBy('uuid'),
        params,
      ).execute(),
    ]);
    return { total, filtered: count, items: rows.map(toClient) };
  }

  /** False when the client_id is taken. */
  async insert(client: OAuthClient): Promise<boolean> {
    const result = await this.#db
      .insertInto('auth_oauth_client')
      .values(toRow(client))
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async update(client: OAuthClient): Promise<void> {
    const { uuid, client_id, tenant_uuid, created_at, ...fields } = toRow(client);
    await this.#db.updateTable('auth_oauth_client').set(fields).where('uuid', '=', uuid).execute();
  }

  async delete(uuid: string): Promise<boolean> {
    const result = await this.#db.deleteFrom('auth_oauth_client').where('uuid', '=', uuid).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }
}

function applyFilters(
  query: ClientQuery,
  filters: OAuthClientFilters,
  search: string | undefined,
): ClientQuery {
  let q = query;
  for (const column of ['uuid', 'client_id', 'name', 'client_type'] as const) {
    const value = filters[column];
    if (value !== undefined) q = q.where(column, '=', value);
  }
  if (search !== undefined && search !== '') {
    const pattern = searchPattern(search);
    q = q.where(
      sql<boolean>`(lower(name) like ${pattern} escape '\\' or lower(client_id) like ${pattern} escape '\\')`,
    );
  }
  return q;
}

async function countOf(query: ClientQuery): Promise<number> {
  const row = await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

function toClient(row: OAuthClientTable): OAuthClient {
  return {
    uuid: row.uuid,
    clientId: row.client_id,
    tenantUuid: row.tenant_uuid,
    name: row.name,
    type: row.client_type as ClientType,
    secretDigest: row.secret_hash,
    tokenEndpointAuthMethod: row.token_endpoint_auth_method as ClientAuthMethod,
    jwks: row.jwks ? (JSON.parse(row.jwks) as OAuthClient['jwks']) : null,
    redirectUris: decodeStringList(row.redirect_uris),
    grantTypes: decodeStringList(row.grant_types) as GrantType[],
    scopes: decodeStringList(row.scopes),
    acl: decodeStringList(row.acl),
    accessTokenLifetimeSeconds: Number(row.access_token_lifetime_seconds),
    refreshIdleSeconds: Number(row.refresh_idle_seconds),
    refreshMaxLifetimeSeconds: Number(row.refresh_max_lifetime_seconds),
    rotation: row.rotation as RotationPolicy,
    dpopBound: toBool(row.dpop_bound),
    skipConsent: toBool(row.skip_consent),
    createdAtMs: Number(row.created_at),
  };
}

function toRow(client: OAuthClient): OAuthClientTable {
  return {
    uuid: client.uuid,
    client_id: client.clientId,
    tenant_uuid: client.tenantUuid,
    name: client.name,
    client_type: client.type,
    secret_hash: client.secretDigest,
    token_endpoint_auth_method: client.tokenEndpointAuthMethod,
    jwks: client.jwks ? encodeJson(client.jwks) : null,
    redirect_uris: encodeJson(client.redirectUris),
    grant_types: encodeJson(client.grantTypes),
    scopes: encodeJson(client.scopes),
    acl: encodeJson(client.acl),
    access_token_lifetime_seconds: client.accessTokenLifetimeSeconds,
    refresh_idle_seconds: client.refreshIdleSeconds,
    refresh_max_lifetime_seconds: client.refreshMaxLifetimeSeconds,
    rotation: client.rotation,
    dpop_bound: client.dpopBound,
    skip_consent: client.skipConsent,
    created_at: client.createdAtMs,
  };
}
