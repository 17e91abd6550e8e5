import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { renderConfigDocs } from '../config/config-docs.ts';
import { listEnvBindings } from '../config/config-env.ts';
import { ConfigSchema } from '../config/config-schema.ts';
import { type CatalogEntry, ERROR_CATALOG } from './error-catalog.ts';
import { renderErrorDocs, wazoErrorId } from './error-docs.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const readDoc = (name: string) => readFileSync(join(root, 'docs', name), 'utf8');
const entries = Object.entries(ERROR_CATALOG) as [string, CatalogEntry][];

test('§1.5 every catalog code has a row in docs/errors.md', () => {
  const doc = readDoc('errors.md');
  const missing = entries.map(([code]) => code).filter((code) => !doc.includes(`| \`${code}\` |`));
  assert.deepEqual(missing, [], 'codes missing from docs/errors.md; run `npm run docs`');
});

test('§1.5 docs/errors.md is what the generator renders from the catalog (run `npm run docs`)', () => {
  assert.equal(readDoc('errors.md'), renderErrorDocs());
});

test('§6.1 docs/config.md is what the generator renders from the schema (run `npm run docs`)', () => {
  assert.equal(readDoc('config.md'), renderConfigDocs());
});

test('§6.1 docs/config.md has a row for every configuration leaf and its variable', () => {
  const doc = readDoc('config.md');
  for (const binding of listEnvBindings(ConfigSchema)) {
    assert.ok(
      doc.includes(`| \`${binding.path.join('.')}\` | \`${binding.envName}\` |`),
      `${binding.envName} missing`,
    );
  }
});

test('§1.5 catalog entries are well formed: error statuses, messages, kebab-case codes', () => {
  for (const [code, entry] of entries) {
    assert.match(code, /^[a-z]+(-[a-z0-9]+)*$/, code);
    assert.ok(entry.status >= 400 && entry.status <= 599, `${code}: status ${entry.status}`);
    assert.ok(entry.message.trim().length > 0, `${code}: empty message`);
    assert.ok(entry.description.trim().length > 0, `${code}: empty description`);
  }
});

test('§1.5 legacy-shaped entries carry nothing the legacy body cannot show', () => {
  for (const [code, entry] of entries.filter(([, e]) => e.shape === 'legacy')) {
    assert.equal(entry.resource, undefined, `${code}: legacy bodies have no resource`);
    assert.equal(entry.errorId, undefined, `${code}: legacy bodies have no error_id`);
    assert.equal(wazoErrorId(code, entry), null);
  }
});

test("§1.5 wazo's exact messages and error ids that clients match on", () => {
  // The JS SDK refreshes on 404 whose reason[0] is exactly "No such token" (reference §1.5).
  assert.equal(ERROR_CATALOG['no-such-token'].message, 'No such token');
  assert.equal(ERROR_CATALOG['no-such-token'].status, 404);
  assert.equal(ERROR_CATALOG['authentication-failed'].message, 'Authentication Failed');
  assert.equal(ERROR_CATALOG['authentication-failed'].status, 401);
  assert.equal(ERROR_CATALOG['max-sessions'].status, 429);
  assert.equal(
    wazoErrorId('unknown-refresh-token', ERROR_CATALOG['unknown-refresh-token']),
    'cannot-find-refresh-token-matching-client-id',
  );
  assert.equal(ERROR_CATALOG['unknown-refresh-token'].resource, 'tokens');
  // wazo reports every list-parameter error with resource "users", whatever the list.
  assert.equal(ERROR_CATALOG['invalid-list-param'].resource, 'users');
  assert.equal(ERROR_CATALOG.unauthorized.status, 401);
  assert.equal(ERROR_CATALOG['unauthorized-tenant'].status, 401);
});

/** Codes that deliberately render another code's error_id, because wazo-auth answers that way. */
const WAZO_SHARED_IDS = new Set(['master-tenant-conflict']);

test('§1.5 distinct api error ids: no two codes render the same error_id (wazo exceptions listed)', () => {
  const ids = entries
    .filter(([code]) => !WAZO_SHARED_IDS.has(code))
    .map(([code, entry]) => wazoErrorId(code, entry))
    .filter((id) => id !== null);
  assert.equal(new Set(ids).size, ids.length);
});
