import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../../errors/domain-error.ts';
import { catalogEntry } from '../../errors/error-catalog.ts';
import { isStorageUnavailable } from '../../storage/db-errors.ts';
import { errorPage } from './pages/error-page.ts';
import { sendPage } from './pages/layout.ts';

/**
 * The error handler of the HTML routes: a person reads these answers, so they are pages, never
 * the JSON of the API endpoints; details stay in the log.
 */
export function handlePageError(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof DomainError) {
    const { status } = catalogEntry(error.code);
    for (const [name, value] of Object.entries(error.options.headers ?? {})) reply.header(name, value);
    if (status >= 500) request.log.error({ err: error }, 'login page failed');
    return sendPage(reply, status, errorPage('Please try again later', 'The server cannot answer now.'));
  }
  if (isStorageUnavailable(error)) {
    reply.header('retry-after', '1');
    return sendPage(reply, 503, errorPage('Please try again later', 'The server cannot answer now.'));
  }
  const status = (error as FastifyError).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return sendPage(reply, status, errorPage('Bad request', 'The request could not be understood.'));
  }
  request.log.error({ err: error }, 'login page failed');
  return sendPage(reply, 500, errorPage('Something went wrong', 'The server failed to answer this request.'));
}

export function sendExpired(reply: FastifyReply): FastifyReply {
  return sendPage(
    reply,
    400,
    errorPage('This page has expired', 'Go back to the application and start signing in again.'),
  );
}

/** CSRF cookie missing or not matching the form (or a form of another browser): 403. */
export function sendForbidden(reply: FastifyReply): FastifyReply {
  return sendPage(
    reply,
    403,
    errorPage(
      'Request refused',
      'This form could not be verified. Make sure cookies are enabled, then start again from the application.',
    ),
  );
}

export function sendThrottled(reply: FastifyReply, retryAfter: string): FastifyReply {
  reply.header('retry-after', retryAfter);
  return sendPage(
    reply,
    429,
    errorPage('Too many attempts', 'Too many failed attempts from your address. Try again later.'),
  );
}
