import type { FastifyRequest } from 'fastify';
import { DomainError } from '../errors/domain-error.ts';

/**
 * Headers that carry one credential or one choice. Node joins a repeated X-Auth-Token with ", " and
 * silently keeps the first Authorization, so a proxy and Gatehouse could each act on a different
 * copy; a repeat is refused outright instead (security.md §5.4 FZ-HDR).
 */
const SINGLE_VALUED = new Set([
  'x-auth-token',
  'authorization',
  'wazo-tenant',
  'content-type',
  'wazo-session-type',
]);

/** onRequest hook: 400 `duplicate-header` when a single-valued header appears twice. One pass over rawHeaders. */
export async function refuseDuplicateHeaders(request: FastifyRequest): Promise<void> {
  const raw = request.raw.rawHeaders;
  let seen: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] ?? '').toLowerCase();
    if (!SINGLE_VALUED.has(name)) continue;
    seen ??= new Set();
    if (seen.has(name)) throw new DomainError('duplicate-header', { details: { header: name } });
    seen.add(name);
  }
}
