import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DomainError } from '../errors/domain-error.ts';

interface RoutePattern {
  pattern: RegExp;
  methods: Set<string>;
}

/**
 * The route table seen as paths, so that a request the router did not match can be told apart:
 * a path served with other methods gets 405 with `Allow` (RFC 9110 §15.5.6, security.md P3,
 * FZ-METH), an unknown path keeps its plain 404. Routes are collected by an onRoute hook, so this
 * must be attached before any route is registered. Only unmatched requests pay for the lookup.
 */
export class RouteMethods {
  readonly #byUrl = new Map<string, RoutePattern>();

  attach(app: FastifyInstance): void {
    app.addHook('onRoute', (route) => {
      // Wildcard routes (CORS preflight) would claim every path; they are not resources.
      if (route.url.includes('*')) return;
      const params = paramPatterns(route.schema?.params);
      const entry = this.#byUrl.get(route.url) ?? {
        pattern: toPattern(route.url, params),
        methods: new Set(),
      };
      for (const method of [route.method].flat()) entry.methods.add(method.toUpperCase());
      this.#byUrl.set(route.url, entry);
    });
  }

  /** The methods served for this raw request URL (query string ignored), sorted; empty when none. */
  allowedFor(rawUrl: string): string[] {
    const path = rawUrl.split('?', 1)[0] ?? '';
    const methods = new Set<string>();
    for (const { pattern, methods: served } of this.#byUrl.values()) {
      if (pattern.test(path)) for (const method of served) methods.add(method);
    }
    return [...methods].sort();
  }

  /** Throws 405 with Allow when the path exists under other methods; returns for a true 404. */
  assertMethodAllowed(request: FastifyRequest): void {
    const allowed = this.allowedFor(request.url);
    if (allowed.length > 0 && !allowed.includes(request.method)) {
      throw new DomainError('method-not-allowed', { headers: { allow: allowed.join(', ') } });
    }
  }
}

/**
 * `/0.1/users/:user_uuid/tokens` → /^\/0\.1\/users\/(?:<uuid pattern>)\/tokens\/?$/ (trailing slash
 * ignored). A parameter whose schema has a pattern matches only the values that pattern accepts, so
 * `/users/register` is not taken for `/users/:user_uuid` (it stays 404 while registration is off).
 */
function toPattern(url: string, params: Record<string, string>): RegExp {
  const segments = url.split('/').map((segment) => {
    if (!segment.startsWith(':')) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const pattern = params[segment.slice(1)];
    return pattern ? `(?:${pattern.replace(/^\^/, '').replace(/\$$/, '')})` : '[^/]+';
  });
  return new RegExp(`^${segments.join('/').replace(/\/$/, '')}/?$`);
}

/** The `pattern` of each path parameter in a route's params schema (a TypeBox object), by name. */
function paramPatterns(schema: unknown): Record<string, string> {
  const properties = (schema as { properties?: Record<string, { pattern?: unknown }> } | undefined)
    ?.properties;
  const out: Record<string, string> = {};
  for (const [name, property] of Object.entries(properties ?? {})) {
    if (typeof property.pattern === 'string') out[name] = property.pattern;
  }
  return out;
}
