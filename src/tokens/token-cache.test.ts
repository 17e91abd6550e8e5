import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import type { AccessToken } from './token.ts';
import { TokenCache, type TokenCacheOptions } from './token-cache.ts';

/** Unit tests of the token-check cache (issue #4): no server, no database, explicit times. */

const T0 = 1_700_000_000_000;

function cache(options: Partial<TokenCacheOptions> = {}): TokenCache {
  return new TokenCache({ maxEntries: 100, maxAgeMs: 60_000, negativeMaxAgeMs: 5_000, ...options });
}

function token(fields: Partial<AccessToken> = {}): AccessToken {
  const authId = randomUUID();
  return {
    digest: randomUUID(),
    sessionUuid: randomUUID(),
    sessionTenantUuid: randomUUID(),
    mobile: false,
    authId,
    pbxUserUuid: authId,
    xivoUuid: 'the-predefined-xivo-uuid',
    issuedAtMs: T0,
    expiresAtMs: T0 + 7_200_000,
    metadata: {},
    userAgent: '',
    remoteAddr: '127.0.0.1',
    acl: ['confd.users.me.read', 'auth.users.me.#'],
    refreshTokenUuid: null,
    ...fields,
  };
}

/** Stores `record` under its own digest and returns the digest. */
function put(c: TokenCache, record: AccessToken, nowMs = T0): string {
  c.set(record.digest, record, nowMs);
  return record.digest;
}

describe('TokenCache', () => {
  test('issue-4 an unknown digest is a miss, a stored one a hit, and stats count both', () => {
    const c = cache();
    const record = token();
    assert.equal(c.get(record.digest, T0), undefined);
    assert.deepEqual(c.stats, { hits: 0, misses: 1, evictions: 0, flushes: 0 });

    const stored = c.set(record.digest, record, T0);
    assert.equal(stored?.record, record);
    assert.equal(c.size, 1);
    const hit = c.get(record.digest, T0 + 1);
    assert.equal(hit, stored, 'a hit returns the cached entry itself');
    assert.equal(c.get(record.digest, T0 + 2), stored);
    assert.deepEqual(c.stats, { hits: 2, misses: 1, evictions: 0, flushes: 0 });
    assert.equal(c.get(randomUUID(), T0), undefined);
    assert.equal(c.stats.misses, 2);
  });

  test('issue-4 setting a digest again replaces its entry without growing the cache', () => {
    const c = cache();
    const first = token();
    const second = token({ digest: first.digest });
    put(c, first);
    put(c, second, T0 + 10);
    assert.equal(c.size, 1);
    assert.equal(c.get(first.digest, T0 + 10)?.record, second);
    // The replaced token's session no longer points at the digest: evicting it leaves the new one.
    c.evictSessions([first.sessionUuid]);
    assert.equal(c.get(first.digest, T0 + 10)?.record, second);
  });

  test('issue-4 negative entries are remembered as unknown, then read again after negativeMaxAgeMs', () => {
    const c = cache({ negativeMaxAgeMs: 5_000, maxAgeMs: 60_000 });
    const digest = randomUUID();
    assert.equal(c.set(digest, null, T0), null);
    assert.equal(c.size, 1);
    assert.equal(c.get(digest, T0), null, 'known unknown');
    assert.equal(c.get(digest, T0 + 5_000), null, 'still remembered at exactly the limit');
    assert.equal(c.stats.hits, 2);
    assert.equal(c.get(digest, T0 + 5_001), undefined, 'past the limit: ask the database');
    assert.equal(c.stats.misses, 1);
    assert.equal(c.size, 0, 'the stale entry is dropped');
    assert.equal(c.get(digest, T0 + 5_002), undefined);
  });

  test('issue-4 positive entries are read again after maxAgeMs (not after the negative limit)', () => {
    const c = cache({ negativeMaxAgeMs: 5_000, maxAgeMs: 60_000 });
    const record = token();
    put(c, record);
    assert.equal(c.get(record.digest, T0 + 5_001)?.record, record, 'the negative limit does not apply');
    assert.equal(c.get(record.digest, T0 + 60_000)?.record, record);
    assert.equal(c.get(record.digest, T0 + 60_001), undefined);
    assert.equal(c.size, 0);
    // Its session index went with it: evicting the session later is harmless.
    c.evictSessions([record.sessionUuid]);
    assert.equal(c.size, 0);
  });

  test('issue-4 the maxEntries bound evicts the oldest entries first', () => {
    const c = cache({ maxEntries: 3 });
    const records = [token(), token(), token(), token(), token()];
    records.forEach((record, i) => {
      put(c, record, T0 + i);
    });
    assert.equal(c.size, 3, 'never more than maxEntries');
    assert.equal(c.stats.evictions, 2);
    const [first, second, third, fourth, fifth] = records as [
      AccessToken,
      AccessToken,
      AccessToken,
      AccessToken,
      AccessToken,
    ];
    assert.equal(c.get(first.digest, T0 + 10), undefined);
    assert.equal(c.get(second.digest, T0 + 10), undefined);
    for (const kept of [third, fourth, fifth]) assert.equal(c.get(kept.digest, T0 + 10)?.record, kept);

    // Negative entries count against the bound too.
    for (let i = 0; i < 10; i += 1) c.set(randomUUID(), null, T0 + 20);
    assert.equal(c.size, 3);
    assert.equal(c.stats.evictions, 12);
    assert.equal(c.get(fifth.digest, T0 + 20), undefined);
  });

  test('issue-4 evictSessions removes the token of that session only and bumps generation', () => {
    const c = cache();
    const revoked = token();
    const kept = token();
    put(c, revoked);
    put(c, kept);
    const generation = c.generation;

    c.evictSessions([revoked.sessionUuid]);
    assert.equal(c.generation, generation + 1);
    assert.equal(c.size, 1);
    assert.equal(c.get(revoked.digest, T0), undefined);
    assert.equal(c.get(kept.digest, T0)?.record, kept);
    assert.equal(c.stats.flushes, 0, 'an eviction is not a flush');

    // Unknown sessions (e.g. revoked on another instance, never cached here) still bump generation.
    c.evictSessions([randomUUID(), randomUUID()]);
    assert.equal(c.generation, generation + 2);
    c.evictSessions([]);
    assert.equal(c.generation, generation + 3);
    assert.equal(c.get(kept.digest, T0)?.record, kept);
  });

  test('issue-4 evictSessions handles many sessions in one call (one revocation ending a user)', () => {
    const c = cache({ maxEntries: 2_000 });
    const records = Array.from({ length: 1_000 }, () => token());
    for (const record of records) put(c, record);
    const bystander = token();
    put(c, bystander);
    c.evictSessions(records.map((r) => r.sessionUuid));
    assert.equal(c.size, 1);
    assert.equal(
      records.filter((r) => c.get(r.digest, T0) !== undefined).length,
      0,
      'no revoked token is left in the cache',
    );
    assert.equal(c.get(bystander.digest, T0)?.record, bystander);
  });

  test('issue-4 flush forgets every entry, bumps generation and counts the flush', () => {
    const c = cache();
    const records = [token(), token()];
    for (const record of records) put(c, record);
    c.set(randomUUID(), null, T0);
    const generation = c.generation;

    c.flush();
    assert.equal(c.size, 0);
    assert.equal(c.generation, generation + 1);
    assert.equal(c.stats.flushes, 1);
    for (const record of records) assert.equal(c.get(record.digest, T0), undefined);

    // The cache works normally afterwards.
    const after = token();
    put(c, after);
    assert.equal(c.get(after.digest, T0)?.record, after);
    c.flush();
    assert.equal(c.stats.flushes, 2);
    assert.equal(c.size, 0);
  });

  test('issue-4 maxEntries 0 disables caching but still returns the token to the caller', () => {
    const c = cache({ maxEntries: 0 });
    const record = token();
    const returned = c.set(record.digest, record, T0);
    assert.equal(returned?.record, record);
    assert.ok(returned?.acl().grants('confd.users.me.read'));
    assert.equal(c.set(randomUUID(), null, T0), null);
    assert.equal(c.size, 0);
    assert.equal(c.get(record.digest, T0), undefined);
    assert.equal(c.stats.hits, 0);
    assert.equal(c.stats.evictions, 0);
  });

  test('issue-4 the compiled ACL is built once per entry and shared by every hit', () => {
    const c = cache();
    const record = token({ acl: ['auth.users.me.read', 'auth.sessions.my_session.#'] });
    const stored = c.set(record.digest, record, T0);
    assert.ok(stored);
    const acl = stored.acl();
    assert.equal(stored.acl(), acl, 'acl() returns the same compiled object');
    const hit = c.get(record.digest, T0 + 1);
    assert.equal(hit?.acl(), acl, 'a hit reuses the compiled ACL');
    // The compiled ACL is the token's own: `me` and `my_session` stand for its auth id and session.
    assert.ok(acl.grants(`auth.users.${record.authId}.read`));
    assert.ok(acl.grants(`auth.sessions.${record.sessionUuid}.delete`));
    assert.equal(acl.grants(`auth.users.${randomUUID()}.read`), false);
    assert.equal(acl.grants(`auth.sessions.${randomUUID()}.delete`), false);
  });

  test('issue-4 a token stored again after a revocation gets a freshly compiled ACL', () => {
    const c = cache();
    const record = token();
    const first = c.set(record.digest, record, T0);
    const firstAcl = first?.acl();
    c.evictSessions([record.sessionUuid]);
    const second = c.set(record.digest, { ...record, acl: ['other.acl'] }, T0 + 1);
    assert.notEqual(second?.acl(), firstAcl);
    assert.ok(second?.acl().grants('other.acl'));
    assert.equal(second?.acl().grants('confd.users.me.read'), false);
  });
});
