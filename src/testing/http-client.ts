import { ADMIN_PASSWORD, ADMIN_USERNAME, type TestServer } from './test-server.ts';

/** Anything with an API base URL: an in-process test server or a spawned server process. */
export type ApiTarget = Pick<TestServer, 'api'>;

/** A plain HTTP client for the tests: real requests over loopback, JSON in and out. */
export interface HttpResult {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

export interface RequestOptions {
  method?: string;
  token?: string;
  tenant?: string;
  body?: unknown;
  /** Raw body text, sent as is (for malformed input). */
  rawBody?: string;
  headers?: Record<string, string>;
}

export async function request(
  server: ApiTarget,
  path: string,
  options: RequestOptions = {},
): Promise<HttpResult> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.token !== undefined) headers['X-Auth-Token'] = options.token;
  if (options.tenant !== undefined) headers['Wazo-Tenant'] = options.tenant;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['Content-Type'] ??= 'application/json';
  }
  const response = await fetch(`${server.api}${path}`, { method: options.method ?? 'GET', headers, body });
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

/** `Content-Type: application/json`, for requests that send a raw body. */
export const JSON_CONTENT_TYPE: Readonly<Record<string, string>> = { 'Content-Type': 'application/json' };

/** `Wazo-Session-Type: mobile`, the header that makes a login a mobile session. */
export const MOBILE_SESSION: Readonly<Record<string, string>> = { 'Wazo-Session-Type': 'mobile' };

/** The base64 text of `text` encoded as given. */
export function base64(text: string, encoding: BufferEncoding = 'utf8'): string {
  return Buffer.from(text, encoding).toString('base64');
}

export function basic(login: string, password: string, encoding: BufferEncoding = 'utf8'): string {
  return `Basic ${base64(`${login}:${password}`, encoding)}`;
}

export interface TokenData {
  token: string;
  refresh_token?: string;
  session_uuid: string;
  auth_id: string;
  acl: string[];
  metadata: Record<string, unknown>;
  [key: string]: unknown;
}

/** POST /token with Basic credentials; returns the raw result. */
export function postToken(
  server: ApiTarget,
  login: string,
  password: string,
  body: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<HttpResult> {
  return request(server, '/token', {
    method: 'POST',
    body,
    headers: { Authorization: basic(login, password), ...headers },
  });
}

/** POST /token with a refresh token (no Basic credentials); returns the raw result. */
export function postRefreshToken(
  server: ApiTarget,
  refreshToken: string,
  clientId: string,
  body: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<HttpResult> {
  return request(server, '/token', {
    method: 'POST',
    body: { refresh_token: refreshToken, client_id: clientId, ...body },
    headers,
  });
}

/** The status of HEAD /token/{token}: 204 while the token is valid, 404 otherwise. */
export async function tokenStatus(server: ApiTarget, token: string): Promise<number> {
  return (await request(server, `/token/${token}`, { method: 'HEAD' })).status;
}

/** Logs in and returns the token data, failing the test on anything but 200. */
export async function login(
  server: ApiTarget,
  loginName: string,
  password: string,
  body: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<TokenData> {
  const result = await postToken(server, loginName, password, body, headers);
  if (result.status !== 200) throw new Error(`login failed: ${result.status} ${result.text}`);
  return (result.body as { data: TokenData }).data;
}

export async function adminToken(server: ApiTarget): Promise<string> {
  return (await login(server, ADMIN_USERNAME, ADMIN_PASSWORD, { expiration: 7200 })).token;
}

/** A request sent with the admin token unless `options.token` is given. */
export async function adminRequest(
  server: ApiTarget,
  path: string,
  options: RequestOptions = {},
): Promise<HttpResult> {
  return request(server, path, { ...options, token: options.token ?? (await adminToken(server)) });
}

export interface CreatedUser {
  uuid: string;
  username: string;
  password: string;
  tenant_uuid: string;
  [key: string]: unknown;
}

let userCounter = 0;

/** Creates a user through the API (as the admin unless a token is given). */
export async function createUser(
  server: ApiTarget,
  fields: Record<string, unknown> = {},
  options: { token?: string; tenant?: string } = {},
): Promise<CreatedUser> {
  userCounter += 1;
  const password =
    (fields.password as string | undefined) ?? `pw-${userCounter}-${Math.random().toString(36).slice(2)}`;
  const username =
    (fields.username as string | undefined) ??
    `user-${userCounter}-${Math.random().toString(36).slice(2, 8)}`;
  const result = await request(server, '/users', {
    method: 'POST',
    token: options.token ?? (await adminToken(server)),
    tenant: options.tenant,
    body: { username, password, ...fields },
  });
  if (result.status !== 200) throw new Error(`user creation failed: ${result.status} ${result.text}`);
  return { ...(result.body as CreatedUser), username, password };
}
