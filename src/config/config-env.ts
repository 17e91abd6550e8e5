import type { TSchema } from '@sinclair/typebox';

/**
 * Maps every configuration leaf to a `GATEHOUSE_*` variable: the key path joined with `_` and
 * upper-cased (`bootstrap.username` -> `GATEHOUSE_BOOTSTRAP_USERNAME`). The names are computed from
 * the schema, so no parsing of ambiguous underscores is needed.
 */
export interface EnvBinding {
  path: string[];
  envName: string;
  schema: TSchema;
}

export function listEnvBindings(schema: TSchema, path: string[] = []): EnvBinding[] {
  if (schema.type === 'object' && schema.properties && !schema.patternProperties) {
    return Object.entries(schema.properties as Record<string, TSchema>).flatMap(([key, child]) =>
      listEnvBindings(child, [...path, key]),
    );
  }
  return [{ path, envName: `GATEHOUSE_${path.join('_').toUpperCase()}`, schema }];
}

/** Turns an environment string into the JSON value the leaf schema expects; invalid text stays a string. */
export function parseEnvValue(raw: string, schema: TSchema): unknown {
  const types = leafTypes(schema);
  if (types.has('null') && (raw === '' || raw === 'null')) return null;
  if (types.has('integer') || types.has('number')) {
    const n = Number(raw);
    return raw.trim() !== '' && Number.isFinite(n) ? n : raw;
  }
  if (types.has('boolean')) {
    if (/^(true|1|yes|on)$/i.test(raw)) return true;
    if (/^(false|0|no|off)$/i.test(raw)) return false;
    return raw;
  }
  if (types.has('array')) return parseListOrJson(raw);
  if (types.has('object')) return parseJson(raw);
  return raw;
}

function leafTypes(schema: TSchema): Set<string> {
  const members: TSchema[] = schema.anyOf ?? [schema];
  return new Set(members.map((m) => String(m.type ?? (m.const === undefined ? 'string' : typeof m.const))));
}

function parseListOrJson(raw: string): unknown {
  const trimmed = raw.trim();
  if (trimmed.startsWith('[')) return parseJson(trimmed);
  return trimmed === '' ? [] : trimmed.split(',').map((s) => s.trim());
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}
