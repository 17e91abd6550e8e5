import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { type HttpResult, postToken } from './http-client.ts';
import type { TestServer } from './test-server.ts';

/**
 * Helpers of the brute-force and enumeration suites. Their servers trust 127.0.0.1 as a proxy
 * (BRUTE_FORCE_TEST_CONFIG), so an `X-Forwarded-For` header picks the client address a request
 * counts against: each test gets addresses of its own and several "clients" share one loopback.
 */
export const BRUTE_FORCE_TEST_CONFIG = {
  http: { trusted_proxies: ['127.0.0.1'] },
  brute_force: { account_max_failures: 10, lock_seconds: 60, lock_max_seconds: 900 },
} as const;

/** A random client address from 10/8 (collisions between tests are negligible). */
export function newAddress(): string {
  return `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;
}

export function from(address: string): Record<string, string> {
  return { 'X-Forwarded-For': address };
}

/** POST /token with Basic credentials as seen from `address`. */
export function loginFrom(server: TestServer, address: string, login: string, password: string) {
  return postToken(server, login, password, {}, from(address));
}

/** `count` wrong-password logins from `address`, one after the other; each must be a 401. */
export async function failLogins(server: TestServer, address: string, login: string, count: number) {
  for (let i = 0; i < count; i += 1) {
    const result = await loginFrom(server, address, login, `wrong-${i}-${randomInt(1e9)}`);
    assert.equal(result.status, 401, result.text);
  }
}

/** The body with wazo's `timestamp` (the only part that may differ between refusals) removed. */
export function withoutTimestamp(result: HttpResult): string {
  const body = { ...(result.body as Record<string, unknown>) };
  delete body.timestamp;
  return JSON.stringify(body);
}

/** Header names and values that must be identical between refusals: all but Date and the length. */
export function comparableHeaders(result: HttpResult): string {
  const kept = [...result.headers.entries()].filter(([name]) => !['date', 'content-length'].includes(name));
  return JSON.stringify(kept.sort(([a], [b]) => a.localeCompare(b)));
}

/** Asserts two refusals are the same answer: status, body but its timestamp, headers but Date. */
export function assertSameRefusal(actual: HttpResult, reference: HttpResult, label: string): void {
  assert.equal(actual.status, reference.status, `${label}: ${actual.text}`);
  assert.equal(withoutTimestamp(actual), withoutTimestamp(reference), label);
  assert.equal(comparableHeaders(actual), comparableHeaders(reference), label);
}

export function clockOf(server: TestServer) {
  const { clock } = server;
  if (!clock) throw new Error('this suite needs manualClock: true');
  return clock;
}
