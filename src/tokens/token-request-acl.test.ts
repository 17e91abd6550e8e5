import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DomainError } from '../errors/domain-error.ts';
import { parseTokenRequest } from './token-request.ts';

const MAX = 315_360_000;
const CAPS = { maxScopeLength: 1024, maxScopesPerCheck: 128 };
const parse = (body: unknown) => parseTokenRequest(body, MAX, CAPS);

/** The refusal of `body`: its field errors and its reason (the Python repr of the errors). */
function refusal(body: unknown): { errors: unknown; message: string } {
  try {
    parse(body);
  } catch (error) {
    assert.ok(error instanceof DomainError, String(error));
    assert.equal(error.code, 'invalid-token-request');
    return { errors: error.options.details, message: error.options.message ?? '' };
  }
  assert.fail(`expected ${JSON.stringify(body)} to be refused`);
}

describe('parseTokenRequest: acl and scope (#6 scope-limited tokens)', () => {
  test('§2.1 acl, or its alias scope, is a list of ACL entries; duplicates go', () => {
    assert.deepEqual(parse({ acl: ['a.b', 'c.#', 'a.b'] }).acl, ['a.b', 'c.#']);
    assert.deepEqual(parse({ scope: ['!x', 'a.*'] }).acl, ['!x', 'a.*']);
    assert.deepEqual(parse({ acl: [] }).acl, []);
    assert.equal(parse({}).acl, null);
    const offline = parse({ access_type: 'offline', client_id: 'c', acl: ['a'] });
    assert.deepEqual([offline.accessType, offline.acl], ['offline', ['a']]);
    assert.deepEqual(parse({ refresh_token: 'r', client_id: 'c', scope: ['a'] }).acl, ['a']);
  });

  test('§2.1 acl and scope together are refused', () => {
    const { errors, message } = refusal({ acl: ['a'], scope: ['a'] });
    assert.deepEqual(errors, { _schema: ['"acl" and "scope" must be mutually exclusive'] });
    assert.equal(message, `{'_schema': ['"acl" and "scope" must be mutually exclusive']}`);
  });

  test('§2.1 null or not a list gets the marshmallow type messages', () => {
    for (const field of ['acl', 'scope']) {
      assert.deepEqual(refusal({ [field]: null }).errors, { [field]: ['Field may not be null.'] });
      for (const value of ['a.b', 1, true, { 0: 'a' }]) {
        const { errors, message } = refusal({ [field]: value });
        assert.deepEqual(errors, { [field]: ['Not a valid list.'] });
        assert.equal(message, `{'${field}': ['Not a valid list.']}`);
      }
    }
  });

  test('§2.1 items must be strings of 1 to max_scope_length characters, errors keyed by index', () => {
    assert.doesNotThrow(() => parse({ acl: ['x'.repeat(1024)] }));
    const { errors, message } = refusal({ acl: ['ok', 5, '', 'x'.repeat(1025), null] });
    assert.deepEqual(errors, {
      acl: {
        1: ['Not a valid string.'],
        2: ['Length must be between 1 and 1024.'],
        3: ['Length must be between 1 and 1024.'],
        4: ['Not a valid string.'],
      },
    });
    assert.equal(
      message,
      "{'acl': {1: ['Not a valid string.'], 2: ['Length must be between 1 and 1024.'], " +
        "3: ['Length must be between 1 and 1024.'], 4: ['Not a valid string.']}}",
    );
  });

  test('§2.1 at most max_scopes_per_check entries; the caps are the configured ones', () => {
    assert.doesNotThrow(() => parse({ scope: Array.from({ length: 128 }, (_, i) => `a${i}`) }));
    const tooMany = refusal({ scope: Array.from({ length: 129 }, (_, i) => `a${i}`) });
    assert.deepEqual(tooMany.errors, { scope: ['Longer than maximum length 128.'] });
    const caps = { maxScopeLength: 64, maxScopesPerCheck: 2 };
    assert.throws(() => parseTokenRequest({ acl: ['a', 'b', 'c'] }, MAX, caps), DomainError);
    assert.throws(() => parseTokenRequest({ acl: ['x'.repeat(65)] }, MAX, caps), DomainError);
  });

  test('A6 the reason never echoes the refused values, and other field errors come with it', () => {
    const secret = 'c4f1d2b3-sekrit';
    const { errors, message } = refusal({ acl: [secret, 7], expiration: 'x' });
    assert.ok(!message.includes(secret), message);
    assert.deepEqual(Object.keys(errors as object).sort(), ['acl', 'expiration']);
  });
});
