import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DomainError } from '../errors/domain-error.ts';
import { AclGrantGuard, patternsOverlap } from './acl-grant-guard.ts';
import { type AclSubject, compileAcl } from './acl-matcher.ts';

const AUTH_ID = '9e1c4a52-5a4c-4b8e-9d3f-0c7b2e6f1a10';
const SESSION_UUID = 'f3b0d7c2-8a1e-4c6d-b5f4-2e9a0c1d3b47';
const SUBJECT: AclSubject = { authId: AUTH_ID, sessionUuid: SESSION_UUID };

const guard = (acl: readonly string[]) => new AclGrantGuard(acl, SUBJECT);

describe('ACL grant guard (D12)', () => {
  it('S-ACL-3 a holder of a.# and !a.b.# cannot grant a.# but can grant a.c.#', () => {
    const g = guard(['a.#', '!a.b.#']);
    assert.equal(g.mayAdd('a.#'), false);
    assert.equal(g.mayAdd('a.*.x'), false, 'a.b.x is in both');
    assert.equal(g.mayAdd('a.b.c'), false);
    assert.equal(g.mayAdd('a.c.#'), true);
    assert.equal(g.mayAdd('a.bb.#'), true, 'a.bb.* never matches a.b.#');
    assert.equal(g.mayAdd('a.b'), true, 'a.b.# needs a dot after b');
  });

  it('S-ACL-3 a holder of auth.users.* cannot grant auth.users.#', () => {
    const g = guard(['auth.users.*']);
    assert.equal(g.mayAdd('auth.users.#'), false);
    assert.equal(g.mayAdd('auth.users.*'), true);
    assert.equal(g.mayAdd('auth.users.x*'), true);
    assert.equal(g.mayAdd('auth.users.x.y'), false);
  });

  it('E66 negations may always be added; a negated access may not be granted', () => {
    const g = guard(['auth.#', 'authorized', '!unauthorized']);
    assert.equal(g.mayAdd('authorized'), true);
    assert.equal(g.mayAdd('unauthorized'), false);
    assert.equal(g.mayAdd('!forbid-access'), true);
    assert.equal(g.mayAdd('!anything.#'), true);
    assert.equal(g.mayAdd('other'), false);
    assert.equal(guard([]).mayAdd('!x'), true);
  });

  it('E67 removal needs the access granted; removing !y needs y granted', () => {
    const g = guard(['auth.#', 'authorized', '!unauthorized']);
    assert.equal(g.mayRemove('authorized'), true);
    assert.equal(g.mayRemove('unauthorized'), false);
    assert.equal(g.mayRemove('!unauthorized'), false);
    assert.equal(g.mayRemove('!authorized'), true);
    assert.equal(g.mayRemove('!auth.x'), true);
    assert.equal(g.mayRemove('!forbid-access'), false);
  });

  it('me and my_session in the caller ACL stand for its own ids', () => {
    const g = guard(['users.me.#', `!users.${AUTH_ID}.password.#`]);
    assert.equal(g.mayAdd(`users.${AUTH_ID}.read`), true);
    assert.equal(g.mayAdd('users.me.read'), true);
    assert.equal(g.mayAdd(`users.${AUTH_ID}.password.update`), false);
    assert.equal(g.mayAdd('users.me.password.update'), true, 'grantee reads me as itself; literal read');
    assert.equal(g.mayAdd('users.other.read'), false);
    const negMe = guard(['#', '!users.me.#']);
    assert.equal(negMe.mayAdd(`users.${AUTH_ID}.x`), false);
    assert.equal(negMe.mayAdd('users.*.x'), false, 'users.<own id>.x is in both');
    assert.equal(guard(['#', '!sessions.my_session.#']).mayAdd(`sessions.${SESSION_UUID}.x`), false);
  });

  it('edit is read as update on both sides', () => {
    assert.equal(guard(['a.#', '!a.update']).mayAdd('a.edit'), false);
    assert.equal(guard(['a.edit']).mayAdd('a.update'), true);
    assert.equal(
      guard(['a.update']).mayAdd('a.edit'),
      false,
      'a grantee of a.edit also gets a.update... and a.edit',
    );
    assert.equal(guard(['a.e*']).mayAdd('a.edit'), false, 'a.e* does not cover a.update');
  });

  it('metacharacters are literal and # covers everything', () => {
    assert.equal(guard(['a.(b)+']).mayAdd('a.(b)+'), true);
    assert.equal(guard(['a.(b)+']).mayAdd('a.bb'), false);
    assert.equal(guard(['#']).mayAdd('anything.#'), true);
    assert.equal(guard(['#', '!#']).mayAdd('x'), false);
  });

  it('refusals are 401 unauthorized naming the access', () => {
    try {
      guard(['a']).assertMayAdd(['a', 'b']);
      assert.fail('expected a refusal');
    } catch (error) {
      assert.ok(error instanceof DomainError);
      assert.equal(error.code, 'unauthorized');
      assert.deepEqual(error.options.details, { invalid_token: null, required_access: 'b' });
    }
    assert.throws(() => guard(['a']).assertMayRemove(['!b']), DomainError);
    guard(['a']).assertMayRemove(['!a', 'a']);
  });

  it('overlap examples', () => {
    assert.equal(patternsOverlap('a.*', 'a.b.#'), false);
    assert.equal(patternsOverlap('a.*.c', 'a.b*.#'), true);
    assert.equal(patternsOverlap('a*b', 'ab'), true);
    assert.equal(patternsOverlap('a*b', 'a.b'), false);
    assert.equal(patternsOverlap('#', ''), true);
    assert.equal(patternsOverlap('*', 'x.y'), false);
    assert.equal(patternsOverlap('x#y', 'x.y'), true);
    assert.equal(patternsOverlap('a.#', 'a'), false);
  });

  it('a 200-segment pattern against a long negation is decided quickly', () => {
    const pattern = Array.from({ length: 200 }, () => '*').join('.');
    const negated = `!${Array.from({ length: 200 }, (_, i) => `s${i}*x`).join('.')}`;
    const started = performance.now();
    guard(['#', negated]).mayAdd(pattern);
    assert.ok(performance.now() - started < 500);
  });
});

// Small alphabets so that random patterns collide often.
const SEGMENTS = ['a', 'b', 'ab', 'me', 'edit', 'update', '*', '#', 'a*', '*b', 'a#'];
const segment = fc.constantFrom(...SEGMENTS);
const pattern = fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => s.join('.'));
const entry = fc.tuple(fc.boolean(), pattern).map(([negative, p]) => (negative ? `!${p}` : p));
const acl = fc.array(entry, { minLength: 0, maxLength: 5 });
const runChar = fc.constantFrom('a', 'b', 'x', 'e');
const anyChar = fc.constantFrom('a', 'b', '.', '#', '*', 'x');

/** Concrete strings of a pattern's language: each `*` and `#` replaced by a random run. */
function sample(access: string, star: string[], hash: string[]): string {
  let s = 0;
  let h = 0;
  return access.replace(/[*#]/g, (wildcard) => (wildcard === '*' ? (star[s++] ?? '') : (hash[h++] ?? '')));
}

describe('ACL grant guard properties', () => {
  it('S-ACL-3 if the guard allows X, every concrete access of X is granted to the caller', () => {
    const runs = fc.array(
      fc.array(runChar, { maxLength: 3 }).map((c) => c.join('')),
      { maxLength: 8 },
    );
    const hashRuns = fc.array(
      fc.array(anyChar, { maxLength: 4 }).map((c) => c.join('')),
      { maxLength: 8 },
    );
    fc.assert(
      fc.property(acl, pattern, runs, hashRuns, (entries, access, star, hash) => {
        if (!new AclGrantGuard(entries, SUBJECT).mayAdd(access)) return;
        const compiled = compileAcl(entries, SUBJECT);
        const concrete = sample(access, star, hash);
        assert.ok(compiled.grants(concrete), `${JSON.stringify(entries)} allows ${access}, not ${concrete}`);
      }),
      { numRuns: 3000 },
    );
  });

  it('without negations nor edit, the guard is wazo’s literal check', () => {
    fc.assert(
      fc.property(fc.array(pattern, { maxLength: 4 }), pattern, (entries, access) => {
        if (access.split('.').includes('edit')) return;
        const literal = compileAcl(entries, SUBJECT).grants(access);
        assert.equal(new AclGrantGuard(entries, SUBJECT).mayAdd(access), literal);
      }),
      { numRuns: 2000 },
    );
  });

  it('overlap is symmetric and agrees with sampled witnesses', () => {
    fc.assert(
      fc.property(
        pattern,
        pattern,
        fc.array(fc.array(runChar, { maxLength: 2 }).map((c) => c.join(''))),
        (p, q, runs) => {
          assert.equal(patternsOverlap(p, q), patternsOverlap(q, p));
          const witness = sample(p, runs, runs);
          const inQ = compileAcl([q], SUBJECT).grants(witness);
          const inP = compileAcl([p], { authId: null, sessionUuid: null }).grants(witness);
          if (inQ && inP && !q.split('.').includes('me'))
            assert.ok(patternsOverlap(p, q), `${p} ~ ${q} via ${witness}`);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
