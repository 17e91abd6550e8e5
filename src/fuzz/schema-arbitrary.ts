import fc from 'fast-check';
import type { JsonSchema } from './openapi-operations.ts';

/**
 * Values that break naive servers (security.md §5.4): SQL, path tricks, control characters,
 * Unicode traps, prototype keys, edge numbers. Mixed into every generated field.
 */
export const NASTY_STRINGS: readonly string[] = [
  '',
  ' ',
  "' OR '1'='1",
  "'; DROP TABLE auth_user; --",
  '%00',
  '\u0000',
  '\r\nX-Injected: 1',
  '../../etc/passwd',
  '..%2f..%2f',
  '__proto__',
  'constructor',
  '#',
  '*',
  '.*',
  '(a+)+$',
  '\u202e\u200d\ufeff',
  '\ud83d\ude00',
  'İı',
  'ｆｕｌｌ',
  'e\u0301',
  '\\',
  '{"a":1}',
  '$1',
  'null',
  'NaN',
  '-1',
  '1e309',
  '00000000-0000-0000-0000-000000000000',
  'x'.repeat(5000),
];

/** An object with an own `__proto__` key, which JSON.stringify writes out as such (FZ-PROTO). */
const OWN_PROTO_KEY = Object.fromEntries([['__proto__', { acl: ['#'], admin: true }]]);

const NASTY_NUMBERS = [0, -1, -0.5, 1.5, 2 ** 31, 2 ** 53 + 2, -(2 ** 63), 1e308, Number.MIN_VALUE];

export function nastyValue(): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.constantFrom(...NASTY_STRINGS),
    fc.constantFrom(...NASTY_NUMBERS),
    fc.constantFrom(true, false, null, [], {}, [null], { $ne: null }, OWN_PROTO_KEY),
    fc.string({ unit: 'binary', maxLength: 30 }),
    fc.jsonValue({ maxDepth: 3 }),
  );
}

/** A value valid for `schema` as far as its keywords go (patterns included). */
export function validValue(schema: JsonSchema, depth = 0): fc.Arbitrary<unknown> {
  const plain = validPlain(schema, depth);
  return schema.nullable ? fc.oneof(plain, fc.constant(null)) : plain;
}

function validPlain(schema: JsonSchema, depth: number): fc.Arbitrary<unknown> {
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if (schema.anyOf?.length) return fc.oneof(...schema.anyOf.map((s) => validValue(s, depth)));
  switch (schema.type) {
    case 'string':
      return validString(schema);
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -1000, max: Math.min(schema.maximum ?? 100_000, 2 ** 31) });
    case 'number':
      return fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(schema.items ? fuzzValue(schema.items, depth + 1) : nastyValue(), {
        maxLength: Math.min(schema.maxItems ?? 5, 5),
      });
    case 'object':
      return fuzzObject(schema, depth);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function validString(schema: JsonSchema): fc.Arbitrary<string> {
  const maxLength = Math.min(schema.maxLength ?? 40, 40);
  const minLength = Math.min(schema.minLength ?? 0, maxLength);
  if (schema.pattern) {
    const matching = patternString(schema.pattern, minLength, schema.maxLength);
    if (matching) return matching;
  }
  return fc.string({
    minLength,
    maxLength,
    unit: fc.constantFrom('a', 'b', 'Z', '0', '.', '-', '_', 'é', ' '),
  });
}

/** Strings matching `pattern`, or null when fast-check cannot build them (lookaheads). */
function patternString(pattern: string, minLength: number, maxLength = Number.POSITIVE_INFINITY) {
  try {
    return fc
      .stringMatching(new RegExp(pattern))
      .filter((s) => s.length <= maxLength && s.length >= minLength);
  } catch {
    return null;
  }
}

/** Mostly valid, sometimes a nasty value or any JSON: the mutation applied at every level. */
export function fuzzValue(schema: JsonSchema, depth = 0): fc.Arbitrary<unknown> {
  if (depth > 3) return nastyValue();
  return fc.oneof(
    { weight: 6, arbitrary: validValue(schema, depth) },
    { weight: 2, arbitrary: nastyValue() },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}

/** Declared properties (required ones mostly present), plus now and then an undeclared or prototype key. */
function fuzzObject(schema: JsonSchema, depth: number): fc.Arbitrary<Record<string, unknown>> {
  const properties = schema.properties ?? {};
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [name, property] of Object.entries(properties)) model[name] = fuzzValue(property, depth + 1);
  const extra = fc.dictionary(
    fc.constantFrom('extra', 'uuid', 'tenant_uuid', 'acl', 'purpose', 'ZZ'),
    nastyValue(),
    {
      maxKeys: 2,
    },
  );
  return fc
    .tuple(
      fc.record(model, { requiredKeys: schema.required ?? [] }),
      fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: extra }),
    )
    .map(([declared, undeclared]) => {
      const out: Record<string, unknown> = {};
      for (const [key, value] of Object.entries({ ...declared, ...(undeclared ?? {}) })) {
        if (value !== undefined) out[key] = value;
      }
      return out;
    });
}
