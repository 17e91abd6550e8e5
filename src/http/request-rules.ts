import type { FastifyRequest } from 'fastify';
import { DomainError } from '../errors/domain-error.ts';
import type { RouteMethods } from './method-not-allowed.ts';

/**
 * Headers that carry one credential or one choice. Node joins a repeated X-Auth-Token with ", " and
 * silently keeps the first Authorization, so a proxy and Gatehouse could each act on a different
 * copy; a repeat is refused outright instead (security.md §5.4 FZ-HDR).
 */
export const SINGLE_VALUED: ReadonlySet<string> = new Set([
  'x-auth-token',
  'authorization',
  'wazo-tenant',
  'content-type',
  'wazo-session-type',
]);

/**
 * The onRequest checks every request passes before routing, each O(request line + headers):
 * no repeated single-valued header, a Host header on HTTP/1.1 (Node's own refusal has no JSON
 * body, so Node's check is off and this one answers instead), no percent-encoded NUL anywhere in
 * the URL (PostgreSQL text cannot hold U+0000, and no Gatehouse value contains it), and OPTIONS
 * only as a CORS preflight (security.md P3); any other OPTIONS gets 405 with Allow, or 404.
 */
export function buildRequestRules(routeMethods: RouteMethods) {
  return async function checkRequest(request: FastifyRequest): Promise<void> {
    refuseDuplicateHeaders(request.raw.rawHeaders);
    if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) {
      throw new DomainError('bad-request', { details: { host: 'missing' } });
    }
    if (request.url.includes('%00'))
      throw new DomainError('bad-request', { details: { url: 'NUL character' } });
    if (request.method === 'OPTIONS' && !isPreflight(request)) {
      routeMethods.assertMethodAllowed(request);
      throw new DomainError('not-found');
    }
  };
}

function refuseDuplicateHeaders(raw: readonly string[]): void {
  const header = repeatedSingleValuedHeader(raw);
  if (header !== null) throw new DomainError('duplicate-header', { details: { header } });
}

/** The first single-valued header sent more than once, or null (also used by the check fast path). */
export function repeatedSingleValuedHeader(raw: readonly string[]): string | null {
  let seen: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] ?? '').toLowerCase();
    if (!SINGLE_VALUED.has(name)) continue;
    seen ??= new Set();
    if (seen.has(name)) return name;
    seen.add(name);
  }
  return null;
}

function isPreflight(request: FastifyRequest): boolean {
  return (
    request.headers.origin !== undefined && request.headers['access-control-request-method'] !== undefined
  );
}
