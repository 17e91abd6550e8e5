import { Ajv } from 'ajv';
import type { FastifyInstance } from 'fastify';

/**
 * Two validators: bodies are JSON and are checked strictly (no "10" → 10, no true → 1, which Fastify's
 * default coercion would allow), while path and query parameters are text and are coerced to the
 * schema's types. Both drop unknown body fields, as every wazo-auth schema does.
 */
export function registerValidators(app: FastifyInstance): void {
  const common = { removeAdditional: true, useDefaults: true, allErrors: true, strict: false } as const;
  const bodies = new Ajv({ ...common, coerceTypes: false });
  const parameters = new Ajv({ ...common, coerceTypes: 'array' });
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? bodies : parameters).compile(schema as object),
  );
}
