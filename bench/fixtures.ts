// What the benchmark creates through Gatehouse's own API: the administrator's token, users with
// passwords (each creation hashes once), and refresh tokens from offline logins.
import { randomBytes } from 'node:crypto';

export interface BenchUser {
  uuid: string;
  username: string;
  password: string;
}

export interface RefreshCredential {
  refreshToken: string;
  clientId: string;
}

interface TokenData {
  token: string;
  refresh_token?: string;
}

export function basicAuth(login: string, password: string): string {
  return `Basic ${Buffer.from(`${login}:${password}`).toString('base64')}`;
}

/** One JSON request; throws unless the status is one of `expected`. */
export async function callJson(
  base: string,
  path: string,
  init: { method: string; headers?: Record<string, string>; body?: unknown },
  expected: readonly number[] = [200],
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${base}/0.1${path}`, {
    method: init.method,
    headers: { 'content-type': 'application/json', ...init.headers },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  if (!expected.includes(response.status)) {
    throw new Error(`${init.method} ${path}: ${response.status} ${text.slice(0, 300)}`);
  }
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

export async function login(
  base: string,
  username: string,
  password: string,
  body: Record<string, unknown> = {},
): Promise<TokenData> {
  const result = await callJson(base, '/token', {
    method: 'POST',
    headers: { authorization: basicAuth(username, password) },
    body,
  });
  return (result.body as { data: TokenData }).data;
}

/** Creates `count` users of purpose `user` with random passwords, a few at a time. */
export async function createUsers(
  base: string,
  adminToken: string,
  prefix: string,
  count: number,
): Promise<BenchUser[]> {
  const users: BenchUser[] = [];
  for (let i = 0; i < count; i += 4) {
    const batch = Array.from({ length: Math.min(4, count - i) }, (_, k) => i + k);
    const created = await Promise.all(
      batch.map(async (n) => {
        const username = `${prefix}-${n}`;
        const password = randomBytes(12).toString('base64url');
        const { body } = await callJson(base, '/users', {
          method: 'POST',
          headers: { 'x-auth-token': adminToken },
          body: { username, password, purpose: 'user', firstname: 'Bench', lastname: String(n) },
        });
        return { uuid: (body as { uuid: string }).uuid, username, password };
      }),
    );
    users.push(...created);
  }
  return users;
}

/** The unlabelled series of GET /metrics (Prometheus text), by name; empty when not served. */
export async function readMetrics(base: string, adminToken: string): Promise<Record<string, number>> {
  try {
    const response = await fetch(`${base}/metrics`, { headers: { 'x-auth-token': adminToken } });
    const text = response.ok ? await response.text() : '';
    const metrics: Record<string, number> = {};
    for (const [, name, value] of text.matchAll(/^([a-z_]+) (\S+)$/gm))
      metrics[name as string] = Number(value);
    return metrics;
  } catch {
    return {};
  }
}

/** One offline login per user, a few at a time; a refresh token can then be used any number of times. */
export async function obtainRefreshTokens(base: string, users: BenchUser[]): Promise<RefreshCredential[]> {
  const credentials: RefreshCredential[] = [];
  for (let i = 0; i < users.length; i += 4) {
    const batch = users.slice(i, i + 4).map(async (user) => {
      const clientId = `bench-${user.username}`;
      const data = await login(base, user.username, user.password, {
        access_type: 'offline',
        client_id: clientId,
      });
      if (!data.refresh_token) throw new Error('offline login returned no refresh_token');
      return { refreshToken: data.refresh_token, clientId };
    });
    credentials.push(...(await Promise.all(batch)));
  }
  return credentials;
}
