import fc from 'fast-check';
import type { AuthChoice, FuzzCase, FuzzTargets } from './fuzz-case.ts';
import type { JsonSchema, Operation, Parameter } from './openapi-operations.ts';
import { fuzzValue, NASTY_STRINGS, nastyValue } from './schema-arbitrary.ts';

const OTHER_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE', 'PROPFIND'];
const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/xml',
  '',
];
const AUTH: fc.Arbitrary<AuthChoice> = fc.oneof(
  { weight: 5, arbitrary: fc.constant<AuthChoice>('admin') },
  { weight: 2, arbitrary: fc.constantFrom<AuthChoice>('user', 'none', 'garbage', 'basic_wrong') },
);

/**
 * Random requests for every operation of the served OpenAPI document: path parameters from the
 * sacrificial ids, random UUIDs or junk; query parameters and bodies generated from their schemas
 * with mutations (fuzzValue); sometimes another method, Content-Type, a text-level body mutation,
 * a Wazo-Tenant header. Each case is named after its operation, so a failure shows where it hit.
 */
export function randomCase(operations: readonly Operation[], targets: FuzzTargets): fc.Arbitrary<FuzzCase> {
  return fc.constantFrom(...operations).chain((operation) => caseFor(operation, targets));
}

export function caseFor(operation: Operation, targets: FuzzTargets): fc.Arbitrary<FuzzCase> {
  return fc
    .record({
      path: pathArbitrary(operation, targets),
      query: queryArbitrary(operation.queryParams),
      body: operation.body ? bodyArbitrary(operation.body) : fc.constant(undefined),
      method: fc.oneof(
        { weight: 9, arbitrary: fc.constant(operation.method) },
        fc.constantFrom(...OTHER_METHODS),
      ),
      auth: AUTH,
      contentType: fc.oneof(
        { weight: 6, arbitrary: fc.constant('application/json') },
        fc.constantFrom(...CONTENT_TYPES),
      ),
      tenant: sometimes(
        fc.oneof(fc.constant(targets.tenantUuid), fc.uuid(), fc.constantFrom(...NASTY_STRINGS.slice(0, 8))),
        8,
      ),
    })
    .map(({ path, query, body, method, auth, contentType, tenant }) => {
      const headers: Record<string, string> = {};
      if (body !== undefined && contentType !== '') headers['Content-Type'] = contentType;
      if (tenant !== null) headers['Wazo-Tenant'] = headerSafe(tenant);
      return {
        group: 'FZ-RANDOM',
        name: `${operation.method} ${operation.path}`,
        method,
        path: `${path}${query}`,
        auth,
        headers,
        ...(body === undefined ? {} : { body }),
      };
    });
}

/** `arbitrary` once in `oneIn` cases, null otherwise (fc.option's `freq` is the odds of null). */
export function sometimes<T>(arbitrary: fc.Arbitrary<T>, oneIn: number): fc.Arbitrary<T | null> {
  return fc.oneof({ weight: oneIn - 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary });
}

/** Header values cannot carry CR, LF or NUL through our own client without meaning a different test. */
function headerSafe(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping exactly those characters
  return value.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, 2000);
}

function pathArbitrary(operation: Operation, targets: FuzzTargets): fc.Arbitrary<string> {
  const known: Record<string, string[]> = {
    token: [targets.userToken],
    user_uuid: [targets.userUuid],
    policy_uuid: [targets.policyUuid],
    tenant_uuid: [targets.tenantUuid],
    parent_tenant_uuid: [targets.tenantUuid],
    group_uuid: [targets.groupUuid],
    session_uuid: [targets.sessionUuid],
    client_id: ['fuzz-client'],
  };
  const values = operation.pathParams.map((param) =>
    fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...(known[param.name] ?? ['x'])) },
      { weight: 2, arbitrary: fc.uuid() },
      { weight: 2, arbitrary: fc.constantFrom(...NASTY_STRINGS).map(encodeURIComponent) },
      {
        weight: 1,
        arbitrary: fc.constantFrom('%zz', '%', '..', '%2e%2e', '%ff', '%c0%af', 'a'.repeat(1500)),
      },
    ),
  );
  return fc.tuple(...values).map((chosen) => {
    let path = operation.path;
    operation.pathParams.forEach((param, index) => {
      path = path.replace(`{${param.name}}`, chosen[index] ?? '');
    });
    return path;
  });
}

function queryArbitrary(params: readonly Parameter[]): fc.Arbitrary<string> {
  if (params.length === 0) return fc.constant('');
  const entry = fc
    .constantFrom(...params)
    .chain((param) => fuzzValue(param.schema).map((value) => [param.name, value] as const));
  const junk = fc.constantFrom('a[b]=1', '__proto__[x]=1', 'limit=1&limit=2', '&&', '=', '%zz=%zz');
  return fc.tuple(fc.array(entry, { maxLength: 4 }), sometimes(junk, 6)).map(([entries, extra]) => {
    const parts = entries.flatMap(([name, value]) =>
      [value].flat().map((item) => `${encodeURIComponent(name)}=${encodeURIComponent(queryText(item))}`),
    );
    if (extra) parts.push(extra);
    return parts.length ? `?${parts.join('&')}` : '';
  });
}

function queryText(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
}

/** The JSON of a schema-derived value, now and then mutated as text. */
function bodyArbitrary(schema: JsonSchema): fc.Arbitrary<string> {
  const json = fuzzValue(schema).map((value) => JSON.stringify(value) ?? 'null');
  return fc.oneof(
    { weight: 8, arbitrary: json },
    {
      weight: 1,
      arbitrary: fc.tuple(json, fc.nat()).map(([text, cut]) => text.slice(0, cut % (text.length + 1))),
    },
    { weight: 1, arbitrary: json.map((text) => text.replace('{', '{"__proto__": {"acl": ["#"]}, ')) },
    { weight: 1, arbitrary: nastyValue().map((value) => JSON.stringify(value) ?? '') },
  );
}
