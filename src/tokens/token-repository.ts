import { type Expression, type SqlBool, sql } from 'kysely';
import type { Db } from '../storage/database.ts';
import type { WriteRunner } from '../storage/group-commit.ts';
import { decodeJsonObject, decodeStringList, encodeJson } from '../storage/json-codec.ts';
import { type ParamOf, PrecompiledQuery } from '../storage/precompiled-query.ts';
import { lockedRead } from '../storage/row-lock.ts';
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
   * Every login ends here, so it is one batch of statements whose conditions are in their SQL:
   * grouped with concurrent logins into one commit on SQLite (group-commit.ts), sent in one round
   * trip on PostgreSQL (pg-pipeline.ts). The outcome is read from what each statement returned.
   */
  async insertWithSession(
    session: Session,
    token: NewAccessToken,
    nowMs: number,
    conditions: IssueConditions | null = null,
  ): Promise<IssueOutcome> {
    const plan = issuePlan(session, conditions);
    const statements = [
      ...(plan.lockUser ? [LOCK_USER.compile(this.#db, { userUuid: plan.lockUser })] : []),
      ...(plan.touch ? [TOUCH_REFRESH_TOKEN.compile(this.#db, { ...plan.touch, ...plan.guard })] : []),
      ...(plan.lockGrant ? [LOCK_GRANT.compile(this.#db, { grantUuid: plan.lockGrant })] : []),
      INSERT_SESSION.compile(this.#db, {
        uuid: session.uuid,
        tenantUuid: session.tenantUuid,
        userUuid: session.userUuid,
        mobile: session.mobile,
        createdAt: nowMs,
        grantUuid: session.grantUuid ?? null,
        ...plan.guard,
      }),
      INSERT_TOKEN.compile(this.#db, tokenValues(session, token)),
    ];
    const rows = await this.#writes.batch(statements);
    return readOutcome(plan, rows);
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

/** The guarded statements a login runs, and what its session insert checks once more. */
interface IssuePlan {
  /** The user whose row is locked first (a login with conditions). */
  lockUser: string | null;
  /** Refresh logins: the refresh token whose use is recorded, under the user lock. */
  touch: { uuid: string; atMs: number } | null;
  /** OAuth: the grant whose row is locked. */
  lockGrant: string | null;
  guard: IssueGuard;
}

/**
 * What the session insert requires, each ignored when null: the user row with this password hash
 * (any hash when null), the refresh token and the grant still there, fewer than `cap` sessions.
 * The statements before it locked those rows, so a guard that held for them holds here: the
 * insert finds no row only because of the cap, or because an earlier statement already failed.
 */
interface IssueGuard {
  guardUserUuid: string | null;
  guardPasswordHash: string | null;
  guardRefreshTokenUuid: string | null;
  guardGrantUuid: string | null;
  cap: number | null;
}

function issuePlan(session: Session, conditions: IssueConditions | null): IssuePlan {
  const userUuid = conditions === null ? null : session.userUuid;
  const touch = userUuid === null ? null : (conditions?.refreshTokenUse ?? null);
  return {
    lockUser: userUuid,
    touch,
    lockGrant: conditions?.grantUuid ?? null,
    guard: {
      guardUserUuid: userUuid,
      guardPasswordHash: userUuid === null ? null : (conditions?.passwordHash ?? null),
      guardRefreshTokenUuid: touch?.uuid ?? null,
      guardGrantUuid: conditions?.grantUuid ?? null,
      cap: userUuid === null ? null : (conditions?.sessionCap ?? null),
    },
  };
}

/** Reads the outcome from each statement's rows, in the order they ran (see insertWithSession). */
function readOutcome(plan: IssuePlan, rows: unknown[][]): IssueOutcome {
  const results = rows.values();
  const next = () => results.next().value ?? [];
  if (plan.lockUser !== null) {
    const locked = next()[0] as { password_hash: string | null } | undefined;
    if (!locked) return 'credentials-changed';
    const expected = plan.guard.guardPasswordHash;
    if (expected !== null && locked.password_hash !== expected) return 'credentials-changed';
  }
  if (plan.touch !== null && next().length === 0) return 'credentials-changed';
  if (plan.lockGrant !== null && next().length === 0) return 'grant-revoked';
  return next().length === 0 ? 'session-cap' : 'issued';
}

function tokenValues(session: Session, token: NewAccessToken): TokenValues {
  return {
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
  };
}

// The statements every login runs, compiled once (storage/precompiled-query.ts). A lock holds
// until the commit (storage/row-lock.ts), and finds no row when the row was deleted meanwhile.
// Where a parameter is selected or compared with NULL, a cast types it for PostgreSQL, which
// otherwise takes it for text.

const LOCK_USER = new PrecompiledQuery((db, p: ParamOf<{ userUuid: string }>) =>
  lockedRead(db, db.selectFrom('auth_user').select('password_hash').where('uuid', '=', p('userUuid'))),
);

const LOCK_GRANT = new PrecompiledQuery((db, p: ParamOf<{ grantUuid: string }>) =>
  lockedRead(db, db.selectFrom('auth_oauth_grant').select('uuid').where('uuid', '=', p('grantUuid'))),
);

type GuardParam = ParamOf<IssueGuard>;

/** The user row is still there, with the password hash verified (any, when none was). */
function userStillValid(db: Db, p: GuardParam) {
  return db
    .selectFrom('auth_user')
    .select(sql<number>`1`.as('one'))
    .where('uuid', '=', p('guardUserUuid'))
    .where((eb) =>
      eb.or([
        eb(sql`cast(${p('guardPasswordHash')} as text)`, 'is', null),
        eb('password_hash', '=', p('guardPasswordHash')),
      ]),
    );
}

/** The refresh token or grant a login is made from is still there. */
function rowStillThere(db: Db, table: 'auth_refresh_token' | 'auth_oauth_grant', uuid: string | null) {
  return db.selectFrom(table).select(sql<number>`1`.as('one')).where('uuid', '=', uuid);
}

/** A guard holds when it is off (its uuid is null) or when `check` does. */
function unlessOff(uuid: string | null, check: Expression<SqlBool>) {
  return sql<SqlBool>`(cast(${uuid} as varchar(36)) is null or ${check})`;
}

/** The use of a refresh token, recorded only while the user's credentials still hold (CC-9). */
const TOUCH_REFRESH_TOKEN = new PrecompiledQuery(
  (db, p: ParamOf<{ uuid: string; atMs: number } & IssueGuard>) =>
    db
      .updateTable('auth_refresh_token')
      .set({ last_used_at: p('atMs') })
      .where('uuid', '=', p('uuid'))
      .where((eb) => eb.exists(userStillValid(db, p)))
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

/**
 * The session, only while every guard holds (IssueGuard): the session count and the insert in one
 * statement (wazo §3.2 step 7). It runs after the lock is held: on PostgreSQL a statement sees only
 * what was committed before it started, so a count inside the locking statement could miss a
 * session just committed (CC-6).
 */
const INSERT_SESSION = new PrecompiledQuery((db, p: ParamOf<SessionValues & IssueGuard>) =>
  db
    .insertInto('auth_session')
    .columns(['uuid', 'tenant_uuid', 'user_uuid', 'mobile', 'created_at', 'grant_uuid'])
    .expression(
      db
        .selectNoFrom([
          sql<string>`${p('uuid')}`.as('uuid'),
          sql<string>`${p('tenantUuid')}`.as('tenant_uuid'),
          sql<string | null>`cast(${p('userUuid')} as varchar(36))`.as('user_uuid'),
          sql<boolean>`cast(${p('mobile')} as boolean)`.as('mobile'),
          sql<number>`cast(${p('createdAt')} as bigint)`.as('created_at'),
          sql<string | null>`cast(${p('grantUuid')} as varchar(36))`.as('grant_uuid'),
        ])
        .where((eb) =>
          eb.and([
            eb.or([
              eb(sql`cast(${p('cap')} as bigint)`, 'is', null),
              eb(
                eb
                  .selectFrom('auth_session')
                  .select(eb.fn.countAll<number>().as('n'))
                  .where('user_uuid', '=', p('userUuid')),
                '<',
                sql<number>`cast(${p('cap')} as bigint)`,
              ),
            ]),
            unlessOff(p('guardUserUuid'), eb.exists(userStillValid(db, p))),
            unlessOff(
              p('guardRefreshTokenUuid'),
              eb.exists(rowStillThere(db, 'auth_refresh_token', p('guardRefreshTokenUuid'))),
            ),
            unlessOff(
              p('guardGrantUuid'),
              eb.exists(rowStillThere(db, 'auth_oauth_grant', p('guardGrantUuid'))),
            ),
          ]),
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

/** The token, only if its session was just written (the batch goes on after a refused session). */
const INSERT_TOKEN = new PrecompiledQuery((db, p: ParamOf<TokenValues>) =>
  db
    .insertInto('auth_token')
    .columns([
      'token_hash',
      'session_uuid',
      'auth_id',
      'pbx_user_uuid',
      'xivo_uuid',
      'issued_at_ms',
      'expires_at_ms',
      'metadata',
      'user_agent',
      'remote_addr',
      'acl',
      'refresh_token_uuid',
      'dpop_jkt',
    ])
    .expression(
      db
        .selectFrom('auth_session')
        .select([
          sql<string>`${p('digest')}`.as('token_hash'),
          'uuid as session_uuid',
          sql<string>`${p('authId')}`.as('auth_id'),
          sql<string | null>`cast(${p('pbxUserUuid')} as varchar(36))`.as('pbx_user_uuid'),
          sql<string | null>`cast(${p('xivoUuid')} as text)`.as('xivo_uuid'),
          sql<number>`cast(${p('issuedAtMs')} as bigint)`.as('issued_at_ms'),
          sql<number>`cast(${p('expiresAtMs')} as bigint)`.as('expires_at_ms'),
          sql<string>`${p('metadata')}`.as('metadata'),
          sql<string>`${p('userAgent')}`.as('user_agent'),
          sql<string>`${p('remoteAddr')}`.as('remote_addr'),
          sql<string>`${p('acl')}`.as('acl'),
          sql<string | null>`cast(${p('refreshTokenUuid')} as varchar(36))`.as('refresh_token_uuid'),
          sql<string | null>`cast(${p('dpopJkt')} as varchar(64))`.as('dpop_jkt'),
        ])
        .where('uuid', '=', p('sessionUuid')),
    ),
);

/** The login statements, for the test that compares them with their builder versions. */
export const LOGIN_STATEMENTS = {
  LOCK_USER,
  LOCK_GRANT,
  TOUCH_REFRESH_TOKEN,
  INSERT_SESSION,
  INSERT_TOKEN,
};
