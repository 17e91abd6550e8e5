import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { digestClientSecret } from '../crypto/client-credentials.ts';
import { adminRequest, type HttpResult, login } from './http-client.ts';
import { assertApiError, newUser, uniqueTag } from './test-fixtures.ts';
import type { TestServer } from './test-server.ts';

/** Shared by the OAuth client test files (issue #6 §2): the wire shape and admin shortcuts. */

export interface ClientBody {
  uuid: string;
  tenant_uuid: string;
  client_id: string;
  name: string;
  client_type: string;
  token_endpoint_auth_method: string;
  jwks: { keys: Record<string, unknown>[] } | null;
  redirect_uris: string[];
  grant_types: string[];
  scopes: string[];
  acl: string[];
  access_token_lifetime_seconds: number;
  refresh_idle_seconds: number;
  refresh_max_lifetime_seconds: number;
  rotation: string;
  dpop_bound: boolean;
  skip_consent: boolean;
  created_at: string;
  client_secret?: string;
}

export const WEB = { client_type: 'confidential', redirect_uris: ['https://app.example.com/cb'] };
export const NATIVE = {
  client_type: 'public',
  redirect_uris: ['http://127.0.0.1/cb', 'com.example.app:/cb'],
};
export const CONFIG = {
  oauth: {
    scopes: { 'calls.read': { acl: ['calld.calls.read'] } },
    default_access_token_lifetime_seconds: 600,
    default_refresh_idle_seconds: 1000,
    default_refresh_max_lifetime_seconds: 5000,
  },
};

export function call(server: TestServer, path: string, options: Parameters<typeof adminRequest>[2] = {}) {
  return adminRequest(server, `/oauth/clients${path}`, options);
}

export async function createClient(
  server: TestServer,
  body: Record<string, unknown> = WEB,
  options: { token?: string; tenant?: string } = {},
): Promise<ClientBody> {
  const result = await call(server, '', {
    method: 'POST',
    body: { name: `c-${uniqueTag()}`, ...body },
    ...options,
  });
  assert.equal(result.status, 200, result.text);
  return result.body as ClientBody;
}

export function assertInvalid(result: HttpResult, field: string, message?: RegExp): void {
  const details = assertApiError(result, 400, 'invalid-data');
  const key = Object.keys(details).find((k) => k === field || k.startsWith(`${field}.`));
  assert.ok(key, `${field} not in ${result.text}`);
  if (message) assert.match((details[key] as { message: string }).message, message);
}

/** A user session standing for a token issued to the client (a grant row plus its session). */
export async function issueThrough(server: TestServer, clientId: string): Promise<string> {
  const user = await newUser(server);
  const token = await login(server, user.username, user.password);
  const db = server.container.storage.db;
  const grantUuid = randomUUID();
  const now = Date.now();
  await db
    .insertInto('auth_oauth_grant')
    .values({
      uuid: grantUuid,
      client_id: clientId,
      user_uuid: user.uuid,
      tenant_uuid: user.tenant_uuid,
      scope: 'openid',
      token_hash: digestClientSecret(randomUUID()),
      token_ciphertext: null,
      previous_hash: null,
      generation: 0,
      rotated_at_ms: null,
      dpop_jkt: null,
      auth_time_ms: now,
      created_at_ms: now,
      last_used_at_ms: now,
    })
    .execute();
  await db
    .updateTable('auth_session')
    .set({ grant_uuid: grantUuid })
    .where('uuid', '=', token.session_uuid)
    .execute();
  return token.token;
}
