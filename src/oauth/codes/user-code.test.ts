import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatUserCode, generateUserCode, normalizeUserCode, USER_CODE_ALPHABET } from './user-code.ts';

test('RFC 8628 §6.1 user codes are 8 characters of the consonant alphabet', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 200; i += 1) {
    const code = generateUserCode();
    assert.match(code, /^[BCDFGHJKLMNPQRSTVWXZ]{8}$/);
    seen.add(code);
  }
  assert.ok(seen.size > 190);
  assert.equal(USER_CODE_ALPHABET.length, 20);
});

test('RFC 8628 §6.1 typed user codes are normalised; impossible ones are refused', () => {
  assert.equal(formatUserCode('BCDFGHJK'), 'BCDF-GHJK');
  assert.equal(normalizeUserCode('bcdf-ghjk'), 'BCDFGHJK');
  assert.equal(normalizeUserCode(' BCDF GHJK '), 'BCDFGHJK');
  assert.equal(normalizeUserCode('BCDF-GHJ'), null);
  assert.equal(normalizeUserCode('ABCD-EFGH'), null);
  assert.equal(normalizeUserCode(''), null);
});
