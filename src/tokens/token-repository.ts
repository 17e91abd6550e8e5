import type { Db } from '../storage/database.ts';
import type { WriteRunner } from '../storage/group-commit.ts';
import { decodeJsonObject, decodeStringList, encodeJson } from '../storage/json-codec.ts';
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
      if (conditions !== null && session.userUuid !== null) {
        const refusal = await checkUnderUserLock(tx, session.userUuid, conditions);
        if (refusal !== null) return refusal;
      }
      if (conditions?.grantUuid && !(await lockGrant(tx, conditions.grantUuid))) return 'grant-revoked';
      await tx
        .insertInto('auth_session')
        .values({
          uuid: session.uuid,
          tenant_uuid: session.tenantUuid,
          user_uuid: session.userUuid,
          mobile: session.mobile,
          created_at: nowMs,
          grant_uuid: session.grantUuid ?? null,
        })
        .execute();
      await tx
        .insertInto('auth_token')
        .values({
          token_hash: token.digest,
          session_uuid: session.uuid,
          auth_id: token.authId,
          pbx_user_uuid: token.pbxUserUuid,
          xivo_uuid: token.xivoUuid,
          issued_at_ms: token.issuedAtMs,
          expires_at_ms: token.expiresAtMs,
          metadata: encodeJson(token.metadata),
          user_agent: token.userAgent,
          remote_addr: token.remoteAddr,
          acl: encodeJson(token.acl),
          refresh_token_uuid: token.refreshTokenUuid,
          dpop_jkt: token.dpopJkt ?? null,
        })
        .execute();
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
 * and finds no row when the user was deleted meanwhile.
 */
async function checkUnderUserLock(
  tx: Db,
  userUuid: string,
  conditions: IssueConditions,
): Promise<IssueOutcome | null> {
  const locked = await tx
    .updateTable('auth_user')
    .set((eb) => ({ purpose: eb.ref('purpose') }))
    .where('uuid', '=', userUuid)
    .returning('password_hash')
    .executeTakeFirst();
  if (!locked) return 'credentials-changed';
  if (conditions.passwordHash !== null && locked.password_hash !== conditions.passwordHash) {
    return 'credentials-changed';
  }
  if (conditions.sessionCap === null) return null;
  const row = await tx
    .selectFrom('auth_session')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_uuid', '=', userUuid)
    .executeTakeFirstOrThrow();
  return Number(row.n) < conditions.sessionCap ? null : 'session-cap';
}
