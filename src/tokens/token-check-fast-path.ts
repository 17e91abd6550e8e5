import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/**
 * The platform's hot path without the framework. Every Wazo service sends
 * `HEAD /0.1/token/{t}?scope=…` on every request; Fastify's routing, hooks and validation cost
 * about three times what the check itself does (issue #4 bench). A request of exactly that form
 * whose token the cache proves live and granting the scope is answered here with the same 204 and
 * headers Fastify would send. Everything else (a miss, a refusal, an unknown token, any other
 * parameter, a browser `Origin`, a `DPoP` proof, percent-encoded input, a server shutting down) goes on to Fastify
 * unchanged, so this path can only ever say "valid" when the full path would say it too.
 */
export interface CheckFastPathOptions {
  /** `<path_prefix>/0.1/token/` */
  routePrefix: string;
  /** The cache-only answer: true when the token is live and grants the scope (if any). */
  grantsFromCache(token: string, scope: string | undefined): boolean;
  /** Headers the framework adds to every such response (CORS), sent the same here. */
  headers: Readonly<Record<string, string>>;
  /** Called once per answered request (metrics), with its duration. */
  onAnswered(seconds: number): void;
  isClosing(): boolean;
  /** Requests the framework's request rules would refuse (a repeated credential header). */
  refusedByRequestRules(request: IncomingMessage): boolean;
  /** Longer scopes are read by the full parser, which also enforces the configured cap. */
  maxPlainScopeLength: number;
}

const TOKEN_LENGTH = 36;
const QUESTION_MARK = 63;
const NEEDS_FULL_PARSER = /[%&+#]/;

export type FastPath = (request: IncomingMessage, response: ServerResponse) => boolean;

export function createCheckFastPath(options: CheckFastPathOptions): FastPath {
  const prefix = options.routePrefix;
  const tokenEnd = prefix.length + TOKEN_LENGTH;
  return (request, response) => {
    const started = performance.now();
    const url = request.url;
    if (request.method !== 'HEAD' || url === undefined || !url.startsWith(prefix)) return false;
    if (url.length !== tokenEnd && url.charCodeAt(tokenEnd) !== QUESTION_MARK) return false;
    if (request.headers.origin !== undefined || request.headers.host === undefined) return false;
    // A DPoP proof is verified by the full path only (RFC 9449; bound tokens never pass here either).
    if (request.headers.dpop !== undefined) return false;
    if (options.isClosing() || options.refusedByRequestRules(request)) return false;
    const scope =
      url.length === tokenEnd ? undefined : plainScope(url, tokenEnd + 1, options.maxPlainScopeLength);
    if (scope === null || !options.grantsFromCache(url.slice(prefix.length, tokenEnd), scope)) return false;
    response.writeHead(204, options.headers);
    response.end();
    options.onAnswered((performance.now() - started) / 1000);
    return true;
  };
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
