import type { Db } from '../../storage/database.ts';

/** An authorization code as stored (by digest), bound to its client, redirect URI and PKCE challenge. */
export interface AuthorizationCode {
  codeHash: string;
  clientId: string;
  userUuid: string;
  redirectUri: string;
  /** Space-separated scopes the user consented to. */
  scope: string;
  /** S256 challenge (base64url of SHA-256 of the verifier). */
  codeChallenge: string;
  nonce: string | null;
  dpopJkt: string | null;
  authTimeMs: number;
  expiresAtMs: number;
}

export type Redemption =
  | { outcome: 'redeemed'; code: AuthorizationCode }
  /** Presented again: what the first redemption issued must be revoked (RFC 6749 §4.1.2). */
  | { outcome: 'reused'; grantUuid: string | null; sessionUuid: string | null }
  | { outcome: 'invalid' };

/** One-time codes: the redeeming update is conditional, so exactly one of concurrent redemptions wins. */
export class AuthorizationCodeRepository {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async insert(code: AuthorizationCode): Promise<void> {
    await this.#db
      .insertInto('auth_oauth_code')
      .values({
        code_hash: code.codeHash,
        client_id: code.clientId,
        user_uuid: code.userUuid,
        redirect_uri: code.redirectUri,
        scope: code.scope,
        code_challenge: code.codeChallenge,
        nonce: code.nonce,
        dpop_jkt: code.dpopJkt,
        auth_time_ms: code.authTimeMs,
        expires_at_ms: code.expiresAtMs,
        used_at_ms: null,
        grant_uuid: null,
        session_uuid: null,
      })
      .execute();
  }

  async redeem(codeHash: string, nowMs: number): Promise<Redemption> {
    const claimed = await this.#db
      .updateTable('auth_oauth_code')
      .set({ used_at_ms: nowMs })
      .where('code_hash', '=', codeHash)
      .where('used_at_ms', 'is', null)
      .where('expires_at_ms', '>=', nowMs)
      .executeTakeFirst();
    const row = await this.#db
      .selectFrom('auth_oauth_code')
      .selectAll()
      .where('code_hash', '=', codeHash)
      .executeTakeFirst();
    if (!row) return { outcome: 'invalid' };
    if (Number(claimed.numUpdatedRows) === 1) {
      return {
        outcome: 'redeemed',
        code: {
          codeHash: row.code_hash,
          clientId: row.client_id,
          userUuid: row.user_uuid,
          redirectUri: row.redirect_uri,
          scope: row.scope,
          codeChallenge: row.code_challenge,
          nonce: row.nonce,
          dpopJkt: row.dpop_jkt,
          authTimeMs: Number(row.auth_time_ms),
          expiresAtMs: Number(row.expires_at_ms),
        },
      };
    }
    if (row.used_at_ms === null) return { outcome: 'invalid' };
    return { outcome: 'reused', grantUuid: row.grant_uuid, sessionUuid: row.session_uuid };
  }

  /** Remembers what a redemption issued, for the revocation a second redemption triggers. */
  async recordIssued(
    codeHash: string,
    issued: { grantUuid: string | null; sessionUuid: string },
  ): Promise<void> {
    await this.#db
      .updateTable('auth_oauth_code')
      .set({ grant_uuid: issued.grantUuid, session_uuid: issued.sessionUuid })
      .where('code_hash', '=', codeHash)
      .execute();
  }

  /** Used codes are kept until they expire plus a margin, so a late replay still revokes. */
  async purgeExpired(beforeMs: number, batchSize: number): Promise<number> {
    const rows = await this.#db
      .selectFrom('auth_oauth_code')
      .select('code_hash')
      .where('expires_at_ms', '<', beforeMs)
      .limit(batchSize)
      .execute();
    if (rows.length === 0) return 0;
    await this.#db
      .deleteFrom('auth_oauth_code')
      .where(
        'code_hash',
        'in',
        rows.map((r) => r.code_hash),
      )
      .execute();
    return rows.length;
  }
}
