import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DomainError } from '../errors/domain-error.ts';
import { inspectJsonText } from './json-depth.ts';

/** application/json and its relatives (application/merge-patch+json, text/json…). */
const JSON_MEDIA_TYPE = /^(application\/([\w.-]+\+)?json|text\/json)\s*(;|$)/i;

/**
 * Body parsing for the whole API. wazo-auth parses JSON whatever the Content-Type says; decision D9
 * keeps that for a missing header or any JSON type and answers 415 for the rest. `__proto__` and
 * `constructor.prototype` keys are refused (no prototype pollution), an empty body is a 400, and a
 * literal `null` counts as `{}` as in wazo-auth. Bodies nesting deeper than `maxDepth` are refused
 * before parsing (http.json_max_depth), and so are strings holding U+0000.
 */
export function registerJsonBody(app: FastifyInstance, options: { maxDepth: number }): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (request, body, done) => {
    const contentType = request.headers['content-type'];
    if (contentType && !JSON_MEDIA_TYPE.test(contentType)) {
      done(new DomainError('unsupported-media-type'), undefined);
      return;
    }
    const text = String(body);
    if (text.trim() === '') {
      done(new DomainError('invalid-json'), undefined);
      return;
    }
    const problem = inspectJsonText(text, options.maxDepth);
    if (problem) {
      done(new DomainError(problem === 'nul' ? 'nul-character' : 'json-too-deep'), undefined);
      return;
    }
    void parseJson(request, text, (error, value) => {
      if (error) done(new DomainError('invalid-json'), undefined);
      else done(null, value === null ? {} : value);
    });
  });
}

/** Routes that read a body refuse a request that sent none (wazo: empty body → 400). */
export async function requireBody(request: FastifyRequest): Promise<void> {
  if (request.body === undefined || request.body === null) throw new DomainError('invalid-json');
}
