import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type AclSubject, compileAcl } from './acl-matcher.ts';
import { AclTemplates, aclTemplate, bindAclTemplate, VERDICT_MEMO_LIMIT } from './shared-acl.ts';

const ALICE: AclSubject = {
  authId: '7f0c5c1e-8d3a-4c55-9a43-1d3e5b2c9f10',
  sessionUuid: '0b7e6a52-3f1d-4b8e-a6c2-58d1e4f3a9b7',
};

// Holders whose ids are plain segments use the shared template; the others take the fallback.
const subjectArb = fc.constantFrom<AclSubject>(
  ALICE,
  { authId: null, sessionUuid: null },
  { authId: 'u1', sessionUuid: 's1' },
  { authId: 'u1', sessionUuid: 'u1' },
  { authId: 'me', sessionUuid: 'edit' },
  { authId: '', sessionUuid: 'a.b' },
  { authId: 'a*', sessionUuid: 'update' },
  { authId: 'update', sessionUuid: 'u1' },
);

function segmentArb(subject: AclSubject): fc.Arbitrary<string> {
  const ids = [subject.authId, subject.sessionUuid].filter((value): value is string => value !== null);
  return fc.constantFrom(
    'a',
    'b',
    '',
    'me',
    'my_session',
    'edit',
    'update',
    '*',
    '#',
    'a*',
    '\u0000me',
    '\u0000my_session',
    ...ids,
    // Glued wildcards that accept an id: the template must then compare the id itself.
    ...ids.map((id) => `${id.slice(0, 1)}*`),
  );
}

const accessArb = (subject: AclSubject) =>
  fc.array(segmentArb(subject), { minLength: 1, maxLength: 6 }).map((segments) => segments.join('.'));

const caseArb = subjectArb.chain((subject) =>
  fc.record({
    subject: fc.constant(subject),
    entries: fc.array(
      fc.tuple(fc.boolean(), accessArb(subject)).map(([negative, entry]) => (negative ? `!${entry}` : entry)),
      { maxLength: 6 },
    ),
    required: fc.array(accessArb(subject), { minLength: 1, maxLength: 8 }),
  }),
);

/** Required accesses naming the holder, which the template answers through marker spellings. */
function holderAccesses({ authId, sessionUuid }: AclSubject): string[] {
  const ids = [authId, sessionUuid].filter((id): id is string => id !== null);
  return ids.flatMap((id) => [`confd.users.${id}.read`, `a.${id}`, `${id}.${id}`, `a.${id}.b.${ids[0]}`]);
}

describe('shared ACL templates', () => {
  it('#4 S-ACL-1 a shared template answers exactly as the holder’s own compiled ACL', () => {
    const templates = new AclTemplates();
    fc.assert(
      fc.property(caseArb, ({ subject, entries, required }) => {
        const own = compileAcl(entries, subject);
        const shared = templates.forHolder(entries, subject).acl;
        const derived = entries.map((entry) => entry.replace(/^!/, ''));
        for (const access of [...required, ...derived]) {
          assert.equal(shared.grants(access), own.grants(access), `${JSON.stringify([entries, access])}`);
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('#4 holders of the same entries share one template and one entries array', () => {
    const templates = new AclTemplates();
    const entries = ['confd.users.me.read', '!calld.users.me.calls.*.delete', 'calld.users.me.#'];
    const bob: AclSubject = { authId: 'b0b', sessionUuid: 's-bob' };
    const forAlice = templates.forHolder([...entries], ALICE);
    const forBob = templates.forHolder([...entries], bob);
    assert.equal(templates.size, 1);
    assert.equal(forAlice.entries, forBob.entries);
    assert.equal(forAlice.acl.grants(`confd.users.${ALICE.authId}.read`), true);
    assert.equal(forAlice.acl.grants('confd.users.b0b.read'), false, 'me is the holder, never another user');
    assert.equal(forBob.acl.grants('confd.users.b0b.read'), true);
    assert.equal(forAlice.acl.grants(`calld.users.${ALICE.authId}.calls.c1.delete`), false);
    assert.equal(forAlice.acl.grants('confd.users.\u0000me.read'), false, 'a marker in the input is literal');
  });

  it('#4 an entry holding a NUL is compiled per holder, so it can never stand for `me`', () => {
    const templates = new AclTemplates();
    const acl = templates.forHolder(['confd.users.\u0000me.read'], ALICE).acl;
    assert.equal(acl.grants(`confd.users.${ALICE.authId}.read`), false);
  });

  it('#4 a template remembers matches for every holder: each answers as its own compiled ACL', () => {
    const holdersArb = fc.uniqueArray(subjectArb, {
      minLength: 2,
      maxLength: 3,
      selector: (s) => JSON.stringify(s),
    });
    fc.assert(
      fc.property(caseArb, holdersArb, ({ entries, required }, holders) => {
        const template = aclTemplate(entries);
        // Twice over: the second pass is answered from the memo the first (and other holders) filled.
        for (let pass = 0; pass < 2; pass += 1) {
          for (const subject of holders) {
            const own = compileAcl(entries, subject);
            const shared = bindAclTemplate(template, subject);
            for (const access of [...required, ...holderAccesses(subject)]) {
              assert.equal(
                shared.grants(access),
                own.grants(access),
                JSON.stringify([entries, subject, access]),
              );
            }
          }
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('#4 the memo of matches is bounded', () => {
    const template = aclTemplate(['confd.#', '!confd.users.*.delete']);
    const acl = bindAclTemplate(template, ALICE);
    for (let i = 0; i < 10 * VERDICT_MEMO_LIMIT; i += 1) {
      assert.equal(acl.grants(`confd.users.u${i}.read`), true);
      assert.equal(acl.grants(`confd.users.u${i}.delete`), false);
    }
    assert.ok(template.verdicts.size <= VERDICT_MEMO_LIMIT);
  });

  it('#4 the template pool is bounded', () => {
    const templates = new AclTemplates(3);
    for (let i = 0; i < 10; i += 1) templates.forHolder([`a.${i}`], ALICE);
    assert.ok(templates.size <= 3);
  });
});
