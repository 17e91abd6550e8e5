import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { parse } from 'yaml';
import { API_PREFIX } from '../app.ts';
import { describeEachDialect } from '../testing/dialect-suite.ts';
import { request } from '../testing/http-client.ts';

/**
 * "The OpenAPI document covers every route, and a test checks it against the registered routes":
 * the routes Fastify registered (read from printRoutes) and the operations of GET /0.1/api/api.yml
 * must be the same set, apart from the hidden routes below; the document must be well formed.
 * No OpenAPI validator package is installed, so the structure is checked by hand.
 */

/** Registered but deliberately undocumented: the document itself and the Prometheus endpoint. */
const HIDDEN = new Set([`GET ${API_PREFIX}/api/api.yml`, 'GET /metrics']);
/** The OAuth / OpenID Connect interface (issue #6) is described by its discovery documents, not api.yml. */
const OAUTH_INTERFACE = /^[A-Z]+ \/(oauth2|\.well-known)\//;
const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);
/** The fields of a path item that are not operations. */
const PATH_ITEM_FIELDS = new Set(['parameters', 'summary', 'description', 'servers', '$ref']);

interface Operation {
  responses?: Record<string, unknown>;
  parameters?: { name?: string; in?: string; required?: boolean }[];
  operationId?: string;
  tags?: unknown[];
}
interface OpenApiDocument {
  openapi?: unknown;
  info?: { title?: unknown; version?: unknown };
  servers?: { url?: unknown }[];
  paths?: Record<string, Record<string, Operation>>;
  components?: Record<string, Record<string, unknown>>;
}

/**
 * Parses `printRoutes({ commonPrefix: false })`: one node per line, indented by 4 characters a
 * level, each holding its own segment (a child's full path is its parent's plus its segment) and,
 * for routes, the methods in parentheses. Returns `METHOD /path` with `:param` written `{param}`.
 */
function parseRouteTree(tree: string): string[] {
  const stack: string[] = [];
  const routes: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^((?:│ {3}| {4})*)(?:├── |└── )(.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!match) {
      assert.equal(line.trim(), '', `unexpected printRoutes line: ${line}`);
      continue;
    }
    const depth = (match[1] ?? '').length / 4;
    const path = (stack[depth - 1] ?? '') + (match[2] ?? '');
    stack.length = depth;
    stack.push(path);
    for (const method of (match[3] ?? '').split(', ').filter(Boolean)) {
      routes.push(`${method} ${path.replace(/:(\w+)/g, '{$1}')}`);
    }
  }
  return routes;
}

function documentedOperations(doc: OpenApiDocument): string[] {
  return Object.entries(doc.paths ?? {}).flatMap(([path, ops]) =>
    Object.keys(ops)
      .filter((key) => METHODS.has(key))
      .map((method) => `${method.toUpperCase()} ${API_PREFIX}${path}`),
  );
}

/** Every `$ref` in the document, wherever it is. */
function refsOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(refsOf);
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, inner]) =>
    key === '$ref' && typeof inner === 'string' ? [inner] : refsOf(inner),
  );
}

function resolves(doc: OpenApiDocument, ref: string): boolean {
  if (!ref.startsWith('#/')) return false;
  let node: unknown = doc;
  for (const part of ref.slice(2).split('/')) {
    if (typeof node !== 'object' || node === null) return false;
    node = (node as Record<string, unknown>)[part.replaceAll('~1', '/').replaceAll('~0', '~')];
  }
  return node !== undefined;
}

await describeEachDialect(
  'OpenAPI document coverage',
  { config: { user_registration_enabled: true } },
  ({ server }) => {
    let doc: OpenApiDocument;
    let registered: string[];
    before(async () => {
      const result = await request(server(), '/api/api.yml');
      assert.equal(result.status, 200, result.text);
      assert.match(result.headers.get('content-type') ?? '', /^application\/x-yaml/);
      doc = parse(result.text) as OpenApiDocument;
      const tree = server().app.printRoutes({ commonPrefix: false, includeHooks: false });
      registered = parseRouteTree(tree).filter((route) => !route.startsWith('OPTIONS '));
    });

    test('§2.12 the route tree parser reads every registered route (sanity check against hasRoute)', () => {
      assert.ok(registered.length >= 60, `only ${registered.length} routes parsed`);
      assert.ok(registered.includes(`DELETE ${API_PREFIX}/users/{user_uuid}/sessions/{session_uuid}`));
      for (const route of registered) {
        const [method, path] = route.split(' ') as [string, string];
        const url = path.replace(/\{(\w+)\}/g, ':$1');
        assert.ok(
          server().app.hasRoute({ method: method as 'GET', url }),
          `${route} parsed but not registered`,
        );
      }
    });

    test('§2.12 every registered API route is documented in /api/api.yml', () => {
      const documented = new Set(documentedOperations(doc));
      const undocumented = registered.filter(
        (route) => !HIDDEN.has(route) && !OAUTH_INTERFACE.test(route) && !documented.has(route),
      );
      assert.deepEqual(undocumented, [], 'registered routes missing from the OpenAPI document');
      for (const hidden of HIDDEN)
        assert.ok(registered.includes(hidden), `${hidden} is no longer registered`);
    });

    test('§2.12 every documented operation is a registered route', () => {
      const missing = documentedOperations(doc).filter((route) => {
        const [method, path] = route.split(' ') as [string, string];
        const url = path.replace(/\{(\w+)\}/g, ':$1');
        return !server().app.hasRoute({ method: method as 'GET', url }) || !registered.includes(route);
      });
      assert.deepEqual(missing, [], 'documented operations without a route');
    });

    test('§2.12 the document is OpenAPI 3 with info, servers, and responses on every operation', () => {
      assert.match(String(doc.openapi), /^3\.\d+\.\d+$/);
      assert.equal(typeof doc.info?.title, 'string');
      assert.equal(typeof doc.info?.version, 'string');
      assert.deepEqual(
        doc.servers?.map((s) => s.url),
        [API_PREFIX],
      );
      const paths = Object.entries(doc.paths ?? {});
      assert.ok(paths.length > 0, 'no paths');
      const operationIds = new Set<string>();
      for (const [path, ops] of paths) {
        assert.match(path, /^\//, path);
        assert.doesNotMatch(path, /:\w/, `${path}: parameters are written {name} in OpenAPI`);
        for (const [method, op] of Object.entries(ops)) {
          const label = `${method.toUpperCase()} ${path}`;
          if (PATH_ITEM_FIELDS.has(method)) continue;
          assert.ok(METHODS.has(method), `${label}: not an HTTP method`);
          const codes = Object.keys(op.responses ?? {});
          assert.ok(codes.length > 0, `${label}: no responses`);
          for (const code of codes) assert.match(code, /^([1-5]\d\d|[1-5]XX|default)$/, `${label}: ${code}`);
          checkPathParameters(path, op, label);
          if (op.operationId !== undefined) {
            assert.ok(!operationIds.has(op.operationId), `${label}: duplicate operationId ${op.operationId}`);
            operationIds.add(op.operationId);
          }
          for (const tag of op.tags ?? []) assert.equal(typeof tag, 'string', label);
        }
      }
      const dangling = refsOf(doc).filter((ref) => !resolves(doc, ref));
      assert.deepEqual(dangling, [], 'unresolved $ref');
    });
  },
);

/** Every `{name}` of the path is a required path parameter, and no other path parameter is declared. */
function checkPathParameters(path: string, op: Operation, label: string): void {
  const names = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
  const declared = (op.parameters ?? []).filter((p) => p.in === 'path');
  assert.deepEqual(declared.map((p) => p.name).sort(), names, `${label}: path parameters`);
  for (const p of declared) assert.equal(p.required, true, `${label}: ${p.name} must be required`);
}
