// The request lists each autocannon connection cycles through. Every connection gets its own list
// (seeded shuffle), so 50 connections spread over all the hot tokens.
import type { AutocannonRequest } from 'autocannon';
import type { BenchUser, RefreshCredential } from './fixtures.ts';
import { seededRandom, shuffle } from './load.ts';
import { GRANTED_SCOPES, REFUSED_SCOPES, type TokenSet } from './seed-data.ts';

export const REQUESTS_PER_CONNECTION = 1000;
/** Never seeded: token numbers from here on are unknown to Gatehouse. */
const UNKNOWN_BASE = 1_000_000_000;
const UNKNOWN_DISTINCT = 500;
const JSON_HEADERS = { 'content-type': 'application/json' };

export interface HotTokens {
  tokens: TokenSet;
  /** Tokens 0 to count - 1 are live. */
  count: number;
}

function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)] as T;
}

function checkPath(value: string, scope: string): string {
  return `/0.1/token/${value}?scope=${encodeURIComponent(scope)}`;
}

/** Scenario a: 90% valid with a granted scope (204), 5% valid with a refused one (403), 5% unknown (404). */
export function checkMix(hot: HotTokens, connection: number): AutocannonRequest[] {
  const random = seededRandom(connection + 1);
  const requests: AutocannonRequest[] = [];
  const forbidden = REQUESTS_PER_CONNECTION * 0.05;
  for (let k = 0; k < REQUESTS_PER_CONNECTION; k++) {
    const i = Math.floor(random() * hot.count);
    let path: string;
    if (k < forbidden)
      path = checkPath(hot.tokens.value(i), hot.tokens.scope(i, pick(REFUSED_SCOPES, random)));
    else if (k < 2 * forbidden) {
      const unknown = hot.tokens.value(UNKNOWN_BASE + Math.floor(random() * UNKNOWN_DISTINCT));
      path = checkPath(unknown, 'confd.users.me.read');
    } else path = checkPath(hot.tokens.value(i), hot.tokens.scope(i, pick(GRANTED_SCOPES, random)));
    requests.push({ method: 'HEAD', path });
  }
  return shuffle(requests, random);
}

/**
 * HEAD with a granted scope on tokens first to first + count - 1, one slice per connection, each
 * request built as it is sent. A prebuilt list was built in autocannon's client setup: with a
 * million tokens that took the load generator more than 10 s, during which the answers to the
 * first connections' first requests waited unread, and autocannon counted them as timeouts.
 */
export function distinctChecks(
  tokens: TokenSet,
  first: number,
  perConnection: number,
  connection: number,
): AutocannonRequest[] {
  const start = first + connection * perConnection;
  let k = 0;
  return [
    {
      method: 'HEAD',
      setupRequest: (request) => {
        const i = start + (k++ % perConnection);
        return { ...request, path: checkPath(tokens.value(i), tokens.scope(i, 'confd.users.{me}.read')) };
      },
    },
  ];
}

/** Scenario b: GET /token/{t} on valid tokens. */
export function tokenReads(hot: HotTokens, connection: number): AutocannonRequest[] {
  const random = seededRandom(connection + 101);
  return Array.from({ length: REQUESTS_PER_CONNECTION }, () => ({
    method: 'GET',
    path: `/0.1/token/${hot.tokens.value(Math.floor(random() * hot.count))}`,
  }));
}

/** Scenario c: POST /token/{t}/scopes/check with 5 scopes (3 granted, 2 refused). */
export function scopeChecks(hot: HotTokens, connection: number): AutocannonRequest[] {
  const random = seededRandom(connection + 201);
  return Array.from({ length: REQUESTS_PER_CONNECTION }, () => {
    const i = Math.floor(random() * hot.count);
    const templates = [...GRANTED_SCOPES.slice(0, 3), ...REFUSED_SCOPES.slice(0, 2)];
    const scopes = templates.map((t) => hot.tokens.scope(i, t));
    return {
      method: 'POST',
      path: `/0.1/token/${hot.tokens.value(i)}/scopes/check`,
      headers: JSON_HEADERS,
      body: JSON.stringify({ scopes }),
    };
  });
}

/** Scenario d: password logins, one user per connection (round-robin over the users). */
export function passwordLogins(users: readonly BenchUser[], connection: number): AutocannonRequest[] {
  const user = users[connection % users.length] as BenchUser;
  return [
    {
      method: 'POST',
      path: '/0.1/token',
      headers: {
        ...JSON_HEADERS,
        authorization: `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`,
      },
      body: JSON.stringify({ expiration: 3600 }),
    },
  ];
}

/**
 * Scenario e: refresh-token logins. Connection c cycles through credentials c, c + connections, …
 * so every user's session count grows evenly (each refresh login opens a session).
 */
export function refreshLogins(
  credentials: readonly RefreshCredential[],
  connection: number,
  connections: number,
): AutocannonRequest[] {
  const mine = credentials.filter((_, i) => i % connections === connection % connections);
  return (mine.length > 0 ? mine : [credentials[connection % credentials.length] as RefreshCredential]).map(
    (credential) => ({
      method: 'POST',
      path: '/0.1/token',
      headers: JSON_HEADERS,
      body: JSON.stringify({
        refresh_token: credential.refreshToken,
        client_id: credential.clientId,
        expiration: 3600,
      }),
    }),
  );
}
