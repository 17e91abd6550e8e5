import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FastifyRequest } from 'fastify';
import { csrfCookie, csrfMatches, newCsrfToken, readCsrfCookie } from './csrf.ts';

function withCookie(cookie: string | undefined): FastifyRequest {
  return { headers: cookie === undefined ? {} : { cookie } } as FastifyRequest;
}

test('§5 the CSRF cookie: HttpOnly, SameSite=Strict, the /oauth2/ path, Secure only for an https issuer', () => {
  const value = newCsrfToken();
  assert.match(value, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(
    csrfCookie(value, { path: '/api/auth/oauth2/', secure: false }),
    `gatehouse_oauth_csrf=${value}; Path=/api/auth/oauth2/; HttpOnly; SameSite=Strict`,
  );
  assert.match(csrfCookie(value, { path: '/oauth2/', secure: true }), /; SameSite=Strict; Secure$/);
});

test('§5 the CSRF cookie is read among others; a malformed one counts as absent', () => {
  const value = newCsrfToken();
  assert.equal(readCsrfCookie(withCookie(`a=1; gatehouse_oauth_csrf=${value}; b=2`)), value);
  assert.equal(readCsrfCookie(withCookie('gatehouse_oauth_csrf=short')), null);
  assert.equal(readCsrfCookie(withCookie(undefined)), null);
  assert.equal(csrfMatches(value, value), true);
  assert.equal(csrfMatches(value, newCsrfToken()), false);
  assert.equal(csrfMatches(null, value), false);
  assert.equal(csrfMatches(value, null), false);
});
