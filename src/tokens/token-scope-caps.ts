import type { FastifyRequest } from 'fastify';
import { DomainError } from '../errors/domain-error.ts';

/** The configured caps on what a token check may ask (http.max_scope_length, http.max_scopes_per_check). */
export interface ScopeCaps {
  maxScopeLength: number;
  maxScopesPerCheck: number;
}

/**
 * preValidation hook of the token-check routes (security.md §5.4 FZ-SCOPE): refuses an over-long
 * `?scope=` or too many / too long `scopes` before any ACL matching, so one check stays cheap. Only
 * lengths are read (O(1) per value, O(n ≤ cap) per body); types are left to the route schema.
 */
export function scopeCapsHook(caps: ScopeCaps) {
  return async function checkScopeCaps(request: FastifyRequest): Promise<void> {
    const { scope } = (request.query ?? {}) as { scope?: unknown };
    if (typeof scope === 'string' && scope.length > caps.maxScopeLength) throw tooBig('scope', caps);
    const body = request.body as { scopes?: unknown } | undefined;
    const scopes = body && typeof body === 'object' ? body.scopes : undefined;
    if (!Array.isArray(scopes)) return;
    if (scopes.length > caps.maxScopesPerCheck) throw tooBig('scopes', caps);
    for (const item of scopes) {
      if (typeof item === 'string' && item.length > caps.maxScopeLength) throw tooBig('scopes', caps);
    }
  };
}

function tooBig(field: string, caps: ScopeCaps): DomainError {
  return new DomainError('scope-limit-exceeded', {
    details: {
      [field]: { max_scope_length: caps.maxScopeLength, max_scopes_per_check: caps.maxScopesPerCheck },
    },
  });
}
