import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isStorageUnavailable } from '../storage/db-errors.ts';

/** RFC 6749 §5.2, RFC 6750 §3.1, RFC 7009, RFC 8628 §3.5 and RFC 9449 error codes the /oauth2/ endpoints answer with. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'access_denied'
  | 'unsupported_response_type'
  | 'unsupported_token_type'
  | 'authorization_pending'
  | 'slow_down'
  | 'expired_token'
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'temporarily_unavailable'
  | 'server_error';

const STATUS: Record<OAuthErrorCode, number> = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  invalid_scope: 400,
  access_denied: 400,
  unsupported_response_type: 400,
  unsupported_token_type: 400,
  authorization_pending: 400,
  slow_down: 400,
  expired_token: 400,
  invalid_dpop_proof: 400,
  use_dpop_nonce: 400,
  invalid_token: 401,
  insufficient_scope: 403,
  temporarily_unavailable: 503,
  server_error: 500,
};

/** An OAuth protocol error: rendered as `{error, error_description}` (RFC 6749 §5.2), never as wazo's body. */
export class OAuthError extends Error {
  readonly code: OAuthErrorCode;
  readonly status: number;
  readonly headers: Record<string, string>;

  constructor(
    code: OAuthErrorCode,
    description: string,
    options: { status?: number; headers?: Record<string, string> } = {},
  ) {
    super(description);
    this.code = code;
    this.status = options.status ?? STATUS[code];
    this.headers = options.headers ?? {};
  }
}

/**
 * The error handler of the /oauth2/ plugin. Validation and parse errors are invalid_request; an
 * outage is temporarily_unavailable with 503 (never a 200 that did nothing, RFC 7009 / B19);
 * anything else is a server_error whose detail is logged, not sent.
 */
export function handleOAuthError(
  error: FastifyError | OAuthError,
  request: FastifyRequest,
  reply: FastifyReply,
) {
  const oauth = toOAuthError(error);
  if (oauth.status >= 500) request.log.error({ err: error }, 'oauth request failed');
  for (const [name, value] of Object.entries(oauth.headers)) reply.header(name, value);
  reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
  return reply.code(oauth.status).send({ error: oauth.code, error_description: oauth.message });
}

function toOAuthError(error: FastifyError | OAuthError): OAuthError {
  if (error instanceof OAuthError) return error;
  if (isStorageUnavailable(error)) {
    return new OAuthError('temporarily_unavailable', 'The server cannot answer now; retry.', {
      headers: { 'retry-after': '1' },
    });
  }
  const status = typeof error.statusCode === 'number' ? error.statusCode : 500;
  if (error.validation || (status >= 400 && status < 500)) {
    return new OAuthError('invalid_request', error.validation ? 'The request is malformed.' : error.message, {
      status: status === 413 || status === 415 ? status : 400,
    });
  }
  return new OAuthError('server_error', 'The server failed to answer this request.');
}
