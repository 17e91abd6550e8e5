import { randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { constantTimeEqual } from '../../crypto/token-values.ts';

export const CSRF_COOKIE = 'gatehouse_oauth_csrf';
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export interface CsrfCookieSettings {
  /** `<path_prefix>/oauth2/`: the cookie goes to the login pages and nowhere else. */
  path: string;
  /** Set when the issuer is https. */
  secure: boolean;
}

export function newCsrfToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The CSRF cookie's value when it has the shape this server gives it; null otherwise. */
export function readCsrfCookie(request: FastifyRequest): string | null {
  const header = request.headers.cookie;
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== CSRF_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    if (TOKEN_SHAPE.test(value)) return value;
  }
  return null;
}

/**
 * Double-submit cookie (OWASP CSRF cheat sheet): SameSite=Strict already keeps cross-site posts
 * from carrying it, and the hidden field must equal it. A session cookie: it dies with the browser.
 */
export function csrfCookie(value: string, settings: CsrfCookieSettings): string {
  const secure = settings.secure ? '; Secure' : '';
  return `${CSRF_COOKIE}=${value}; Path=${settings.path}; HttpOnly; SameSite=Strict${secure}`;
}

export function csrfMatches(cookie: string | null, field: string | null): cookie is string {
  return cookie !== null && field !== null && constantTimeEqual(cookie, field);
}
