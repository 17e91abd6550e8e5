import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newSessionId, newTokenValue, nextV7Time, type V7Clock } from './token-values.ts';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const TOKEN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const RANDOM = Uint8Array.from({ length: 16 }, (_, i) => i * 17);

test('§issue-4 session uuids made in a burst are distinct UUIDv7s, each sorting after the one before', () => {
  const uuids = Array.from({ length: 5_000 }, () => newSessionId());
  for (const uuid of uuids) assert.match(uuid, V7);
  assert.equal(new Set(uuids).size, uuids.length);
  assert.deepEqual([...uuids].sort(), uuids);
});

test('§issue-4 a session uuid starts with its creation time in milliseconds', () => {
  const before = Date.now();
  const uuid = newSessionId();
  const msecs = Number.parseInt(uuid.replaceAll('-', '').slice(0, 12), 16);
  assert.ok(msecs >= before && msecs <= Date.now() + 1, `${msecs} against ${before}`);
});

test('§issue-4 token values use all 128 bits and never repeat', () => {
  const values = Array.from({ length: 2_000 }, () => newTokenValue());
  for (const value of values) assert.match(value, TOKEN);
  assert.equal(new Set(values).size, values.length);
  // A UUIDv4 would fix one nibble to 4 and two bits of another; 2,000 values vary in both.
  assert.ok(new Set(values.map((v) => v[14])).size > 4);
  assert.ok(new Set(values.map((v) => v[19])).size > 4);
});

test('§issue-4 the v7 counter: random start per millisecond, counts on within one, borrows the next on overflow', () => {
  const clock: V7Clock = { msecs: Number.NEGATIVE_INFINITY, seq: 0 };
  const start = nextV7Time(clock, 1_000, RANDOM);
  assert.deepEqual(start, { msecs: 1_000, seq: ((102 & 0x7f) << 24) | (119 << 16) | (136 << 8) | 153 });
  assert.deepEqual(nextV7Time(clock, 1_000, RANDOM), { msecs: 1_000, seq: start.seq + 1 });
  clock.seq = -1; // all 32 bits set: the next count overflows
  assert.deepEqual(nextV7Time(clock, 1_000, RANDOM), { msecs: 1_001, seq: 0 });
  assert.deepEqual(
    nextV7Time(clock, 1_001, RANDOM),
    { msecs: 1_001, seq: 1 },
    'the borrowed millisecond counts on',
  );
});

test('§issue-4 a clock set back does not make a session uuid sort before an earlier one', () => {
  const clock: V7Clock = { msecs: Number.NEGATIVE_INFINITY, seq: 0 };
  const first = nextV7Time(clock, 5_000, RANDOM);
  assert.deepEqual(nextV7Time(clock, 4_000, RANDOM), { msecs: 5_000, seq: first.seq + 1 });
});
