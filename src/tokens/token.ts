/** An access token as stored (by digest), with the session it belongs to. */
export interface AccessToken {
  digest: string;
  sessionUuid: string;
  sessionTenantUuid: string;
  mobile: boolean;
  authId: string;
  pbxUserUuid: string | null;
  xivoUuid: string | null;
  issuedAtMs: number;
  expiresAtMs: number;
  metadata: Record<string, unknown>;
  userAgent: string;
  remoteAddr: string;
  acl: string[];
  refreshTokenUuid: string | null;
  /** RFC 9449: set when the token is DPoP-bound; a check must then come with a proof of that key. */
  dpopJkt?: string | null;
}

export interface Session {
  uuid: string;
  tenantUuid: string;
  userUuid: string | null;
  mobile: boolean;
  /** The OAuth grant (refresh-token family) the session was made from; revoking it ends the session. */
  grantUuid?: string | null;
}

export interface RefreshToken {
  uuid: string;
  clientId: string;
  userUuid: string;
  tenantUuid: string;
  backend: string;
  login: string;
  userAgent: string;
  remoteAddr: string;
  mobile: boolean;
  metadata: Record<string, unknown>;
  createdAtMs: number;
  lastUsedAtMs: number | null;
  ciphertext: string | null;
  /** The scope given at the offline login (#6): tokens made from it get at most this; null: unscoped. */
  acl: string[] | null;
}

/** auth_id of tokens that belong to the server itself rather than a user (wazo §3.13). */
export const SERVER_AUTH_ID = 'wazo-auth';

/** auth_id prefix of OAuth client_credentials tokens (`client:<client_id>`): they act for a client, not a user. */
export const CLIENT_AUTH_ID_PREFIX = 'client:';

const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID_SHAPE.test(value);
}

export function isExpired(token: { expiresAtMs: number }, nowMs: number): boolean {
  return nowMs > token.expiresAtMs;
}
