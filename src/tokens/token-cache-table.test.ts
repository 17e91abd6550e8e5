import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { AccessToken } from './token.ts';
import { TokenCache } from './token-cache.ts';
import { SlotIndex } from './token-cache-index.ts';
import { DIGEST_WORDS, formatUuid, readDigest, readSession } from './token-cache-keys.ts';

/** Issue #4: the pieces of the compact token cache (binary keys, open-addressing index, growth). */

describe('token cache keys', () => {
  test('issue-4 canonical session UUIDs round-trip through 4 words; other spellings are hashed', () => {
    fc.assert(
      fc.property(fc.uuid(), (uuid) => {
        const words = new Uint32Array(4);
        assert.equal(readSession(uuid, words, 0), true);
        assert.equal(formatUuid(words, 0), uuid);
        const upper = new Uint32Array(4);
        assert.equal(readSession(uuid.toUpperCase(), upper, 0), uuid === uuid.toUpperCase());
      }),
    );
    const a = new Uint32Array(4);
    const b = new Uint32Array(4);
    assert.equal(readSession('s1', a, 0), false);
    readSession('s2', b, 0);
    assert.notDeepEqual(a, b);
  });

  test('issue-4 distinct digest texts give distinct keys (hex decoded, anything else hashed)', () => {
    const hex = createHash('sha256').update('t').digest('hex');
    const texts = [hex, hex.toUpperCase(), `${hex.slice(0, 63)}g`, `${hex.slice(0, 32)}${'z'.repeat(32)}`];
    const keys = [...texts, '', 'x', randomUUID()].map((text) => {
      const words = new Uint32Array(DIGEST_WORDS);
      readDigest(text, words, 0);
      return Buffer.from(words.buffer).toString('hex');
    });
    assert.equal(new Set(keys).size, keys.length);
    // A digest's key is its first 128 bits, read as they are written.
    const words = new Uint32Array(DIGEST_WORDS);
    readDigest(hex, words, 0);
    assert.equal([...words].map((w) => w.toString(16).padStart(8, '0')).join(''), hex.slice(0, 32));
  });
});

describe('SlotIndex', () => {
  test('issue-4 insert/find/remove/replace agree with a Map, under forced collisions and growth', () => {
    // Keys share their first two words in a few groups: whole groups land in one bucket run.
    const keyArb = fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 40 }));
    const opArb = fc.oneof(
      fc.record({ kind: fc.constant('insert' as const), key: keyArb }),
      fc.record({ kind: fc.constant('remove' as const), key: keyArb }),
      fc.record({ kind: fc.constant('replace' as const), key: keyArb }),
    );
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 300 }), fc.integer(), (ops, seed) => {
        const width = 3;
        const keys = new Uint32Array(1000 * width);
        const index = new SlotIndex(width, keys, seed, 4);
        const model = new Map<string, number>();
        let nextId = 0;
        const probe = new Uint32Array(width);
        const load = ([group, n]: [number, number]) => {
          probe.set([group, group * 7, n]);
          return `${group}/${n}`;
        };
        for (const op of ops) {
          const name = load(op.key);
          const id = model.get(name);
          if (op.kind === 'insert' && id === undefined) {
            keys.set(probe, nextId * width);
            index.insert(nextId);
            model.set(name, nextId++);
          } else if (op.kind === 'remove' && id !== undefined) {
            index.remove(id);
            model.delete(name);
          } else if (op.kind === 'replace' && id !== undefined) {
            keys.set(probe, nextId * width);
            index.replace(id, nextId);
            model.set(name, nextId++);
          }
          assert.equal(index.count, model.size);
          for (const group of [0, 1, 2]) {
            for (let n = 0; n <= 40; n += 1) {
              const expected = model.get(load([group, n])) ?? -1;
              assert.equal(index.find(probe), expected);
            }
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  test('issue-4 keys that differ only in their last words still spread over the slots', () => {
    // Time-ordered or sequential UUIDs share their first words: the benchmark's million sessions
    // did, and a bucket taken from the first two words put them all in one run of slots.
    const width = 4;
    const count = 100_000;
    const keys = new Uint32Array(count * width);
    const index = new SlotIndex(width, keys, 12345);
    for (let id = 0; id < count; id += 1) {
      keys.set([0x0190f2a3, 0x7c4d7000, 0x8000_0000 | (id >>> 16), id & 0xffff], id * width);
      index.insert(id);
    }
    assert.ok(index.longestRun() < 100, `longest run of slots: ${index.longestRun()}`);
    const probe = new Uint32Array(keys.subarray(77_777 * width, 77_778 * width));
    assert.equal(index.find(probe), 77_777);
  });
});

describe('TokenCache table growth', () => {
  const T0 = 1_700_000_000_000;
  const token = (i: number, sessionUuid: string): AccessToken => ({
    digest: createHash('sha256').update(String(i)).digest('hex'),
    sessionUuid,
    sessionTenantUuid: 'tenant',
    mobile: false,
    authId: `user-${i % 7}`,
    pbxUserUuid: null,
    xivoUuid: null,
    issuedAtMs: T0,
    expiresAtMs: T0 + i,
    metadata: { n: i % 3 },
    userAgent: 'agent',
    remoteAddr: `10.0.0.${i % 5}`,
    acl: ['a.b'],
    refreshTokenUuid: null,
  });

  test('issue-4 thousands of entries: grow, evict by session, then evict the oldest past the bound', () => {
    const c = new TokenCache({
      maxEntries: 5_000,
      maxAgeMs: 60_000,
      negativeMaxAgeMs: 1_000,
      initialCapacity: 1_024,
    });
    const sessions = Array.from({ length: 1_000 }, () => randomUUID());
    const records = Array.from({ length: 5_000 }, (_, i) => token(i, sessions[i % 1_000] as string));
    for (const record of records) c.set(record.digest, structuredClone(record), T0);
    assert.equal(c.size, 5_000);
    for (const record of records) assert.deepStrictEqual({ ...c.get(record.digest, T0)?.record }, record);

    // Every session has five tokens: evicting 500 sessions drops 2,500 of them.
    c.evictSessions(sessions.slice(0, 500));
    assert.equal(c.size, 2_500);
    for (const [i, record] of records.entries()) {
      assert.equal(c.peek(record.digest, T0) !== undefined, i % 1_000 >= 500, `token ${i}`);
    }
    // 3,000 more: the 500 oldest survivors go first, insertion order kept across the holes.
    const more = Array.from({ length: 3_000 }, (_, i) => token(10_000 + i, randomUUID()));
    for (const record of more) c.set(record.digest, record, T0 + 1);
    assert.equal(c.size, 5_000);
    assert.equal(c.stats.evictions, 500);
    const survivors = records.filter((_, i) => i % 1_000 >= 500);
    survivors.forEach((record, k) => {
      assert.equal(c.peek(record.digest, T0 + 1) !== undefined, k >= 500, `survivor ${k}`);
    });
    c.flush();
    assert.equal(c.size, 0);
    assert.equal(c.peek(more[0]?.digest as string, T0 + 1), undefined);
  });
});
