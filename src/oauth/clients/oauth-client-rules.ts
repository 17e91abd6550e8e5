import { publicJwkProblem } from '../../crypto/client-credentials.ts';
import type { ClientAuthMethod, ClientType, GrantType, OAuthClient, RotationPolicy } from './oauth-client.ts';

/** A client's registration as sent (POST and PUT bodies, the CLI), before defaults are applied. */
export interface OAuthClientInput {
  client_id?: string;
  name: string;
  client_type: ClientType;
  token_endpoint_auth_method?: ClientAuthMethod;
  jwks?: { keys: Record<string, unknown>[] } | null;
  redirect_uris?: string[];
  grant_types?: GrantType[];
  scopes?: string[];
  acl?: string[];
  access_token_lifetime_seconds?: number;
  refresh_idle_seconds?: number;
  refresh_max_lifetime_seconds?: number;
  rotation?: RotationPolicy;
  dpop_bound?: boolean;
  skip_consent?: boolean;
}

/** Everything of a client but its identity, its secret and its creation time. */
export type ClientSettings = Omit<
  OAuthClient,
  'uuid' | 'clientId' | 'tenantUuid' | 'secretDigest' | 'createdAtMs'
>;

/** The defaults of config.oauth for what a registration leaves out. */
export interface ClientDefaults {
  accessTokenLifetimeSeconds: number;
  refreshIdleSeconds: number;
  refreshMaxLifetimeSeconds: number;
}

/** Field name (snake_case, as on the wire) → what is wrong with it. */
export type FieldProblems = Record<string, string>;

const DEFAULT_GRANTS: readonly GrantType[] = ['authorization_code', 'refresh_token'];

/** Fills in the defaults: public clients authenticate with `none` and rotate (OAuth 2.1 §4.3.1). */
export function settleClient(input: OAuthClientInput, defaults: ClientDefaults): ClientSettings {
  const type = input.client_type;
  return {
    name: input.name,
    type,
    tokenEndpointAuthMethod:
      input.token_endpoint_auth_method ?? (type === 'public' ? 'none' : 'client_secret_basic'),
    jwks: input.jwks ?? null,
    redirectUris: [...new Set(input.redirect_uris ?? [])],
    grantTypes: [...new Set(input.grant_types ?? DEFAULT_GRANTS)],
    scopes: [...new Set(input.scopes ?? [])],
    acl: [...new Set(input.acl ?? [])],
    accessTokenLifetimeSeconds: input.access_token_lifetime_seconds ?? defaults.accessTokenLifetimeSeconds,
    refreshIdleSeconds: input.refresh_idle_seconds ?? defaults.refreshIdleSeconds,
    refreshMaxLifetimeSeconds: input.refresh_max_lifetime_seconds ?? defaults.refreshMaxLifetimeSeconds,
    rotation: input.rotation ?? (type === 'public' ? 'rotate' : 'none'),
    dpopBound: input.dpop_bound ?? false,
    skipConsent: input.skip_consent ?? false,
  };
}

/** Whether the method authenticates with a shared secret the server generates. */
export function usesSecret(method: ClientAuthMethod): boolean {
  return method === 'client_secret_basic' || method === 'client_secret_post';
}

/** Every rule a registration breaks; empty when it is consistent. */
export function clientProblems(settings: ClientSettings): FieldProblems {
  const problems: FieldProblems = {};
  const method = authMethodProblem(settings);
  if (method) problems.token_endpoint_auth_method = method;
  const jwks = jwksProblem(settings);
  if (jwks) problems.jwks = jwks;
  const redirect = settings.redirectUris.map(redirectUriProblem).find((p) => p !== null);
  if (redirect) problems.redirect_uris = redirect;
  const grants = grantProblem(settings);
  if (grants) problems.grant_types = grants;
  // OAuth 2.1 §4.3.1: a public client's refresh tokens are sender-constrained or one-time use.
  if (settings.type === 'public' && settings.rotation === 'none' && !settings.dpopBound) {
    problems.rotation = 'a public client must rotate its refresh tokens unless they are DPoP-bound';
  }
  return problems;
}

function authMethodProblem({ type, tokenEndpointAuthMethod: method }: ClientSettings): string | null {
  // RFC 6749 §2.1: a public client cannot keep a credential, so it authenticates with nothing.
  if (type === 'public' && method !== 'none') return 'a public client must use "none"';
  if (type === 'confidential' && method === 'none') return 'a confidential client must authenticate';
  return null;
}

function jwksProblem({ tokenEndpointAuthMethod: method, jwks }: ClientSettings): string | null {
  if (method !== 'private_key_jwt') return jwks ? 'jwks is only used with private_key_jwt' : null;
  if (!jwks || jwks.keys.length === 0) return 'private_key_jwt needs jwks with at least one public key';
  for (const [index, key] of jwks.keys.entries()) {
    const problem = publicJwkProblem(key);
    if (problem) return `keys[${index}]: ${problem}`;
  }
  return null;
}

function grantProblem({ type, grantTypes, redirectUris }: ClientSettings): string | null {
  if (grantTypes.length === 0) return 'at least one grant type is needed';
  // RFC 6749 §4.4: only a client that can authenticate may act on its own behalf.
  if (type === 'public' && grantTypes.includes('client_credentials')) {
    return 'client_credentials is only for confidential clients';
  }
  if (grantTypes.includes('authorization_code') && redirectUris.length === 0) {
    return 'authorization_code needs at least one redirect URI';
  }
  const issuesRefresh =
    grantTypes.includes('authorization_code') ||
    grantTypes.includes('urn:ietf:params:oauth:grant-type:device_code');
  if (grantTypes.includes('refresh_token') && !issuesRefresh) {
    return 'refresh_token needs authorization_code or the device code grant';
  }
  return null;
}

/** Schemes that run code or read local data in a user agent: never a redirection target. */
const UNSAFE_SCHEMES = new Set(['javascript:', 'data:', 'vbscript:', 'file:', 'blob:', 'about:']);

/** Hosts an http redirect URI may name (RFC 8252 §7.3, RFC 9700 §2.1: loopback only). */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * RFC 9700 §2.1 and OAuth 2.1 §2.3.1: redirect URIs are absolute and compared exactly, so they
 * carry no fragment and no wildcard; http is for loopback only (a native app's local listener),
 * https for the rest, and a native app may use its own private-use scheme (RFC 8252 §7.1).
 */
export function redirectUriProblem(uri: string): string | null {
  if (uri.includes('#')) return `${uri}: a fragment is not allowed`;
  if (uri.includes('*')) return `${uri}: wildcards are not allowed`;
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return `${uri}: not an absolute URI`;
  }
  if (UNSAFE_SCHEMES.has(url.protocol)) return `${uri}: scheme ${url.protocol} is not allowed`;
  if (url.username || url.password) return `${uri}: credentials are not allowed`;
  if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname)) {
    return `${uri}: http is only allowed for loopback (127.0.0.1, [::1], localhost); use https`;
  }
  if ((url.protocol === 'http:' || url.protocol === 'https:') && url.hostname === '') {
    return `${uri}: a host is needed`;
  }
  return null;
}

/**
 * Whether a presented redirect URI matches a registered one: exactly, except that a loopback http
 * URI may use any port (RFC 8252 §7.3: the native app picks a free port at run time).
 */
export function redirectUriMatches(registered: string, presented: string): boolean {
  if (registered === presented) return true;
  let left: URL;
  let right: URL;
  try {
    left = new URL(registered);
    right = new URL(presented);
  } catch {
    return false;
  }
  if (left.protocol !== 'http:' || !LOOPBACK_HOSTS.has(left.hostname)) return false;
  if (presented.includes('#')) return false;
  left.port = '';
  right.port = '';
  return left.href === right.href;
}
