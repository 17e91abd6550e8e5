import type { Db } from '../../storage/database.ts';

export type DeviceCodeStatus = 'pending' | 'approved' | 'denied' | 'used';

/** An RFC 8628 device authorization, found by its device code's digest or by its user code. */
export interface DeviceCode {
  deviceCodeHash: string;
  /** Shown to the user, typed on the verification page; normalised to upper case without dashes. */
  userCode: string;
  clientId: string;
  scope: string;
  status: DeviceCodeStatus;
  userUuid: string | null;
  authTimeMs: number | null;
  intervalSeconds: number;
  lastPolledAtMs: number | null;
  expiresAtMs: number;
}

export class DeviceCodeRepository {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** False if the user code is already taken (the caller draws another). */
  async insert(code: DeviceCode): Promise<boolean> {
    const result = await this.#db
      .insertInto('auth_oauth_device_code')
      .values({
        device_code_hash: code.deviceCodeHash,
        user_code: code.userCode,
        client_id: code.clientId,
        scope: code.scope,
        status: code.status,
        user_uuid: code.userUuid,
        auth_time_ms: code.authTimeMs,
        interval_seconds: code.intervalSeconds,
        last_polled_at_ms: code.lastPolledAtMs,
        expires_at_ms: code.expiresAtMs,
      })
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async findByUserCode(userCode: string): Promise<DeviceCode | null> {
    const row = await this.#db
      .selectFrom('auth_oauth_device_code')
      .selectAll()
      .where('user_code', '=', userCode)
      .executeTakeFirst();
    return row ? toDeviceCode(row) : null;
  }

  async findByDeviceCodeHash(deviceCodeHash: string): Promise<DeviceCode | null> {
    const row = await this.#db
      .selectFrom('auth_oauth_device_code')
      .selectAll()
      .where('device_code_hash', '=', deviceCodeHash)
      .executeTakeFirst();
    return row ? toDeviceCode(row) : null;
  }

  /** The user's decision on the verification page; only a pending, unexpired code can change. */
  async decide(
    userCode: string,
    decision: { status: 'approved' | 'denied'; userUuid: string; authTimeMs: number },
    nowMs: number,
  ): Promise<boolean> {
    const result = await this.#db
      .updateTable('auth_oauth_device_code')
      .set({ status: decision.status, user_uuid: decision.userUuid, auth_time_ms: decision.authTimeMs })
      .where('user_code', '=', userCode)
      .where('status', '=', 'pending')
      .where('expires_at_ms', '>=', nowMs)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Records a poll; returns the previous poll time so the caller can answer slow_down. */
  async recordPoll(deviceCodeHash: string, nowMs: number): Promise<void> {
    await this.#db
      .updateTable('auth_oauth_device_code')
      .set({ last_polled_at_ms: nowMs })
      .where('device_code_hash', '=', deviceCodeHash)
      .execute();
  }

  /** RFC 8628 §3.5 slow_down: the client polled too fast; it must now wait 5 seconds longer. */
  async slowDown(deviceCodeHash: string, nowMs: number): Promise<void> {
    await this.#db
      .updateTable('auth_oauth_device_code')
      .set((eb) => ({ last_polled_at_ms: nowMs, interval_seconds: eb('interval_seconds', '+', 5) }))
      .where('device_code_hash', '=', deviceCodeHash)
      .execute();
  }

  /** approved → used, once: exactly one poll gets the tokens. */
  async claimApproved(deviceCodeHash: string): Promise<boolean> {
    const result = await this.#db
      .updateTable('auth_oauth_device_code')
      .set({ status: 'used' })
      .where('device_code_hash', '=', deviceCodeHash)
      .where('status', '=', 'approved')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async purgeExpired(beforeMs: number): Promise<number> {
    const result = await this.#db
      .deleteFrom('auth_oauth_device_code')
      .where('expires_at_ms', '<', beforeMs)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

function toDeviceCode(row: {
  device_code_hash: string;
  user_code: string;
  client_id: string;
  scope: string;
  status: string;
  user_uuid: string | null;
  auth_time_ms: number | null;
  interval_seconds: number;
  last_polled_at_ms: number | null;
  expires_at_ms: number;
}): DeviceCode {
  return {
    deviceCodeHash: row.device_code_hash,
    userCode: row.user_code,
    clientId: row.client_id,
    scope: row.scope,
    status: row.status as DeviceCodeStatus,
    userUuid: row.user_uuid,
    authTimeMs: row.auth_time_ms === null ? null : Number(row.auth_time_ms),
    intervalSeconds: Number(row.interval_seconds),
    lastPolledAtMs: row.last_polled_at_ms === null ? null : Number(row.last_polled_at_ms),
    expiresAtMs: Number(row.expires_at_ms),
  };
}
