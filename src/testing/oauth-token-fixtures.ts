import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { digestClientSecret } from '../oauth/clients/client-authenticator.ts';
import type { OAuthClient } from '../oauth/clients/oauth-client.ts';
import { GRANT_TYPES } from '../oauth/clients/oauth-client.ts';
import { digestAuthorizationCode } from '../oauth/codes/code-values.ts';
import { s256Challenge } from '../oauth/token/pkce.ts';
import type { CreatedUser, HttpResult } from './http-client.ts';
import { grantAcl, newUser } from './test-fixtures.ts';
import type { TestServer } from './test-server.ts';

/** Scopes every test tenant has (config oauth.scopes), and the ACL they stand for. */
export const TEST_SCOPES = {
  'calls:read': { description: 'Read calls', acl: ['calld.calls.read'] },
  'me:read': { description: 'Read me', acl: ['confd.users.me.read'] },
  'auth:all': { description: 'Everything of auth', acl: ['auth.#'] },
};

/** Test-server configuration for OAuth token suites (many refreshes make many sessions). */
export const OAUTH_TOKEN_TEST_CONFIG = {
  oauth: { scopes: TEST_SCOPES },
  max_user_concurrent_sessions: 1000,
};

export const TEST_REDIRECT_URI = 'http://127.0.0.1:8765/callback';

export interface TestClient {
  client: OAuthClient;
  /** null for public and private_key_jwt clients. */
  secret: string | null;
}

/** Inserts a client directly (the admin API is another helper's); confidential with Basic by default. */
export async function newOAuthClient(
  server: TestServer,
  overrides: Partial<OAuthClient> = {},
): Promise<TestClient> {
  const method = overrides.tokenEndpointAuthMethod ?? 'client_secret_basic';
  const secret = method.startsWith('client_secret') ? randomBytes(24).toString('base64url') : null;
  const client: OAuthClient = {
    uuid: randomUUID(),
    clientId: `client-${randomUUID().slice(0, 8)}`,
    tenantUuid: server.topTenantUuid,
    name: 'test client',
    type: method === 'none' ? 'public' : 'confidential',
    secretDigest: secret ? digestClientSecret(secret) : null,
    tokenEndpointAuthMethod: method,
    jwks: null,
    redirectUris: [TEST_REDIRECT_URI],
    grantTypes: [...GRANT_TYPES],
    scopes: ['openid', 'offline_access', 'calls:read', 'me:read'],
    acl: ['calld.calls.read'],
    accessTokenLifetimeSeconds: 900,
    refreshIdleSeconds: 0,
    refreshMaxLifetimeSeconds: 0,
    rotation: 'rotate',
    dpopBound: false,
    skipConsent: true,
    createdAtMs: Date.now(),
    ...overrides,
  };
  assert.ok(await server.container.oauth.repositories.clients.insert(client));
  return { client, secret };
}

/** A fresh user holding the ACL the test scopes stand for. */
export async function oauthUser(
  server: TestServer,
  acl: readonly string[] = ['calld.calls.read', 'confd.users.me.read'],
): Promise<CreatedUser & { policyUuid: string }> {
  const user = await newUser(server);
  const policyUuid = await grantAcl(server, user, acl);
  return { ...user, policyUuid };
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: s256Challenge(verifier) };
}

export interface CodeOptions {
  scope?: string;
  redirectUri?: string;
  nonce?: string | null;
  dpopJkt?: string | null;
}

/** An authorization code as the authorization endpoint stores it; returns the code and its verifier. */
export async function insertCode(
  server: TestServer,
  client: OAuthClient,
  userUuid: string,
  options: CodeOptions = {},
): Promise<{ code: string; verifier: string }> {
  const code = randomBytes(32).toString('base64url');
  const { verifier, challenge } = pkcePair();
  const now = server.container.clock.now();
  await server.container.oauth.repositories.codes.insert({
    codeHash: digestAuthorizationCode(code),
    clientId: client.clientId,
    userUuid,
    redirectUri: options.redirectUri ?? TEST_REDIRECT_URI,
    scope: options.scope ?? 'openid calls:read me:read',
    codeChallenge: challenge,
    nonce: options.nonce ?? null,
    dpopJkt: options.dpopJkt ?? null,
    authTimeMs: now,
    expiresAtMs: now + 60_000,
  });
  return { code, verifier };
}

/** RFC 6749 §2.3.1: id and secret are form-urlencoded, then Basic-encoded. */
export function clientBasic(clientId: string, secret: string): string {
  const encode = (v: string) => encodeURIComponent(v).replaceAll('%20', '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(secret)}`).toString('base64')}`;
}

export interface FormOptions {
  /** Basic client authentication. */
  basic?: TestClient;
  headers?: Record<string, string>;
}

/** POSTs a form to an /oauth2 endpoint; parses the JSON answer. */
export async function postForm(
  server: TestServer,
  path: string,
  params: Record<string, string>,
  options: FormOptions = {},
): Promise<HttpResult> {
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    ...(options.headers ?? {}),
  };
  const basic = options.basic;
  if (basic?.secret) headers.authorization = clientBasic(basic.client.clientId, basic.secret);
  const response = await fetch(server.container.oauth.issuer.url(path), {
    method: 'POST',
    headers,
    body: new URLSearchParams(params).toString(),
  });
  const text = await response.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  return { status: response.status, headers: response.headers, body, text };
}

/** POST /oauth2/token authenticated with the client's secret (Basic), or as a public client. */
export function tokenRequest(
  server: TestServer,
  client: TestClient,
  params: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<HttpResult> {
  const withId = client.secret ? params : { client_id: client.client.clientId, ...params };
  return postForm(server, '/oauth2/token', withId, { basic: client, headers });
}

export interface TokenBody {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope: string;
  refresh_token?: string;
  id_token?: string;
}

/** A user's first tokens through an authorization code, failing the test on anything but 200. */
export async function tokensByCode(
  server: TestServer,
  client: TestClient,
  userUuid: string,
  options: CodeOptions = {},
  headers: Record<string, string> = {},
): Promise<TokenBody> {
  const { code, verifier } = await insertCode(server, client.client, userUuid, options);
  const result = await tokenRequest(
    server,
    client,
    { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: TEST_REDIRECT_URI },
    headers,
  );
  assert.equal(result.status, 200, result.text);
  return result.body as TokenBody;
}

export function refresh(
  server: TestServer,
  client: TestClient,
  refreshToken: string,
  extra: Record<string, string> = {},
  headers: Record<string, string> = {},
): Promise<HttpResult> {
  return tokenRequest(
    server,
    client,
    { grant_type: 'refresh_token', refresh_token: refreshToken, ...extra },
    headers,
  );
}

/** The error code of an OAuth error answer. */
export function oauthErrorOf(result: HttpResult): string | undefined {
  return (result.body as { error?: string } | null)?.error;
}

/** The stored form of a displayed user code (XXXX-XXXX → XXXXXXXX). */
export function normalizeUserCodeForTest(shown: string): string {
  return shown.replaceAll('-', '').toUpperCase();
}
