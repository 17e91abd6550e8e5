import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { referenceGrants } from '../testing/acl-reference-model.ts';
import { intersectAcl } from './acl-intersection.ts';
import { type AclSubject, compileAcl } from './acl-matcher.ts';

const AUTH_ID = '9e1c4a52-5a4c-4b8e-9d3f-0c7b2e6f1a10';
const SESSION_UUID = 'f3b0d7c2-8a1e-4c6d-b5f4-2e9a0c1d3b47';
const SUBJECT: AclSubject = { authId: AUTH_ID, sessionUuid: SESSION_UUID };

const intersect = (scope: readonly string[], user: readonly string[]) =>
  intersectAcl(scope, user, SUBJECT).sort();

describe('ACL intersection (issue #6 scope-limited tokens)', () => {
  it('a scope inside the user ACL is kept as asked', () => {
    assert.deepEqual(intersect(['confd.users.me.read'], ['confd.#']), ['confd.users.me.read']);
    assert.deepEqual(intersect(['a.*', 'b'], ['a.*', 'b', 'c']), ['a.*', 'b']);
  });

  it('user entries inside a wider scope are kept; entries outside both are dropped', () => {
    assert.deepEqual(intersect(['confd.#'], ['confd.users.read', 'calld.#', 'x']), ['confd.users.read']);
    assert.deepEqual(intersect(['nothing.held'], ['a.#']), []);
    assert.deepEqual(intersect([], ['#']), []);
    assert.deepEqual(intersect(['#'], []), []);
  });

  it('partial overlap of two wildcards yields nothing rather than either side', () => {
    // Neither a.* nor *.b covers the other: their common part a.b is not expressible from them.
    assert.deepEqual(intersect(['a.*'], ['*.b']), []);
  });

  it('negations of both sides are carried over with the entries they restrict', () => {
    assert.deepEqual(intersect(['a.#', '!a.secret'], ['#', '!a.b.#']), ['!a.b.#', '!a.secret', 'a.#']);
    const acl = compileAcl(intersectAcl(['a.#', '!a.secret'], ['#', '!a.b.#'], SUBJECT), SUBJECT);
    assert.equal(acl.grants('a.c'), true);
    assert.equal(acl.grants('a.secret'), false);
    assert.equal(acl.grants('a.b.c'), false);
    assert.equal(acl.grants('z'), false);
  });

  it('a scope entry overlapping a user negation is kept with that negation', () => {
    assert.deepEqual(intersect(['a.*.x'], ['a.#', '!a.b.#']), ['!a.b.#', 'a.*.x']);
    const acl = compileAcl(intersectAcl(['a.*.x'], ['a.#', '!a.b.#'], SUBJECT), SUBJECT);
    assert.equal(acl.grants('a.c.x'), true);
    assert.equal(acl.grants('a.b.x'), false);
  });

  it('me in a scope entry must be covered both as me and as the holder id', () => {
    assert.deepEqual(intersect(['users.me.read'], ['users.m*.read']), []);
    // The user's own-id entry is inside the scope's `me`, so it is what survives.
    assert.deepEqual(intersect(['users.me.read'], [`users.${AUTH_ID}.read`]), [`users.${AUTH_ID}.read`]);
    assert.deepEqual(intersect(['users.me.read'], ['users.*.read']), ['users.me.read']);
    assert.deepEqual(intersect(['users.me.read'], ['users.me.read']), ['users.me.read']);
    assert.deepEqual(intersect(['sessions.my_session.#'], ['sessions.*.#']), ['sessions.my_session.#']);
  });

  it('edit is read as update on both sides', () => {
    assert.deepEqual(intersect(['a.edit'], ['a.update']), ['a.update']);
    assert.deepEqual(intersect(['a.update'], ['a.edit']), ['a.update']);
  });

  it('an entry with too many reserved segments is dropped, quickly', () => {
    const entry = Array.from({ length: 300 }, () => 'me').join('.');
    const started = performance.now();
    assert.deepEqual(intersect([entry], ['#']), []);
    assert.ok(performance.now() - started < 500);
  });
});

// Small alphabets so that entries, reserved words and accesses collide often.
const subjectArb = fc.constantFrom<AclSubject>(
  SUBJECT,
  { authId: 'u1', sessionUuid: 's1' },
  { authId: 'a', sessionUuid: 'b' },
  { authId: 'me', sessionUuid: 'edit' },
  { authId: 'a*', sessionUuid: 'update' },
);

function segmentArb(subject: AclSubject): fc.Arbitrary<string> {
  const ids = [subject.authId, subject.sessionUuid].filter((v): v is string => v !== null);
  return fc.constantFrom('a', 'b', 'ab', 'me', 'my_session', 'edit', 'update', '*', '#', 'a*', '*b', ...ids);
}

function patternArb(subject: AclSubject): fc.Arbitrary<string> {
  return fc.array(segmentArb(subject), { minLength: 1, maxLength: 4 }).map((s) => s.join('.'));
}

function aclArb(subject: AclSubject): fc.Arbitrary<string[]> {
  const entry = fc.tuple(fc.boolean(), patternArb(subject)).map(([neg, p]) => (neg ? `!${p}` : p));
  return fc.array(entry, { maxLength: 5 });
}

const fillArb = fc.array(fc.constantFrom('a', 'b', 'x', '.', '#', '*', ''), { maxLength: 3 });

/** Accesses to try: random ones, and the entries of both sides with their wildcards filled in. */
function accessesOf(random: string[], entries: string[], fill: string[]): string[] {
  const filled = entries.map((entry, i) =>
    entry.replace(/^!/, '').replace(/[*#]/g, () => fill[i % Math.max(fill.length, 1)] ?? ''),
  );
  return [...random, ...entries.map((e) => e.replace(/^!/, '')), ...filled];
}

const caseArb = subjectArb.chain((subject) =>
  fc.record({
    subject: fc.constant(subject),
    scope: aclArb(subject),
    user: aclArb(subject),
    accesses: fc.array(patternArb(subject), { minLength: 1, maxLength: 6 }),
    fill: fillArb,
  }),
);

describe('ACL intersection properties (against the wazo regex reference model)', () => {
  it('anything the intersection grants, both the scope and the user ACL grant', () => {
    fc.assert(
      fc.property(caseArb, ({ subject, scope, user, accesses, fill }) => {
        const result = intersectAcl(scope, user, subject);
        for (const access of accessesOf(accesses, [...scope, ...user, ...result], fill)) {
          if (!referenceGrants(result, subject, access)) continue;
          const context = `${JSON.stringify({ scope, user, result, subject })} grants ${JSON.stringify(access)}`;
          assert.ok(referenceGrants(scope, subject, access), `scope refuses: ${context}`);
          assert.ok(referenceGrants(user, subject, access), `user ACL refuses: ${context}`);
        }
      }),
      { numRuns: 4000 },
    );
  });

  it('narrowing twice (stored scope, then a refresh request) still never widens', () => {
    const twiceArb = caseArb.chain((c) => aclArb(c.subject).map((request) => ({ ...c, request })));
    fc.assert(
      fc.property(twiceArb, ({ subject, scope, user, request, accesses, fill }) => {
        const result = intersectAcl(request, intersectAcl(scope, user, subject), subject);
        for (const access of accessesOf(accesses, [...scope, ...user, ...request, ...result], fill)) {
          if (!referenceGrants(result, subject, access)) continue;
          assert.ok(referenceGrants(scope, subject, access));
          assert.ok(referenceGrants(user, subject, access));
          assert.ok(referenceGrants(request, subject, access));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('a plain access the user holds survives a scope naming it', () => {
    const plain = fc.array(fc.constantFrom('a', 'b', 'ab', 'x'), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(caseArb, plain, ({ subject, user }, segments) => {
        const access = segments.join('.');
        if (!referenceGrants(user, subject, access)) return;
        assert.ok(referenceGrants(intersectAcl([access], user, subject), subject, access));
      }),
      { numRuns: 2000 },
    );
  });

  it('without negations, an ACL intersected with itself is itself (ids that are plain segments)', () => {
    const plainArb = caseArb.filter(({ subject }) => [subject.authId, subject.sessionUuid].every(isPlainId));
    fc.assert(
      fc.property(plainArb, ({ subject, user }) => {
        const positive = [...new Set(user.filter((e) => !e.startsWith('!')))];
        assert.deepEqual(intersectAcl(positive, positive, subject).sort(), positive.sort());
      }),
      { numRuns: 1000 },
    );
  });
});

/** Real ids are UUIDs: no wildcard, no reserved word (those make coverage conservative, by design). */
function isPlainId(id: string | null): boolean {
  return id !== null && !/[*#]/.test(id) && !['me', 'my_session', 'edit', 'update'].includes(id);
}
