import type { TSchema } from '@sinclair/typebox';

/** What a redacted secret reads as in GET /config. */
export const REDACTED = '**redacted**';

/** Keys whose secret value is a URL: shown with the password hidden, since the host is useful. */
const URL_KEY = /(^|_)(url|uri)$/;
/** Query parameters of a URL that may carry a credential (libpq's `password`, `sslpassword`…). */
const SECRET_QUERY_PARAM = /pass|secret|token|key/i;

/**
 * A deep copy of `value` in which every leaf the schema marks `secret: true` is hidden (wazo-auth
 * returns its whole config, db_uri password included; Gatehouse never does). The walk follows the
 * schema, records and arrays included, so a secret added later anywhere is covered; a URL secret
 * keeps its scheme, host and path with the credentials hidden.
 */
export function redactConfig(schema: TSchema, value: unknown, key = ''): unknown {
  if (schema.secret === true) return redactSecret(key, value);
  if (Array.isArray(value)) {
    const items = schema.items as TSchema | undefined;
    return value.map((item) => (items ? redactConfig(items, item, key) : item));
  }
  if (value === null || typeof value !== 'object') return value;
  const objectSchema = objectMember(schema);
  const out: Record<string, unknown> = {};
  for (const [name, child] of Object.entries(value as Record<string, unknown>)) {
    out[name] = redactConfig(childSchema(objectSchema, name), child, name);
  }
  return out;
}

/** For unions (`X | null`), the member that describes an object. */
function objectMember(schema: TSchema): TSchema {
  const members: TSchema[] = schema.anyOf ?? schema.oneOf ?? [schema];
  return members.find((m) => m.type === 'object') ?? schema;
}

/** The schema of a property, of a record's values, or an empty schema (nothing to redact). */
function childSchema(schema: TSchema, name: string): TSchema {
  const properties = schema.properties as Record<string, TSchema> | undefined;
  if (properties?.[name]) return properties[name];
  const patterns = schema.patternProperties as Record<string, TSchema> | undefined;
  const fromPattern = patterns ? Object.values(patterns)[0] : undefined;
  if (fromPattern) return fromPattern;
  const additional = schema.additionalProperties;
  return typeof additional === 'object' && additional !== null ? (additional as TSchema) : ({} as TSchema);
}

function redactSecret(key: string, value: unknown): unknown {
  if (value === null || value === undefined) return value;
  if (typeof value === 'string' && URL_KEY.test(key)) return redactUrl(value);
  return REDACTED;
}

/** sqlite:<path> stays as is; other URLs lose their password and credential-bearing parameters. */
export function redactUrl(text: string): string {
  if (text.startsWith('sqlite:')) return text;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return REDACTED;
  }
  if (url.password) url.password = REDACTED;
  for (const name of [...url.searchParams.keys()]) {
    if (SECRET_QUERY_PARAM.test(name)) url.searchParams.set(name, REDACTED);
  }
  return url.toString();
}
