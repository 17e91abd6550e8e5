import { sql } from 'kysely';
import type { Db } from '../../storage/database.ts';
import type { OAuthGrantTable } from '../../storage/tables.ts';
import { parseScope } from '../scopes/scope-catalog.ts';

/** One refresh-token family (auth_oauth_grant): the current token by digest, and its rotation state. */
export interface OAuthGrant {
  uuid: string;
  clientId: string;
  userUuid: string | null;
  tenantUuid: string;
  /** Fixed for the life of the family (RFC 6749 §6). */
  scope: string[];
  tokenHash: string;
  /** The current refresh token sealed with the server key, for the grace-window answer (rotation only). */
  tokenCiphertext: string | null;
  previousHash: string | null;
  generation: number;
  rotatedAtMs: number | null;
  dpopJkt: string | null;
  authTimeMs: number;
  createdAtMs: number;
  lastUsedAtMs: number;
}

/** How a presented refresh-token digest relates to its family. */
export type GrantMatch =
  | { kind: 'current'; grant: OAuthGrant }
  /** The token the last rotation replaced: usable within the grace window only. */
  | { kind: 'previous'; grant: OAuthGrant }
  /** Any older one: presenting it is reuse (D3). */
  | { kind: 'retired'; grant: OAuthGrant };

export interface Rotation {
  presentedHash: string;
  nextHash: string;
  nextCiphertext: string;
  nowMs: number;
}

/**
 * auth_oauth_grant and auth_oauth_retired_token. Rotation is one conditional UPDATE on
 * (uuid, token_hash = presented digest), so exactly one of concurrent refreshes wins (CC-1).
 */
export class GrantRepository {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async insert(grant: OAuthGrant): Promise<void> {
    await this.#db.insertInto('auth_oauth_grant').values(toRow(grant)).execute();
  }

  async findByUuid(uuid: string): Promise<OAuthGrant | null> {
    const row = await this.#db
      .selectFrom('auth_oauth_grant')
      .selectAll()
      .where('uuid', '=', uuid)
      .executeTakeFirst();
    return row ? toGrant(row) : null;
  }

  /**
   * Finds the family of a presented digest: as its current, previous or an older token. Both
   * look-ups use a key (token_hash is unique; every replaced digest, the previous one included, is
   * in auth_oauth_retired_token), so a refresh never scans.
   */
  async locate(hash: string): Promise<GrantMatch | null> {
    const row = await this.#db
      .selectFrom('auth_oauth_grant')
      .selectAll()
      .where('token_hash', '=', hash)
      .executeTakeFirst();
    if (row) return { kind: 'current', grant: toGrant(row) };
    const retired = await this.#db
      .selectFrom('auth_oauth_retired_token as r')
      .innerJoin('auth_oauth_grant as g', 'g.uuid', 'r.grant_uuid')
      .selectAll('g')
      .where('r.token_hash', '=', hash)
      .executeTakeFirst();
    if (!retired) return null;
    return { kind: retired.previous_hash === hash ? 'previous' : 'retired', grant: toGrant(retired) };
  }

  /**
   * Replaces the current token if it is still `presentedHash`; false when a concurrent refresh
   * rotated it first. The replaced digest is remembered as previous and as retired, atomically.
   */
  async rotate(uuid: string, rotation: Rotation): Promise<boolean> {
    return this.#db.transaction().execute(async (tx) => {
      const result = await tx
        .updateTable('auth_oauth_grant')
        .set((eb) => ({
          token_hash: rotation.nextHash,
          token_ciphertext: rotation.nextCiphertext,
          previous_hash: rotation.presentedHash,
          generation: eb('generation', '+', 1),
          rotated_at_ms: rotation.nowMs,
          last_used_at_ms: rotation.nowMs,
        }))
        .where('uuid', '=', uuid)
        .where('token_hash', '=', rotation.presentedHash)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) return false;
      await tx
        .insertInto('auth_oauth_retired_token')
        .values({ token_hash: rotation.presentedHash, grant_uuid: uuid, retired_at_ms: rotation.nowMs })
        .onConflict((oc) => oc.doNothing())
        .execute();
      return true;
    });
  }

  /** Records a use that did not rotate (rotation `none`, or a grace-window retry). */
  async touch(uuid: string, nowMs: number): Promise<void> {
    await this.#db
      .updateTable('auth_oauth_grant')
      .set({ last_used_at_ms: nowMs })
      .where('uuid', '=', uuid)
      .execute();
  }

  /** Deletes the family (its retired digests go by cascade); run inside the revoker's transaction. */
  static async deleteWithin(tx: Db, uuid: string): Promise<void> {
    await tx.deleteFrom('auth_oauth_grant').where('uuid', '=', uuid).execute();
  }

  /**
   * Deletes up to `batchSize` families past their client's idle or absolute lifetime (0 = none,
   * D1); their retired digests go with them. Their access tokens expire on their own.
   * Seconds are widened to bigint before the multiplication: 30 days in ms overflows an integer.
   */
  async purgeExpired(nowMs: number, batchSize: number): Promise<number> {
    const rows = await this.#db
      .selectFrom('auth_oauth_grant as g')
      .innerJoin('auth_oauth_client as c', 'c.client_id', 'g.client_id')
      .select('g.uuid')
      .where((eb) =>
        eb.or([
          eb.and([
            eb('c.refresh_idle_seconds', '>', 0),
            eb(sql`g.last_used_at_ms + cast(c.refresh_idle_seconds as bigint) * 1000`, '<', nowMs),
          ]),
          eb.and([
            eb('c.refresh_max_lifetime_seconds', '>', 0),
            eb(sql`g.created_at_ms + cast(c.refresh_max_lifetime_seconds as bigint) * 1000`, '<', nowMs),
          ]),
        ]),
      )
      .limit(batchSize)
      .execute();
    if (rows.length === 0) return 0;
    const uuids = rows.map((r) => r.uuid);
    await this.#db.deleteFrom('auth_oauth_grant').where('uuid', 'in', uuids).execute();
    return rows.length;
  }

  /** Deletes up to `batchSize` retired digests older than `beforeMs` (RETIRED_RETENTION_MS). */
  async purgeRetired(beforeMs: number, batchSize: number): Promise<number> {
    const rows = await this.#db
      .selectFrom('auth_oauth_retired_token')
      .select('token_hash')
      .where('retired_at_ms', '<', beforeMs)
      .limit(batchSize)
      .execute();
    if (rows.length === 0) return 0;
    const hashes = rows.map((r) => r.token_hash);
    await this.#db.deleteFrom('auth_oauth_retired_token').where('token_hash', 'in', hashes).execute();
    return rows.length;
  }
}

/**
 * Retired digests are kept for reuse detection while their family lives, but at most this long: a
 * token replayed later is merely unknown (refused, without revoking the family). Without it a
 * family with no lifetime limit would keep one row per refresh forever.
 */
export const RETIRED_RETENTION_MS = 180 * 86_400_000;

function toGrant(row: OAuthGrantTable): OAuthGrant {
  return {
    uuid: row.uuid,
    clientId: row.client_id,
    userUuid: row.user_uuid,
    tenantUuid: row.tenant_uuid,
    scope: parseScope(row.scope),
    tokenHash: row.token_hash,
    tokenCiphertext: row.token_ciphertext,
    previousHash: row.previous_hash,
    generation: Number(row.generation),
    rotatedAtMs: row.rotated_at_ms === null ? null : Number(row.rotated_at_ms),
    dpopJkt: row.dpop_jkt,
    authTimeMs: Number(row.auth_time_ms),
    createdAtMs: Number(row.created_at_ms),
    lastUsedAtMs: Number(row.last_used_at_ms),
  };
}

function toRow(grant: OAuthGrant): OAuthGrantTable {
  return {
    uuid: grant.uuid,
    client_id: grant.clientId,
    user_uuid: grant.userUuid,
    tenant_uuid: grant.tenantUuid,
    scope: grant.scope.join(' '),
    token_hash: grant.tokenHash,
    token_ciphertext: grant.tokenCiphertext,
    previous_hash: grant.previousHash,
    generation: grant.generation,
    rotated_at_ms: grant.rotatedAtMs,
    dpop_jkt: grant.dpopJkt,
    auth_time_ms: grant.authTimeMs,
    created_at_ms: grant.createdAtMs,
    last_used_at_ms: grant.lastUsedAtMs,
  };
}
