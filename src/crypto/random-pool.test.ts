import assert from 'node:assert/strict';
import { test } from 'node:test';
import { randomArray, randomHex } from './random-pool.ts';

/** The pool holds 4 KiB; these draws cross several refills. */
const DRAWS = 1_000;

test('§issue-4 pooled random values are all different, across refills of the pool', () => {
  const seen = new Set<string>();
  for (let i = 0; i < DRAWS; i += 1) {
    const hex = randomHex(16);
    assert.match(hex, /^[0-9a-f]{32}$/);
    seen.add(hex);
  }
  assert.equal(seen.size, DRAWS);
});

test('§issue-4 draws that do not divide the pool evenly are whole and fresh: the rest of a pool is skipped', () => {
  const seen = new Set<string>();
  for (let i = 0; i < DRAWS; i += 1) {
    const hex = randomHex(100);
    assert.equal(hex.length, 200);
    seen.add(hex);
  }
  assert.equal(seen.size, DRAWS);
});

test("§issue-4 a drawn array is the caller's own: later draws and refills leave it unchanged", () => {
  const first = randomArray(16);
  const copy = Uint8Array.from(first);
  for (let i = 0; i < DRAWS; i += 1) randomArray(32);
  assert.deepEqual(first, copy);
  assert.notDeepEqual(first, new Uint8Array(16), 'sixteen zero bytes: the pool handed out a zeroed slot');
});

test('§issue-4 pooled bytes take every value (64 KiB drawn: each of the 256 values is expected ~256 times)', () => {
  const counts = new Uint32Array(256);
  for (let i = 0; i < 64; i += 1)
    for (const byte of randomArray(1024)) counts[byte] = (counts[byte] as number) + 1;
  // A fair source keeps all 256 counts within ±6 standard deviations (16) of 256 but about once in
  // two million runs; a pool that handed out zeroed or repeated bytes would not.
  for (const count of counts) assert.ok(count > 160 && count < 352, `a byte value drawn ${count} times`);
});

test('§issue-4 more than the pool holds is refused, not served from a short pool', () => {
  assert.throws(() => randomHex(4097), RangeError);
});
