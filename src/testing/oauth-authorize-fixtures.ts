import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { OAuthClient } from '../oauth/clients/oauth-client.ts';
import type { TestServer } from './test-server.ts';

/**
 * The server of the login-page suites: 127.0.0.1 is a trusted proxy, so X-Forwarded-For gives each
 * test its own client address, and the brute-force limits are small enough to reach.
 */
export const AUTHORIZE_TEST_CONFIG = {
  http: { trusted_proxies: ['127.0.0.1'] },
  brute_force: { account_max_failures: 3, address_max_failures: 8, lock_seconds: 60, lock_max_seconds: 900 },
};

/**
 * Helpers of the authorization-endpoint suites: clients inserted straight into the repository (the
 * admin API is tested elsewhere), PKCE pairs, and a tiny cookie-keeping form "browser".
 */
export async function insertClient(
  server: TestServer,
  fields: Partial<OAuthClient> = {},
): Promise<OAuthClient> {
  const client: OAuthClient = {
    uuid: randomUUID(),
    clientId: `client-${randomUUID().slice(0, 8)}`,
    tenantUuid: server.topTenantUuid,
    name: 'Test App',
    type: 'public',
    secretDigest: null,
    tokenEndpointAuthMethod: 'none',
    jwks: null,
    redirectUris: ['https://app.example.com/callback'],
    grantTypes: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
    scopes: ['openid', 'profile', 'offline_access'],
    acl: [],
    accessTokenLifetimeSeconds: 900,
    refreshIdleSeconds: 0,
    refreshMaxLifetimeSeconds: 0,
    rotation: 'rotate',
    dpopBound: false,
    skipConsent: false,
    createdAtMs: Date.now(),
    ...fields,
  };
  assert.equal(await server.container.oauth.repositories.clients.insert(client), true);
  return client;
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** The query of a valid request for `client`, with overrides (null removes a parameter). */
export function authorizeQuery(
  client: OAuthClient,
  overrides: Record<string, string | null> = {},
): URLSearchParams {
  const base: Record<string, string | null> = {
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: client.redirectUris[0] ?? null,
    scope: 'openid profile',
    state: `state-${randomUUID()}`,
    code_challenge: pkcePair().challenge,
    code_challenge_method: 'S256',
    ...overrides,
  };
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(base)) if (value !== null) query.append(name, value);
  return query;
}

export interface PageResponse {
  status: number;
  headers: Headers;
  text: string;
  location: string | null;
}

/** A cookie-keeping client for the HTML pages; `headers` are added to every request (X-Forwarded-For). */
export class PageSession {
  readonly #server: TestServer;
  readonly #headers: Record<string, string>;
  cookies = new Map<string, string>();

  constructor(server: TestServer, headers: Record<string, string> = {}) {
    this.#server = server;
    this.#headers = headers;
  }

  get(path: string, headers: Record<string, string> = {}): Promise<PageResponse> {
    return this.#send(path, { method: 'GET', headers });
  }

  post(
    path: string,
    fields: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<PageResponse> {
    return this.#send(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(fields).toString(),
    });
  }

  async #send(path: string, init: { method: string; headers: Record<string, string>; body?: string }) {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(`${this.#server.origin}${path}`, {
      ...init,
      redirect: 'manual',
      headers: { ...this.#headers, ...(cookie ? { cookie } : {}), ...init.headers },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = (pair ?? '').indexOf('=');
      if (eq > 0) this.cookies.set((pair as string).slice(0, eq), (pair as string).slice(eq + 1));
    }
    return {
      status: response.status,
      headers: response.headers,
      text: await response.text(),
      location: response.headers.get('location'),
    };
  }
}

/** The hidden inputs of the page's form, name → (HTML-decoded) value. */
export function hiddenFields(page: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const match of page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields[match[1] as string] = decode(match[2] as string);
  }
  return fields;
}

function decode(value: string): string {
  return value
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&#96;', '`')
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');
}

/** The query parameters of a redirect's Location. */
export function redirectParams(location: string | null): URLSearchParams {
  assert.ok(location, 'a Location header');
  return new URL(location).searchParams;
}
