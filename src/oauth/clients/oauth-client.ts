/** A registered OAuth client (issue #6 §2), as the rest of the OAuth code sees it. */
export type ClientType = 'confidential' | 'public';

export type GrantType =
  | 'authorization_code'
  | 'refresh_token'
  | 'client_credentials'
  | 'urn:ietf:params:oauth:grant-type:device_code';

export const GRANT_TYPES: readonly GrantType[] = [
  'authorization_code',
  'refresh_token',
  'client_credentials',
  'urn:ietf:params:oauth:grant-type:device_code',
];

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none';

export const CLIENT_AUTH_METHODS: readonly ClientAuthMethod[] = [
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
  'none',
];

/** `rotate`: each refresh returns a new refresh token, with reuse detection (D3); `none`: it stays. */
export type RotationPolicy = 'rotate' | 'none';

export interface OAuthClient {
  uuid: string;
  clientId: string;
  tenantUuid: string;
  name: string;
  type: ClientType;
  /** SHA-256 hex of the secret, for the client_secret_* methods. */
  secretDigest: string | null;
  tokenEndpointAuthMethod: ClientAuthMethod;
  /** The public JWK Set private_key_jwt assertions are verified with. */
  jwks: { keys: Record<string, unknown>[] } | null;
  redirectUris: string[];
  grantTypes: GrantType[];
  /** The OAuth scopes this client may ask for. */
  scopes: string[];
  /** What a client_credentials token may do (intersected with its scopes' ACL). */
  acl: string[];
  accessTokenLifetimeSeconds: number;
  /** 0 = no idle expiry. */
  refreshIdleSeconds: number;
  /** 0 = no absolute expiry. */
  refreshMaxLifetimeSeconds: number;
  rotation: RotationPolicy;
  /** Refresh and access tokens must be DPoP-bound (RFC 9449). */
  dpopBound: boolean;
  /** First-party clients may skip the consent screen. */
  skipConsent: boolean;
  createdAtMs: number;
}
