import type { FastifyContextConfig, FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../errors/domain-error.ts';
import { catalogEntry, type ErrorCode } from '../errors/error-catalog.ts';
import { LogRateLimiter } from '../logging/log-rate-limiter.ts';
import { isStorageUnavailable } from '../storage/db-errors.ts';

/**
 * The one place where errors become HTTP: DomainErrors through the catalog, framework errors
 * (validation, body parsing) mapped to catalog codes, storage outages to 503, and anything else
 * to a generic 500 whose details are logged, never sent.
 */
export function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const domain = toDomainError(error, request);
  const entry = catalogEntry(domain.code);
  if (entry.status >= 500) logFailure(error, domain, request);
  for (const [name, value] of Object.entries(domain.options.headers ?? {})) reply.header(name, value);
  if (domain.code === 'method-not-allowed' || domain.code === 'not-found')
    reply.header('cache-control', 'no-store');
  return reply.code(entry.status).send(renderError(domain, request));
}

/** Storage outages fail every request alike: at most one line a second for them (FT-6). */
const storageOutageLog = new LogRateLimiter(1000);

function logFailure(error: FastifyError, domain: DomainError, request: FastifyRequest): void {
  if (domain.code !== 'storage-unavailable') {
    request.log.error({ err: error, code: domain.code }, 'request failed');
    return;
  }
  const suppressed = storageOutageLog.take();
  if (suppressed === null) return;
  request.log.error({ err: error, code: domain.code, suppressed }, 'request failed: storage unavailable');
}

export function renderError(error: DomainError, request: FastifyRequest): Record<string, unknown> {
  const entry = catalogEntry(error.code);
  const message = error.options.message ?? entry.message;
  const now = Date.now() / 1000;
  const shape = entry.shape === 'route' ? (routeConfig(request)?.errorShape ?? 'api') : entry.shape;
  if (shape === 'legacy') return legacyErrorBody(entry.status, message, now);
  const body: Record<string, unknown> = {
    message,
    error_id: entry.errorId ?? error.code,
    details: error.options.details ?? {},
    timestamp: now,
  };
  const resource = error.options.resource ?? entry.resource;
  if (resource) body.resource = resource;
  return body;
}

/**
 * wazo's legacy error body (`reason`, `timestamp`, `status_code`); the token check fast path sends
 * the length of the same body for its refusals, so it is built in one place.
 */
export function legacyErrorBody(status: number, message: string, nowSeconds: number) {
  return { reason: [message], timestamp: [nowSeconds], status_code: status };
}

function toDomainError(error: FastifyError, request: FastifyRequest): DomainError {
  if (error instanceof DomainError) return error;
  if (error.validation) return fromValidation(error, request);
  const code = FRAMEWORK_CODES[error.code ?? ''];
  if (code) return new DomainError(code);
  if (isStorageUnavailable(error))
    return new DomainError('storage-unavailable', { headers: { 'retry-after': '1' } });
  if (error instanceof SyntaxError) return new DomainError('invalid-json');
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    return new DomainError('bad-request');
  }
  return new DomainError('internal');
}

const FRAMEWORK_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload-too-large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported-media-type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad-request',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid-json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid-json',
  FST_ERR_BAD_URL: 'not-found',
  FST_ERR_MAX_PARAM_LENGTH: 'not-found',
  FST_ERR_ASYNC_CONSTRAINT: 'bad-request',
};

/**
 * Schema failures: a bad path parameter means no such resource (wazo's UUID routes do not match
 * it), a bad query string is wazo's `invalid-list-param`, a bad body is `invalid-data` with one
 * entry per field.
 */
function fromValidation(error: FastifyError, request: FastifyRequest): DomainError {
  const context = error.validationContext;
  if (context === 'params') return new DomainError('not-found');
  const details: Record<string, unknown> = {};
  for (const issue of error.validation ?? []) {
    const field = fieldName(issue.instancePath, issue.params);
    details[field] = {
      constraint_id: issue.keyword,
      constraint: issue.params,
      message: issue.message ?? 'invalid',
    };
  }
  if (context === 'querystring') return new DomainError('invalid-list-param', { details });
  if (context === 'headers') return new DomainError('bad-request', { details });
  return new DomainError('invalid-data', { details, resource: routeConfig(request)?.resource });
}

/** Errors raised before routing (bad URL, over-long parameter) have no route to read. */
function routeConfig(request: FastifyRequest): FastifyContextConfig | undefined {
  try {
    return request.routeOptions.config;
  } catch {
    return undefined;
  }
}

function fieldName(instancePath: string, params: Record<string, unknown>): string {
  const path = instancePath.replace(/^\//, '').replaceAll('/', '.');
  const missing = params.missingProperty;
  if (typeof missing === 'string') return path ? `${path}.${missing}` : missing;
  return path || '_schema';
}
