import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { CachedVerdict } from './token-check-service.ts';

/**
 * The platform's hot path without the framework. Every Wazo service sends
 * `HEAD /0.1/token/{t}?scope=…` on every request; Fastify's routing, hooks and validation cost
 * about three times what the check itself does (issue #4 bench). A request of exactly that form
 * that the cache alone can answer gets here the answer the full path would give, byte for byte:
 * 204 when the token is live and grants the scope, 403 when it refuses the scope, 404 for a
 * negative entry or an expired token (HEAD: no body, but the headers and Content-Length of the
 * wazo error body). Everything else (a miss, a bound token, any other parameter, a browser
 * `Origin`, a `DPoP` proof, a repeated credential header, percent-encoded input, a server shutting
 * down) goes on to Fastify unchanged. These routes declare no ACL, so the audit hook writes no line
 * for their answers, refusals included; metrics count them as the framework's hook would.
 */
export interface CheckFastPathOptions {
  /** `<path_prefix>/0.1/token/` */
  routePrefix: string;
  /** The cache-only answer (see TokenCheckService.verdictFromCache); null: ask the full path. */
  verdictFromCache(token: string, scope: string | undefined): CachedVerdict | null;
  /** Headers the framework adds to every such response (CORS, no-store), sent the same here. */
  headers: Readonly<Record<string, string>>;
  /** The JSON error body the full path renders for a refusal; HEAD sends only its length. */
  refusalBody(verdict: Exclude<CachedVerdict, 'valid'>, scope: string | undefined): string;
  /** Metrics: one recorder per answer (request count and latency, check result); null when off. */
  recorders: Readonly<Record<CachedVerdict, (seconds: number) => void>> | null;
  isClosing(): boolean;
  /** Headers the request rules refuse to see twice (request-rules.ts). */
  singleValuedHeaders: ReadonlySet<string>;
  /** Longer scopes are read by the full parser, which also enforces the configured cap. */
  maxPlainScopeLength: number;
}

const TOKEN_LENGTH = 36;
const QUESTION_MARK = 63;
const NEEDS_FULL_PARSER = /[%&+#]/;
const STATUS: Record<CachedVerdict, number> = { valid: 204, forbidden: 403, unknown: 404 };

export type FastPath = (request: IncomingMessage, response: ServerResponse) => boolean;

export function createCheckFastPath(options: CheckFastPathOptions): FastPath {
  const prefix = options.routePrefix;
  const tokenEnd = prefix.length + TOKEN_LENGTH;
  const valid = { ...options.headers };
  const refusal = refusalHeaders(valid);
  return (request, response) => {
    const started = performance.now();
    const url = request.url;
    if (request.method !== 'HEAD' || url === undefined || !url.startsWith(prefix)) return false;
    if (url.length !== tokenEnd && url.charCodeAt(tokenEnd) !== QUESTION_MARK) return false;
    if (!plainHeaders(request.rawHeaders, options.singleValuedHeaders) || options.isClosing()) return false;
    const scope =
      url.length === tokenEnd ? undefined : plainScope(url, tokenEnd + 1, options.maxPlainScopeLength);
    if (scope === null) return false;
    const verdict = options.verdictFromCache(url.slice(prefix.length, tokenEnd), scope);
    if (verdict === null) return false;
    if (verdict === 'valid') response.writeHead(204, valid);
    else {
      refusal['content-length'] = String(Buffer.byteLength(options.refusalBody(verdict, scope)));
      response.writeHead(STATUS[verdict], refusal);
    }
    response.end();
    options.recorders?.[verdict]((performance.now() - started) / 1000);
    return true;
  };
}

/**
 * The headers of a refused check in the order Fastify writes them: CORS (set on request),
 * Content-Type (set by send), the no-store pair (onSend), Content-Length (last, filled per answer).
 */
function refusalHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const refusal: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith('access-control-')) refusal[name] = value;
  }
  refusal['content-type'] = 'application/json; charset=utf-8';
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith('access-control-')) refusal[name] = value;
  }
  refusal['content-length'] = '';
  return refusal;
}

/**
 * One pass over the raw header list, without building `request.headers`: a Host header, no
 * `Origin` (CORS answers depend on it), no `DPoP` proof (RFC 9449: verified by the full path only;
 * bound tokens never pass here either), and no repeated single-valued header (the request rules
 * refuse those with 400).
 */
function plainHeaders(raw: readonly string[], singleValued: ReadonlySet<string>): boolean {
  let host = false;
  let seen: string[] | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    if (name === 'host') host = true;
    else if (name === 'origin' || name === 'dpop') return false;
    else if (singleValued.has(name)) {
      seen ??= [];
      if (seen.includes(name)) return false;
      seen.push(name);
    }
  }
  return host;
}

/** The value of a query that is exactly `scope=<plain text>`; null when the full parser must read it. */
function plainScope(url: string, start: number, maxLength: number): string | null {
  if (!url.startsWith('scope=', start)) return null;
  const value = url.slice(start + 'scope='.length);
  return value.length > maxLength || NEEDS_FULL_PARSER.test(value) ? null : value;
}

/** The settings Fastify applies to the server it creates itself, which a serverFactory must copy. */
export interface ServerSettings {
  http?: object;
  keepAliveTimeout?: number;
  requestTimeout?: number;
  connectionTimeout?: number;
  maxRequestsPerSocket?: number;
}

/** A Fastify `serverFactory` that tries the fast path before handing a request to Fastify. */
export function serverWithFastPath(fastPath: FastPath) {
  return (
    handler: (request: IncomingMessage, response: ServerResponse) => void,
    settings: ServerSettings,
  ): Server => {
    const server = createServer(settings.http ?? {}, (request, response) => {
      if (!fastPath(request, response)) handler(request, response);
    });
    if (settings.keepAliveTimeout !== undefined) server.keepAliveTimeout = settings.keepAliveTimeout;
    if (settings.requestTimeout !== undefined) server.requestTimeout = settings.requestTimeout;
    if (settings.connectionTimeout !== undefined) server.setTimeout(settings.connectionTimeout);
    if (settings.maxRequestsPerSocket) server.maxRequestsPerSocket = settings.maxRequestsPerSocket;
    return server;
  };
}

/** What app.ts's onSend hook adds to every answer. */
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

/**
 * The headers the framework path adds to a 204 check without `Origin` (CORS, no-store), or null
 * when they depend on the request.
 */
export function corsHeadersWithoutOrigin(cors: {
  enabled: boolean;
  allowedOrigins: readonly string[];
}): Record<string, string> | null {
  if (!cors.enabled) return { ...NO_STORE };
  if (!cors.allowedOrigins.includes('*')) return null;
  return {
    'access-control-allow-origin': '*',
    'access-control-expose-headers': 'Wazo-Sessions-Revoked, WWW-Authenticate',
    ...NO_STORE,
  };
}
