import type { Db } from '../storage/database.ts';
import type { LoginCandidate } from '../users/user.ts';
import { toCandidate } from '../users/user-repository.ts';
import { selectForLogin, toRefreshToken } from './refresh-token-repository.ts';
import type { RefreshToken } from './token.ts';

export interface RotationState {
  previousHash: string | null;
  rotatedAtMs: number | null;
  ciphertext: string | null;
}

/** The statements of wazo refresh-token rotation (D3, migration 0007). */
export class RefreshRotationRepository {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** The token whose immediately previous value has this digest, with when it was replaced. */
  async findByPrevious(
    digest: string,
    clientId: string,
  ): Promise<{ token: RefreshToken; user: LoginCandidate; rotatedAtMs: number | null } | null> {
    const row = await selectForLogin(this.#db)
      .select('r.rotated_at')
      .where('r.previous_hash', '=', digest)
      .where('r.client_id', '=', clientId)
      .executeTakeFirst();
    if (!row) return null;
    return {
      token: toRefreshToken(row),
      user: toCandidate({ ...row, uuid: row.user_uuid }),
      rotatedAtMs: row.rotated_at,
    };
  }

  /** The token an older, retired value belonged to (same client_id only: B12). */
  async findRetiredOwner(digest: string, clientId: string): Promise<RefreshToken | null> {
    const row = await this.#db
      .selectFrom('auth_refresh_token_retired as x')
      .innerJoin('auth_refresh_token as r', 'r.uuid', 'x.refresh_token_uuid')
      .innerJoin('auth_user as u', 'u.uuid', 'r.user_uuid')
      .selectAll('r')
      .select('u.tenant_uuid')
      .where('x.token_hash', '=', digest)
      .where('r.client_id', '=', clientId)
      .executeTakeFirst();
    return row ? toRefreshToken(row) : null;
  }

  async state(uuid: string): Promise<RotationState | null> {
    const row = await this.#db
      .selectFrom('auth_refresh_token')
      .select(['previous_hash', 'rotated_at', 'token_ciphertext'])
      .where('uuid', '=', uuid)
      .executeTakeFirst();
    if (!row) return null;
    return { previousHash: row.previous_hash, rotatedAtMs: row.rotated_at, ciphertext: row.token_ciphertext };
  }

  /**
   * Replaces the current value when it is still `presentedHash`: one conditional UPDATE, so
   * concurrent refreshes have exactly one winner (CC-1). The value it makes "two generations old"
   * is retired first, by an INSERT … SELECT under the same condition: a loser retires the same
   * digest as the winner (a no-op), and no moment exists where that value is neither previous nor
   * retired.
   */
  async rotate(
    uuid: string,
    change: { presentedHash: string; nextHash: string; nextCiphertext: string; nowMs: number },
  ): Promise<boolean> {
    await this.#db
      .insertInto('auth_refresh_token_retired')
      .columns(['token_hash', 'refresh_token_uuid', 'retired_at'])
      .expression((eb) =>
        eb
          .selectFrom('auth_refresh_token')
          .select((s) => ['previous_hash', 'uuid', s.val(change.nowMs).as('retired_at')])
          .where('uuid', '=', uuid)
          .where('token_hash', '=', change.presentedHash)
          .where('previous_hash', 'is not', null),
      )
      .onConflict((oc) => oc.doNothing())
      .execute();
    const rotated = await this.#db
      .updateTable('auth_refresh_token')
      .set({
        token_hash: change.nextHash,
        token_ciphertext: change.nextCiphertext,
        previous_hash: change.presentedHash,
        rotated_at: change.nowMs,
      })
      .where('uuid', '=', uuid)
      .where('token_hash', '=', change.presentedHash)
      .returning('uuid')
      .executeTakeFirst();
    return rotated !== undefined;
  }
}
