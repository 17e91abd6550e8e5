import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { compileAcl } from '../acl/acl-matcher.ts';
import type { AccessToken } from './token.ts';
import { TokenCache } from './token-cache.ts';

/**
 * Issue #4: the compact token cache against a model of its contract (a Map in insertion order):
 * insert, replace, look up, expire (positive and negative limits), evict the oldest past
 * maxEntries, evict by session (every token of it), flush; and every hit gives back the record
 * as it was stored, whatever the table kept in binary form or in its pools.
 */

const HEX64 = fc.stringMatching(/^[0-9a-f]{64}$/);
const digestArb = fc.oneof(
  HEX64,
  HEX64.map((d) => d.toUpperCase()),
  fc.uuid(),
  fc.constantFrom('', 'x', 'é'.repeat(64)),
);
const sessionArb = fc.oneof(
  fc.uuid(),
  fc.uuid().map((u) => u.toUpperCase()),
  fc.constantFrom('s1', 's2', '', 'my_session'),
);
const stringArb = fc.constantFrom('', 'a', 'Mozilla/5.0', '127.0.0.1', '::1', 'é');
const nullableArb = fc.option(fc.constantFrom('7f0c5c1e-8d3a-4c55-9a43-1d3e5b2c9f10', 'r1', ''), {
  nil: null,
});
const aclArb = fc.constantFrom(
  ['auth.users.me.read', 'auth.sessions.my_session.#'],
  ['confd.#', '!confd.users.*.delete'],
  [],
  ['a.\u0000me'],
);

function recordArb(digest: string, sessionUuid: string): fc.Arbitrary<AccessToken> {
  return fc
    .record({
      sessionTenantUuid: fc.constantFrom('t1', 't2'),
      mobile: fc.boolean(),
      authId: fc.constantFrom('u1', 'wazo-auth', '7f0c5c1e-8d3a-4c55-9a43-1d3e5b2c9f10', 'a.b'),
      pbxUserUuid: nullableArb,
      xivoUuid: nullableArb,
      issuedAtMs: fc.integer({ min: 0, max: 2 ** 45 }),
      expiresAtMs: fc.integer({ min: 0, max: 2 ** 45 }),
      metadata: fc.dictionary(fc.constantFrom('uuid', 'purpose', 'n'), fc.oneof(stringArb, fc.integer())),
      userAgent: stringArb,
      remoteAddr: stringArb,
      acl: aclArb,
      refreshTokenUuid: nullableArb,
      jkt: fc.constantFrom('absent', 'null', 'undefined', 'jkt-1', 'jkt-2'),
    })
    .map(({ jkt, acl, ...fields }) => {
      const record: AccessToken = { digest, sessionUuid, ...fields, acl: [...acl] };
      if (jkt === 'null') record.dpopJkt = null;
      else if (jkt === 'undefined') record.dpopJkt = undefined;
      else if (jkt !== 'absent') record.dpopJkt = jkt;
      return record;
    });
}

type Op =
  | { kind: 'set'; digest: string; record: AccessToken | null; dt: number }
  | { kind: 'get'; digest: string; dt: number }
  | { kind: 'evict'; sessions: string[] }
  | { kind: 'flush' };

function opsArb(): fc.Arbitrary<Op[]> {
  return fc
    .tuple(
      fc.uniqueArray(digestArb, { minLength: 1, maxLength: 12 }),
      fc.array(sessionArb, { minLength: 1, maxLength: 6 }),
    )
    .chain(([digests, sessions]) => {
      const digest = fc.constantFrom(...digests);
      const session = fc.constantFrom(...sessions);
      const dt = fc.integer({ min: 0, max: 3_000 });
      const set = fc
        .tuple(digest, session, fc.boolean(), dt)
        .chain(([d, s, known, t]) =>
          (known ? recordArb(d, s) : fc.constant(null)).map(
            (record): Op => ({ kind: 'set', digest: d, record, dt: t }),
          ),
        );
      const get = fc.tuple(digest, dt).map(([d, t]): Op => ({ kind: 'get', digest: d, dt: t }));
      const evict = fc.array(session, { maxLength: 3 }).map((s): Op => ({ kind: 'evict', sessions: s }));
      return fc.array(
        fc.oneof(
          { arbitrary: set, weight: 5 },
          { arbitrary: get, weight: 5 },
          { arbitrary: evict, weight: 1 },
          { arbitrary: fc.constant<Op>({ kind: 'flush' }), weight: 1 },
        ),
        { maxLength: 80 },
      );
    });
}

interface ModelEntry {
  record: AccessToken | null;
  cachedAtMs: number;
}

describe('TokenCache (model-based)', () => {
  test('issue-4 every sequence of set/get/evictSessions/flush answers as the model does', () => {
    fc.assert(
      fc.property(opsArb(), fc.integer({ min: 1, max: 6 }), (ops, maxEntries) => {
        const options = { maxEntries, maxAgeMs: 5_000, negativeMaxAgeMs: 1_000 };
        const cache = new TokenCache(options);
        const model = new Map<string, ModelEntry>();
        const stats = { hits: 0, misses: 0, evictions: 0, flushes: 0 };
        let now = 1_700_000_000_000;
        for (const op of ops) {
          if (op.kind === 'set') {
            now += op.dt;
            const expected = op.record === null ? null : structuredClone(op.record);
            model.delete(op.digest);
            while (model.size >= maxEntries) {
              model.delete(model.keys().next().value as string);
              stats.evictions += 1;
            }
            model.set(op.digest, { record: expected, cachedAtMs: now });
            const stored = cache.set(op.digest, op.record, now);
            assertSame(stored, expected);
          } else if (op.kind === 'get') {
            now += op.dt;
            const entry = model.get(op.digest);
            const limit = entry?.record ? options.maxAgeMs : options.negativeMaxAgeMs;
            if (entry && now - entry.cachedAtMs > limit) model.delete(op.digest);
            const expected = model.get(op.digest);
            if (expected === undefined) stats.misses += 1;
            else stats.hits += 1;
            const got = cache.get(op.digest, now);
            assertSame(got, expected === undefined ? undefined : expected.record);
          } else if (op.kind === 'evict') {
            for (const [digest, entry] of model) {
              if (entry.record && op.sessions.includes(entry.record.sessionUuid)) model.delete(digest);
            }
            cache.evictSessions(op.sessions);
          } else {
            model.clear();
            stats.flushes += 1;
            cache.flush();
          }
          assert.equal(cache.size, model.size);
          assert.deepEqual(cache.stats, stats);
        }
        // Everything the model still holds is answered, as itself or as stale.
        for (const [digest, entry] of model) {
          const limit = entry.record ? options.maxAgeMs : options.negativeMaxAgeMs;
          assertSame(cache.peek(digest, now), now - entry.cachedAtMs > limit ? undefined : entry.record);
        }
      }),
      { numRuns: 300 },
    );
  });
});

function assertSame(
  got: { record: AccessToken; acl(): { grants(s: string): boolean } } | null | undefined,
  expected: AccessToken | null | undefined,
): void {
  if (expected === undefined || expected === null) {
    assert.equal(got, expected);
    return;
  }
  assert.ok(got);
  assert.deepStrictEqual({ ...got.record }, expected);
  const subject = { authId: expected.authId, sessionUuid: expected.sessionUuid };
  const reference = compileAcl(expected.acl, subject);
  for (const scope of [
    `auth.users.${expected.authId}.read`,
    'auth.users.me.read',
    `auth.sessions.${expected.sessionUuid}.delete`,
    'confd.users.1.delete',
    'confd.x',
    'a.\u0000me',
  ]) {
    assert.equal(got.acl().grants(scope), reference.grants(scope), scope);
  }
}
