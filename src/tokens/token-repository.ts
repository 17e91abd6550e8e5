import { sql } from 'kysely';
import type { Db } from '../storage/database.ts';
import type { WriteRunner } from '../storage/group-commit.ts';
import { decodeJsonObject, decodeStringList, encodeJson } from '../storage/json-codec.ts';
import { type ParamOf, PrecompiledQuery } from '../storage/precompiled-query.ts';
import { toBool } from '../storage/tables.ts';
import type { AccessToken, Session } from './token.ts';

export interface NewAccessToken extends Omit<AccessToken, 'sessionTenantUuid' | 'mobile'> {}

/** Access tokens, always written together with their session (one session per token, wazo §3.9). */
export class TokenRepository {
  readonly #db: Db;
  readonly #writes: WriteRunner;

  constructor(db: Db, writes: WriteRunner) {
    this.#db = db;
    this.#writes = writes;
  }

  /**
   * Writes the session and its token, unless `conditions` refuse it. The conditions are checked
   * under a lock on the user row, taken first, so that concurrent logins of one user queue
   * instead of all reading the same session count (CC-6), and a login whose password was verified
   * before a password change cannot add a session after the change ended them all (CC-9).
   * Every login ends here: grouped with concurrent ones into one commit on SQLite (group-commit.ts).
   */
  async insertWithSession(
    session: Session,
    token: NewAccessToken,
    nowMs: number,
    conditions: IssueConditions | null = null,
  ): Promise<IssueOutcome> {
    return this.#writes.transaction(async (tx) => {
      const values = {
        uuid: session.uuid,
        tenantUuid: session.tenantUuid,
        userUuid: session.userUuid,
        mobile: session.mobile,
        createdAt: nowMs,
        grantUuid: session.grantUuid ?? null,
      };
      const { userUuid } = session;
      if (conditions !== null && userUuid !== null) {
        const refusal = await checkUnderUserLock(tx, userUuid, conditions);
        if (refusal !== null) return refusal;
      }
      if (conditions?.grantUuid && !(await lockGrant(tx, conditions.grantUuid))) return 'grant-revoked';
      const cap = conditions?.sessionCap ?? null;
      if (cap === null || userUuid === null) await INSERT_SESSION.execute(tx, values);
      else if ((await INSERT_SESSION_UNDER_CAP.execute(tx, { ...values, userUuid, cap })).length === 0) {
        return 'session-cap';
      }
      await INSERT_TOKEN.execute(tx, {
        digest: token.digest,
        sessionUuid: session.uuid,
        authId: token.authId,
        pbxUserUuid: token.pbxUserUuid,
        xivoUuid: token.xivoUuid,
        issuedAtMs: token.issuedAtMs,
        expiresAtMs: token.expiresAtMs,
        metadata: encodeJson(token.metadata),
        userAgent: token.userAgent,
        remoteAddr: token.remoteAddr,
        acl: encodeJson(token.acl),
        refreshTokenUuid: token.refreshTokenUuid,
        dpopJkt: token.dpopJkt ?? null,
      });
      return 'issued' as const;
    });
  }

  async findByDigest(digest: string): Promise<AccessToken | null> {
    const row = await this.#db
      .selectFrom('auth_token as t')
      .innerJoin('auth_session as s', 's.uuid', 't.session_uuid')
      .select([
        't.token_hash',
        't.session_uuid',
        's.tenant_uuid',
        's.mobile',
        't.auth_id',
        't.pbx_user_uuid',
        't.xivo_uuid',
        't.issued_at_ms',
        't.expires_at_ms',
        't.metadata',
        't.user_agent',
        't.remote_addr',
        't.acl',
        't.refresh_token_uuid',
        't.dpop_jkt',
      ])
      .where('t.token_hash', '=', digest)
      .executeTakeFirst();
    if (!row) return null;
    return {
      digest: row.token_hash,
      sessionUuid: row.session_uuid,
      sessionTenantUuid: row.tenant_uuid,
      mobile: toBool(row.mobile),
      authId: row.auth_id,
      pbxUserUuid: row.pbx_user_uuid,
      xivoUuid: row.xivo_uuid,
      issuedAtMs: row.issued_at_ms,
      expiresAtMs: row.expires_at_ms,
      metadata: decodeJsonObject(row.metadata),
      userAgent: row.user_agent,
      remoteAddr: row.remote_addr,
      acl: decodeStringList(row.acl),
      refreshTokenUuid: row.refresh_token_uuid,
      dpopJkt: row.dpop_jkt,
    };
  }
}

/** What must still hold when a login's session is written. */
export interface IssueConditions {
  /** The user may hold fewer sessions than this; null: no cap (internal users). */
  sessionCap: number | null;
  /** Password logins: the stored hash the password was verified against must still be current. */
  passwordHash: string | null;
  /**
   * OAuth (issue #6): the grant (refresh-token family) the session is made from must still exist.
   * Its row stays locked until the commit, and a family revocation deletes the grant before its
   * sessions, so a token issued while its family is revoked is either refused here or deleted
   * with the family: never left alive.
   */
  grantUuid?: string | null;
  /**
   * Refresh logins: the refresh token used must still exist (its deletion ends the sessions made
   * from it, D15, so none may start after it), and its last use is recorded in the same commit.
   */
  refreshTokenUse?: { uuid: string; atMs: number } | null;
}

export type IssueOutcome = 'issued' | 'session-cap' | 'credentials-changed' | 'grant-revoked';

/** A no-op UPDATE of the grant row (the lock both engines share, as for the user below). */
async function lockGrant(tx: Db, grantUuid: string): Promise<boolean> {
  const locked = await tx
    .updateTable('auth_oauth_grant')
    .set((eb) => ({ generation: eb.ref('generation') }))
    .where('uuid', '=', grantUuid)
    .returning('uuid')
    .executeTakeFirst();
  return locked !== undefined;
}

/**
 * A no-op UPDATE of the user row is the one row lock both engines share (SQLite has no
 * SELECT … FOR UPDATE; its writers are serialized anyway). It holds until the transaction ends,
 * and finds no row when the user was deleted meanwhile. The session cap is then checked by the
 * session insert itself (INSERT_SESSION_UNDER_CAP), a statement run after the lock is held: on
 * PostgreSQL a statement sees only what was committed before it started, so a count inside the
 * locking statement could miss a session just committed (CC-6).
 */
async function checkUnderUserLock(
  tx: Db,
  userUuid: string,
  conditions: IssueConditions,
): Promise<IssueOutcome | null> {
  const locked = await LOCK_USER.takeFirst(tx, { userUuid });
  if (!locked) return 'credentials-changed';
  if (conditions.passwordHash !== null && locked.password_hash !== conditions.passwordHash) {
    return 'credentials-changed';
  }
  const use = conditions.refreshTokenUse;
  if (use && !(await TOUCH_REFRESH_TOKEN.takeFirst(tx, { uuid: use.uuid, atMs: use.atMs }))) {
    return 'credentials-changed';
  }
  return null;
}

// The statements every login runs, compiled once (storage/precompiled-query.ts).

const LOCK_USER = new PrecompiledQuery((db, p: ParamOf<{ userUuid: string }>) =>
  db
    .updateTable('auth_user')
    .set((eb) => ({ purpose: eb.ref('purpose') }))
    .where('uuid', '=', p('userUuid'))
    .returning('password_hash'),
);

const TOUCH_REFRESH_TOKEN = new PrecompiledQuery((db, p: ParamOf<{ uuid: string; atMs: number }>) =>
  db
    .updateTable('auth_refresh_token')
    .set({ last_used_at: p('atMs') })
    .where('uuid', '=', p('uuid'))
    .returning('uuid'),
);

interface SessionValues {
  uuid: string;
  tenantUuid: string;
  userUuid: string | null;
  mobile: boolean;
  createdAt: number;
  grantUuid: string | null;
}

const INSERT_SESSION = new PrecompiledQuery((db, p: ParamOf<SessionValues>) =>
  db.insertInto('auth_session').values({
    uuid: p('uuid'),
    tenant_uuid: p('tenantUuid'),
    user_uuid: p('userUuid'),
    mobile: p('mobile'),
    created_at: p('createdAt'),
    grant_uuid: p('grantUuid'),
  }),
);

/**
 * The session, only while the user holds fewer than `cap` (wazo §3.2 step 7): count and insert
 * in one statement. The casts type the selected parameters for PostgreSQL, which otherwise takes
 * them for text.
 */
const INSERT_SESSION_UNDER_CAP = new PrecompiledQuery(
  (db, p: ParamOf<SessionValues & { userUuid: string; cap: number }>) =>
    db
      .insertInto('auth_session')
      .columns(['uuid', 'tenant_uuid', 'user_uuid', 'mobile', 'created_at', 'grant_uuid'])
      .expression(
        db
          .selectNoFrom([
            sql<string>`${p('uuid')}`.as('uuid'),
            sql<string>`${p('tenantUuid')}`.as('tenant_uuid'),
            sql<string>`${p('userUuid')}`.as('user_uuid'),
            sql<boolean>`cast(${p('mobile')} as boolean)`.as('mobile'),
            sql<number>`cast(${p('createdAt')} as bigint)`.as('created_at'),
            sql<string | null>`cast(${p('grantUuid')} as varchar(36))`.as('grant_uuid'),
          ])
          .where(
            (eb) =>
              eb
                .selectFrom('auth_session')
                .select(eb.fn.countAll<number>().as('n'))
                .where('user_uuid', '=', p('userUuid')),
            '<',
            sql<number>`cast(${p('cap')} as bigint)`,
          ),
      )
      .returning('uuid'),
);

interface TokenValues {
  digest: string;
  sessionUuid: string;
  authId: string;
  pbxUserUuid: string | null;
  xivoUuid: string | null;
  issuedAtMs: number;
  expiresAtMs: number;
  metadata: string;
  userAgent: string;
  remoteAddr: string;
  acl: string;
  refreshTokenUuid: string | null;
  dpopJkt: string | null;
}

const INSERT_TOKEN = new PrecompiledQuery((db, p: ParamOf<TokenValues>) =>
  db.insertInto('auth_token').values({
    token_hash: p('digest'),
    session_uuid: p('sessionUuid'),
    auth_id: p('authId'),
    pbx_user_uuid: p('pbxUserUuid'),
    xivo_uuid: p('xivoUuid'),
    issued_at_ms: p('issuedAtMs'),
    expires_at_ms: p('expiresAtMs'),
    metadata: p('metadata'),
    user_agent: p('userAgent'),
    remote_addr: p('remoteAddr'),
    acl: p('acl'),
    refresh_token_uuid: p('refreshTokenUuid'),
    dpop_jkt: p('dpopJkt'),
  }),
);

/** The login statements, for the test that compares them with their builder versions. */
export const LOGIN_STATEMENTS = {
  LOCK_USER,
  TOUCH_REFRESH_TOKEN,
  INSERT_SESSION,
  INSERT_SESSION_UNDER_CAP,
  INSERT_TOKEN,
};
