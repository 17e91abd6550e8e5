import type { ListParams } from '../http/list-query.ts';
import type { Db } from '../storage/database.ts';
import { paginate } from '../storage/pagination.ts';
import { toBool } from '../storage/tables.ts';
import { CLIENT_AUTH_ID_PREFIX, type Session } from './token.ts';

const SESSION_COLUMNS = ['uuid', 'tenant_uuid', 'user_uuid', 'mobile'] as const;

interface SessionRow {
  uuid: string;
  tenant_uuid: string;
  user_uuid: string | null;
  mobile: boolean | number;
}

/**
 * Sessions and their revocation. Every delete is one `DELETE … RETURNING` statement: tokens go
 * with their session by cascade, and when two instances delete the same session only one gets
 * the row back, so each `auth_session_deleted` event is published exactly once.
 */
export class SessionRepository {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async countForUser(userUuid: string): Promise<number> {
    const row = await this.#db
      .selectFrom('auth_session')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('user_uuid', '=', userUuid)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async list(scope: { tenantUuids: readonly string[]; userUuid?: string }, params: ListParams) {
    if (scope.tenantUuids.length === 0) return { total: 0, filtered: 0, items: [] as Session[] };
    let base = this.#db.selectFrom('auth_session').where('tenant_uuid', 'in', scope.tenantUuids);
    if (scope.userUuid) base = base.where('user_uuid', '=', scope.userUuid);
    const [count, rows] = await Promise.all([
      base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
      paginate(
        base
          .select(SESSION_COLUMNS)
          .orderBy(params.order as 'mobile', params.direction)
          .orderBy('created_at')
          .orderBy('uuid'),
        params,
      ).execute(),
    ]);
    const total = Number(count.n);
    return { total, filtered: total, items: rows.map(toSession) };
  }

  async deleteByUuid(uuid: string, tenantUuids: readonly string[], userUuid?: string): Promise<Session[]> {
    if (tenantUuids.length === 0) return [];
    const rows = await this.#db
      .deleteFrom('auth_session')
      .where('uuid', '=', uuid)
      .where('tenant_uuid', 'in', tenantUuids)
      .$if(userUuid !== undefined, (q) => q.where('user_uuid', '=', userUuid as string))
      .returning(SESSION_COLUMNS)
      .execute();
    return rows.map(toSession);
  }

  /** Revokes the session of one access token (DELETE /token/{t}). */
  async deleteByTokenDigest(digest: string): Promise<Session[]> {
    const rows = await this.#db
      .deleteFrom('auth_session')
      .where('uuid', 'in', (eb) =>
        eb.selectFrom('auth_token').select('session_uuid').where('token_hash', '=', digest),
      )
      .returning(SESSION_COLUMNS)
      .execute();
    return rows.map(toSession);
  }

  async deleteByUser(userUuid: string): Promise<Session[]> {
    const rows = await this.#db
      .deleteFrom('auth_session')
      .where('user_uuid', '=', userUuid)
      .returning(SESSION_COLUMNS)
      .execute();
    return rows.map(toSession);
  }

  /** Sessions held in the tenant or by its users (tenant deletion ends them all at once). */
  async deleteByTenant(tenantUuid: string): Promise<Session[]> {
    const rows = await this.#db
      .deleteFrom('auth_session')
      .where((eb) =>
        eb.or([
          eb('tenant_uuid', '=', tenantUuid),
          eb(
            'user_uuid',
            'in',
            eb.selectFrom('auth_user').select('uuid').where('tenant_uuid', '=', tenantUuid),
          ),
        ]),
      )
      .returning(SESSION_COLUMNS)
      .execute();
    return rows.map(toSession);
  }

  /** Sessions made from the grants of an OAuth client (its deletion ends them, issue #6 §2). */
  async deleteByGrantsOfClient(clientId: string): Promise<Session[]> {
    const rows = await this.#db
      .deleteFrom('auth_session')
      .where((eb) =>
        eb.or([
          eb(
            'grant_uuid',
            'in',
            eb.selectFrom('auth_oauth_grant').select('uuid').where('client_id', '=', clientId),
          ),
          // client_credentials tokens belong to no grant: they are the client's own (auth_id client:<id>).
          eb(
            'uuid',
            'in',
            eb
              .selectFrom('auth_token')
              .select('session_uuid')
              .where('auth_id', '=', `${CLIENT_AUTH_ID_PREFIX}${clientId}`),
          ),
        ]),
      )
      .returning(SESSION_COLUMNS)
      .execute();
    return rows.map(toSession);
  }

  /** Sessions of access tokens made with or from these refresh tokens (mobile purge, D15). */
  async deleteByRefreshTokens(refreshTokenUuids: readonly string[]): Promise<Session[]> {
    if (refreshTokenUuids.length === 0) return [];
    const rows = await this.#db
      .deleteFrom('auth_session')
      .where('uuid', 'in', (eb) =>
        eb
          .selectFrom('auth_token')
          .select('session_uuid')
          .where('refresh_token_uuid', 'in', refreshTokenUuids),
      )
      .returning(SESSION_COLUMNS)
      .execute();
    return rows.map(toSession);
  }

  /** Sessions made from an OAuth grant (its refresh-token family), or named one by one (issue #6). */
  async deleteByGrant(grantUuid: string | null, sessionUuids: readonly string[] = []): Promise<Session[]> {
    if (grantUuid === null && sessionUuids.length === 0) return [];
    const rows = await this.#db
      .deleteFrom('auth_session')
      .where((eb) =>
        eb.or([
          ...(grantUuid === null ? [] : [eb('grant_uuid', '=', grantUuid)]),
          ...(sessionUuids.length === 0 ? [] : [eb('uuid', 'in', sessionUuids)]),
        ]),
      )
      .returning(SESSION_COLUMNS)
      .execute();
    return rows.map(toSession);
  }

  /** Deletes up to `batchSize` sessions whose token expired, oldest expiry first. */
  async purgeExpired(nowMs: number, batchSize: number): Promise<Session[]> {
    const rows = await this.#db
      .deleteFrom('auth_session')
      .where('uuid', 'in', (eb) =>
        eb
          .selectFrom('auth_token')
          .select('session_uuid')
          .where('expires_at_ms', '<', nowMs)
          .orderBy('expires_at_ms')
          .limit(batchSize),
      )
      .returning(SESSION_COLUMNS)
      .execute();
    return rows.map(toSession);
  }

  /**
   * Marks up to `batchSize` tokens expiring before `untilMs` as announced and returns their
   * sessions. The flag makes the notice exactly-once even with several instances running the job.
   */
  async claimExpiringSoon(nowMs: number, untilMs: number, batchSize: number): Promise<Session[]> {
    const claimed = await this.#db
      .updateTable('auth_token')
      .set({ expire_soon_notified: true })
      .where('token_hash', 'in', (eb) =>
        eb
          .selectFrom('auth_token')
          .select('token_hash')
          .where('expire_soon_notified', '=', false)
          .where('expires_at_ms', '>=', nowMs)
          .where('expires_at_ms', '<', untilMs)
          .limit(batchSize),
      )
      .where('expire_soon_notified', '=', false)
      .returning('session_uuid')
      .execute();
    if (claimed.length === 0) return [];
    const rows = await this.#db
      .selectFrom('auth_session')
      .select(SESSION_COLUMNS)
      .where(
        'uuid',
        'in',
        claimed.map((c) => c.session_uuid),
      )
      .execute();
    return rows.map(toSession);
  }
}

function toSession(row: SessionRow): Session {
  return { uuid: row.uuid, tenantUuid: row.tenant_uuid, userUuid: row.user_uuid, mobile: toBool(row.mobile) };
}
