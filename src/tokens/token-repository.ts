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

  /** Every login ends here: grouped with concurrent ones into one commit on SQLite (group-commit.ts). */
  async insertWithSession(session: Session, token: NewAccessToken, nowMs: number): Promise<void> {
    await this.#writes.transaction(async (tx) => {
      await tx
        .insertInto('auth_session')
        .values({
          uuid: session.uuid,
          tenant_uuid: session.tenantUuid,
          user_uuid: session.userUuid,
          mobile: session.mobile,
          created_at: nowMs,
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
        })
        .execute();
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
    };
  }
}
