import type { Static } from '@sinclair/typebox';
import type { AccessToken, RefreshToken, Session } from './token.ts';
import type { RefreshTokenItem, SessionItem, TokenObject } from './token-schemas.ts';

/**
 * The exact wire shapes of wazo-auth (reference §3.1): field names, field order and time formats.
 * `issued_at`/`expires_at` are server local time without zone; `utc_*` are UTC without `Z`.
 * A freshly issued token shows microseconds; a token read back shows whole seconds, because
 * wazo-auth stores integer seconds and clients have been parsing both forms for years.
 */
export function renderToken(
  token: string,
  record: AccessToken,
  options: { precise: boolean; refreshToken?: string },
): Static<typeof TokenObject> {
  const issued = options.precise ? record.issuedAtMs : floorToSecond(record.issuedAtMs);
  const expires = options.precise ? record.expiresAtMs : floorToSecond(record.expiresAtMs);
  const view: Static<typeof TokenObject> = {
    token,
    auth_id: record.authId,
    xivo_user_uuid: record.pbxUserUuid,
    xivo_uuid: record.xivoUuid,
    issued_at: formatLocal(issued),
    expires_at: formatLocal(expires),
    utc_issued_at: formatUtc(issued),
    utc_expires_at: formatUtc(expires),
    acl: record.acl,
    metadata: record.metadata,
    session_uuid: record.sessionUuid,
    remote_addr: record.remoteAddr,
    user_agent: record.userAgent,
  };
  if (options.refreshToken !== undefined) view.refresh_token = options.refreshToken;
  // Not in wazo's schema: added only for bound tokens, so every wazo token reads exactly as before.
  if (record.dpopJkt) view.cnf = { jkt: record.dpopJkt };
  return view;
}

export function renderRefreshToken(token: RefreshToken): Static<typeof RefreshTokenItem> {
  return {
    client_id: token.clientId,
    created_at: formatUtcWithOffset(token.createdAtMs),
    mobile: token.mobile,
    user_uuid: token.userUuid,
    tenant_uuid: token.tenantUuid,
    metadata: token.metadata,
    acl: token.acl,
  };
}

export function renderSession(session: Session): Static<typeof SessionItem> {
  return {
    uuid: session.uuid,
    mobile: session.mobile,
    tenant_uuid: session.tenantUuid,
    user_uuid: session.userUuid,
  };
}

function floorToSecond(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** Python's datetime.isoformat(): microseconds shown only when non-zero. */
function formatLocal(ms: number): string {
  const d = new Date(ms);
  const base = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  const millis = d.getMilliseconds();
  return millis === 0 ? base : `${base}.${pad(millis, 3)}000`;
}

/** strftime('%Y-%m-%dT%H:%M:%S.%f') in UTC: always six fraction digits. */
function formatUtc(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 23)}000`;
}

/** wazo's refresh-token created_at: ISO-8601 in UTC with microseconds and `+00:00`. */
function formatUtcWithOffset(ms: number): string {
  return `${formatUtc(ms)}+00:00`;
}
