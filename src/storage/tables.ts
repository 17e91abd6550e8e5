import type { Generated } from 'kysely';

/**
 * Row types of every table. Names follow wazo-auth's schema where practical so its data can be
 * imported; the differences are deliberate: secrets are stored as SHA-256 digests (`token_hash`),
 * times are 64-bit millisecond epochs, JSON lives in text columns, and a policy's ACL entries are
 * rows of `auth_policy_access` rather than a global dictionary.
 * Booleans are real booleans on PostgreSQL and 0/1 on SQLite; read them through `toBool`.
 */
export type DbBool = boolean | number;

export interface TenantTable {
  uuid: string;
  name: string | null;
  slug: string;
  phone: string | null;
  contact_uuid: string | null;
  parent_uuid: string;
  default_authentication_method: string;
  created_at: number;
}

export interface UserTable {
  uuid: string;
  username: string | null;
  /** PHC string for argon2id; lower-case hex of the PBKDF2 key for hashes imported from wazo-auth. */
  password_hash: string | null;
  /** Hex of wazo-auth's PBKDF2 salt; null for argon2id hashes (the PHC string carries its salt). */
  password_salt: string | null;
  firstname: string | null;
  lastname: string | null;
  enabled: DbBool;
  tenant_uuid: string;
  purpose: string;
  authentication_method: string;
  created_at: number;
}

export interface EmailTable {
  uuid: string;
  address: string;
  confirmed: DbBool;
  main: DbBool;
  user_uuid: string;
}

export interface GroupTable {
  uuid: string;
  name: string;
  slug: string;
  tenant_uuid: string;
  system_managed: DbBool;
}

export interface UserGroupTable {
  group_uuid: string;
  user_uuid: string;
}

export interface PolicyTable {
  uuid: string;
  name: string;
  slug: string;
  description: string | null;
  tenant_uuid: string;
  config_managed: DbBool;
  shared: DbBool;
}

export interface PolicyAccessTable {
  policy_uuid: string;
  access: string;
}

export interface GroupPolicyTable {
  group_uuid: string;
  policy_uuid: string;
}

export interface UserPolicyTable {
  user_uuid: string;
  policy_uuid: string;
}

export interface SessionTable {
  uuid: string;
  tenant_uuid: string;
  /** The token's auth_id when it is a user UUID; kept here so per-user session queries need no join. */
  user_uuid: string | null;
  mobile: DbBool;
  created_at: number;
  /** The OAuth grant (refresh-token family) the session was made from. */
  grant_uuid: string | null;
}

export interface TokenTable {
  token_hash: string;
  session_uuid: string;
  auth_id: string;
  pbx_user_uuid: string | null;
  xivo_uuid: string | null;
  issued_at_ms: number;
  expires_at_ms: number;
  metadata: string;
  user_agent: string;
  remote_addr: string;
  acl: string;
  refresh_token_uuid: string | null;
  expire_soon_notified: Generated<DbBool>;
  /** RFC 9449: the JWK thumbprint a DPoP-bound token is bound to. */
  dpop_jkt: string | null;
}

export interface RefreshTokenTable {
  uuid: string;
  token_hash: string;
  /** AES-256-GCM ciphertext, only so a non-mobile re-login can hand the same value back (D2). */
  token_ciphertext: string | null;
  client_id: string;
  user_uuid: string;
  backend: string;
  login: string;
  user_agent: string;
  remote_addr: string;
  mobile: DbBool;
  metadata: string;
  created_at: number;
  last_used_at: number | null;
  /** JSON list of ACL entries limiting the tokens made from it (migration 0004, #6); null: unscoped. */
  acl: string | null;
  /** Rotation (migration 0007, D3): the value replaced last, usable until `rotated_at` + grace. */
  previous_hash: string | null;
  rotated_at: number | null;
}

/** Older values of rotated refresh tokens (migration 0007): presenting one is reuse (D3). */
export interface RefreshTokenRetiredTable {
  token_hash: string;
  refresh_token_uuid: string;
  retired_at: number;
}

/** A tenant's domain names (migration 0002); a name belongs to one tenant at most. */
export interface TenantDomainTable {
  uuid: string;
  tenant_uuid: string;
  name: string;
}

/** A tenant's postal address (migration 0002), at most one per tenant. */
export interface AddressTable {
  tenant_uuid: string;
  line_1: string | null;
  line_2: string | null;
  city: string | null;
  state: string | null;
  country: string | null;
  zip_code: string | null;
}

/**
 * A failed-login counter of the brute-force gate (migration 0003). `counter_key` names an account at
 * one client address or a client address alone (see brute-force/login-failure-keys.ts).
 */
export interface LoginFailureTable {
  counter_key: string;
  failures: number;
  window_start_ms: number;
  /** 0 when the counter has never locked; otherwise the end of the latest lock (maybe past). */
  locked_until_ms: number;
  /** Locks so far, for the doubling lock duration. */
  lock_count: number;
  /** A fresh id written by the statement that started the latest lock (who announces it). */
  lock_id: string | null;
  expires_at_ms: number;
}

export interface OAuthClientTable {
  uuid: string;
  client_id: string;
  tenant_uuid: string;
  name: string;
  client_type: string;
  secret_hash: string | null;
  token_endpoint_auth_method: string;
  /** JSON: the client's public JWK Set, for private_key_jwt. */
  jwks: string | null;
  /** JSON lists. */
  redirect_uris: string;
  grant_types: string;
  scopes: string;
  /** JSON list: the ACL of client_credentials tokens (what the client itself may do). */
  acl: string;
  access_token_lifetime_seconds: number;
  refresh_idle_seconds: number;
  refresh_max_lifetime_seconds: number;
  rotation: string;
  dpop_bound: DbBool;
  skip_consent: DbBool;
  created_at: number;
}

export interface OAuthScopeTable {
  uuid: string;
  tenant_uuid: string;
  name: string;
  description: string | null;
  /** JSON list of ACL entries. */
  acl: string;
}

export interface OAuthGrantTable {
  uuid: string;
  client_id: string;
  user_uuid: string | null;
  tenant_uuid: string;
  /** Space-separated OAuth scopes granted (fixed for the life of the family, RFC 6749 §6). */
  scope: string;
  token_hash: string;
  /** The current refresh token, encrypted, so a grace-window retry gets the same successor. */
  token_ciphertext: string | null;
  previous_hash: string | null;
  generation: number;
  rotated_at_ms: number | null;
  dpop_jkt: string | null;
  auth_time_ms: number;
  created_at_ms: number;
  last_used_at_ms: number;
}

export interface OAuthRetiredTokenTable {
  token_hash: string;
  grant_uuid: string;
  retired_at_ms: number;
}

export interface OAuthCodeTable {
  code_hash: string;
  client_id: string;
  user_uuid: string;
  redirect_uri: string;
  scope: string;
  code_challenge: string;
  nonce: string | null;
  dpop_jkt: string | null;
  auth_time_ms: number;
  expires_at_ms: number;
  used_at_ms: number | null;
  /** What the redemption issued, revoked if the code is presented again (RFC 6749 §4.1.2). */
  grant_uuid: string | null;
  session_uuid: string | null;
}

export interface OAuthDeviceCodeTable {
  device_code_hash: string;
  user_code: string;
  client_id: string;
  scope: string;
  /** pending, approved, denied or used. */
  status: string;
  user_uuid: string | null;
  auth_time_ms: number | null;
  interval_seconds: number;
  last_polled_at_ms: number | null;
  expires_at_ms: number;
}

export interface OAuthSigningKeyTable {
  kid: string;
  alg: string;
  public_jwk: string;
  private_jwk_ciphertext: string;
  created_at_ms: number;
  active_from_ms: number;
  retire_after_ms: number | null;
}

export interface DatabaseSchema {
  auth_tenant: TenantTable;
  auth_user: UserTable;
  auth_email: EmailTable;
  auth_group: GroupTable;
  auth_user_group: UserGroupTable;
  auth_policy: PolicyTable;
  auth_policy_access: PolicyAccessTable;
  auth_group_policy: GroupPolicyTable;
  auth_user_policy: UserPolicyTable;
  auth_session: SessionTable;
  auth_token: TokenTable;
  auth_refresh_token: RefreshTokenTable;
  auth_refresh_token_retired: RefreshTokenRetiredTable;
  auth_tenant_domain: TenantDomainTable;
  auth_address: AddressTable;
  auth_login_failure: LoginFailureTable;
  auth_oauth_client: OAuthClientTable;
  auth_oauth_scope: OAuthScopeTable;
  auth_oauth_grant: OAuthGrantTable;
  auth_oauth_retired_token: OAuthRetiredTokenTable;
  auth_oauth_code: OAuthCodeTable;
  auth_oauth_device_code: OAuthDeviceCodeTable;
  auth_oauth_signing_key: OAuthSigningKeyTable;
}

export function toBool(value: DbBool): boolean {
  return value === true || value === 1;
}
