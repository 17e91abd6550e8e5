import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { referenceGrants } from '../testing/acl-reference-model.ts';
import { type AclSubject, compileAcl } from './acl-matcher.ts';

const AUTH_ID = '9e1c4a52-5a4c-4b8e-9d3f-0c7b2e6f1a10';
const OTHER_ID = '11111111-2222-4333-8444-555555555555';
const SESSION_UUID = 'f3b0d7c2-8a1e-4c6d-b5f4-2e9a0c1d3b47';
const SUBJECT: AclSubject = { authId: AUTH_ID, sessionUuid: SESSION_UUID };
const ANONYMOUS: AclSubject = { authId: null, sessionUuid: null };

interface Case {
  name: string;
  acl: readonly string[];
  subject?: AclSubject;
  granted: readonly string[];
  refused: readonly string[];
}

const cases: readonly Case[] = [
  {
    name: 'C53 `#` grants anything, even the empty access',
    acl: ['#'],
    granted: ['', 'a', 'a.b.c', '.', 'é.#.*'],
    refused: [],
  },
  { name: 'C53 empty ACL refuses everything', acl: [], granted: [], refused: ['', 'a', '#'] },
  {
    name: 'C53 me substitution: `users.me.#` grants me and the auth id only',
    acl: ['users.me.#'],
    granted: ['users.me.123', `users.${AUTH_ID}.x`, `users.${AUTH_ID}.`, 'users.me.'],
    refused: [`users.${OTHER_ID}.x`, 'users.me', `users.${AUTH_ID}`, 'users.meh.x', `users.x${AUTH_ID}.x`],
  },
  {
    name: 'C53 me substitution only for a whole segment',
    acl: ['users.me*', 'x.mee', 'y.me#'],
    granted: ['users.me', 'users.meX', 'x.mee', 'y.me.z'],
    refused: [`users.${AUTH_ID}`, `x.${AUTH_ID}e`, `y.${AUTH_ID}`],
  },
  {
    name: 'C53 reserved words are never substituted in the required access',
    acl: [`users.${AUTH_ID}`, 'x.update'],
    granted: [`users.${AUTH_ID}`, 'x.update'],
    refused: ['users.me', 'x.edit'],
  },
  {
    name: 'C53 me / my_session without subject values only match themselves',
    acl: ['users.me', 'sessions.my_session'],
    subject: ANONYMOUS,
    granted: ['users.me', 'sessions.my_session'],
    refused: [`users.${AUTH_ID}`, `sessions.${SESSION_UUID}`, 'users.None', 'users.', 'sessions.'],
  },
  {
    name: 'C53 my_session substitution',
    acl: ['auth.sessions.my_session.delete'],
    granted: ['auth.sessions.my_session.delete', `auth.sessions.${SESSION_UUID}.delete`],
    refused: [`auth.sessions.${AUTH_ID}.delete`, `auth.sessions.${OTHER_ID}.delete`],
  },
  {
    name: 'C53 edit is granted as update (deprecated suffix)',
    acl: ['auth.emails.X.confirm.edit'],
    granted: ['auth.emails.X.confirm.edit', 'auth.emails.X.confirm.update'],
    refused: [
      'auth.emails.X.confirm.read',
      'auth.emails.X.confirm.updat',
      'auth.emails.X.confirm.editupdate',
    ],
  },
  {
    name: 'C53 `*` matches one segment, possibly empty',
    acl: ['confd.users.*.read', 'a.*.b'],
    granted: ['confd.users.42.read', 'confd.users.*.read', 'a..b', 'a.x.b'],
    refused: ['confd.users.42.lines.read', 'confd.users.read', 'a.b', 'a.x.y.b'],
  },
  {
    name: 'C53 `*` does not cross `#` in the required access, `#` does',
    acl: ['a.*', 'b.#'],
    granted: ['a.x', 'a.', 'b.x#y', 'b.x.y'],
    refused: ['a.x#y', 'a.#', 'a.x.y'],
  },
  {
    name: 'C53 `*` segments with a trailing `.#`',
    acl: ['a.*.#', 'users.me.*.#'],
    granted: ['a.x.', 'a.x.y.z', 'a..#', `users.${AUTH_ID}.x.y`, 'users.me..'],
    refused: ['a.x', 'a', 'a.x#.y', `users.${AUTH_ID}.x`, `users.${OTHER_ID}.x.y`],
  },
  {
    name: 'C53 the dot before a trailing `#` is literal',
    acl: ['confd.#'],
    granted: ['confd.', 'confd.users', 'confd.users.42.read'],
    refused: ['confd', 'confdx', 'confd#', 'xconfd.users'],
  },
  {
    name: 'C53 wildcards inside a segment',
    acl: ['foo*bar', 'a#', 'x*#y', 'p**q'],
    granted: ['foobar', 'foo-bar', 'a', 'a.b.c', 'a#', 'xy', 'x.y', 'x#y', 'pq', 'pzzq'],
    refused: ['foo.bar', 'foo#bar', 'ba', 'p.q'],
  },
  {
    name: 'C53 negative entries win regardless of order',
    acl: ['auth.#', '!auth.users.#'],
    granted: ['auth.tenants.read', 'auth.users'],
    refused: ['auth.users.1.read', 'auth.users.'],
  },
  {
    name: 'C53 negative before positive is the same',
    acl: ['!auth.users.#', 'auth.#'],
    granted: ['auth.tenants.read'],
    refused: ['auth.users.1.read'],
  },
  {
    name: 'C53 negative me substitution and `!#`',
    acl: ['users.#', '!users.me.delete'],
    granted: [`users.${OTHER_ID}.delete`, 'users.me.read'],
    refused: ['users.me.delete', `users.${AUTH_ID}.delete`],
  },
  { name: 'C53 `!#` refuses everything', acl: ['#', 'a', '!#'], granted: [], refused: ['', 'a', 'b.c'] },
  { name: 'C53 a negative entry alone grants nothing', acl: ['!a'], granted: [], refused: ['a', 'b'] },
  {
    name: 'C53 matching is case-sensitive and exact',
    acl: ['Confd.users.read', 'foo'],
    granted: ['Confd.users.read', 'foo'],
    refused: ['confd.users.read', 'CONFD.USERS.READ', 'Foo', 'foo ', ' foo', 'foo\n', 'éric', 'fo'],
  },
  {
    name: 'C53 non-ASCII and regex metacharacters are literal',
    acl: ['éric.*', '(a+)+$.[x]', 'ü🙂.#', '\\*'],
    granted: ['éric.ü', 'éric.', '(a+)+$.[x]', 'ü🙂.🙂', '\\', '\\abc'],
    refused: ['eric.x', 'aa.x', 'ü🙂', '\\.x'],
  },
  {
    name: 'C53 non-ASCII through the NFA path',
    acl: ['*.foo', 'éric.*'],
    granted: ['.foo', 'é.foo', 'éric.x'],
    refused: ['a.éoo', 'a.fooé', 'eric.x', 'éri.x', 'éric'],
  },
  {
    name: 'C53 substitutes are literal even with dots or metacharacters',
    acl: ['u.me.r'],
    subject: { authId: 'a.b+', sessionUuid: null },
    granted: ['u.a.b+.r', 'u.me.r'],
    refused: ['u.a.bb.r', 'u.aXb+.r', 'u.a.b.r'],
  },
  {
    name: 'C53 a dotted substitute spans segments next to `*`',
    acl: ['*.me.#', 'x.*.me'],
    subject: { authId: 'a.b', sessionUuid: null },
    granted: ['z.a.b.c', 'z.me.c', 'x.y.a.b', 'x..me'],
    refused: ['z.a.c', 'z.a.b', 'x.y.a', 'x.y.a.b.c'],
  },
  { name: 'C53 empty entry grants only the empty access', acl: [''], granted: [''], refused: ['.', 'a'] },
];

describe('compileAcl (wazo-auth AccessCheck semantics)', () => {
  for (const testCase of cases) {
    it(testCase.name, () => {
      const subject = testCase.subject ?? SUBJECT;
      const acl = compileAcl(testCase.acl, subject);
      for (const access of testCase.granted) {
        assert.equal(
          acl.grants(access),
          true,
          `${JSON.stringify(testCase.acl)} should grant ${JSON.stringify(access)}`,
        );
        assert.equal(
          referenceGrants(testCase.acl, subject, access),
          true,
          `reference disagrees on ${access}`,
        );
      }
      for (const access of testCase.refused) {
        assert.equal(
          acl.grants(access),
          false,
          `${JSON.stringify(testCase.acl)} should refuse ${JSON.stringify(access)}`,
        );
        assert.equal(
          referenceGrants(testCase.acl, subject, access),
          false,
          `reference disagrees on ${access}`,
        );
      }
    });
  }

  it('C53 pathological entries run in linear time (no backtracking)', () => {
    const pathological = [
      Array.from({ length: 30 }, () => '*a').join(''),
      Array.from({ length: 30 }, () => '*').join('a.'),
      `${Array.from({ length: 30 }, () => '#a').join('')}.b`,
      `${'a*'.repeat(30)}.me.${'#a'.repeat(30)}`,
    ];
    const required = [
      `${'a'.repeat(20_000)}.`,
      `${'a'.repeat(10_000)}!`,
      `${'a.'.repeat(10_000)}!`,
      `${'a#'.repeat(5_000)}`,
    ];
    const started = performance.now();
    const acl = compileAcl(pathological, SUBJECT);
    for (const access of required) assert.equal(acl.grants(access), false);
    assert.ok(performance.now() - started < 5_000, 'matching should be linear, not exponential');
  });
});

// Small alphabets make collisions between entries, reserved words and required accesses likely.
const subjectArb = fc.constantFrom<AclSubject>(
  SUBJECT,
  ANONYMOUS,
  { authId: 'u1', sessionUuid: 's1' },
  { authId: 'me', sessionUuid: 'edit' },
  { authId: '', sessionUuid: 'a.b' },
  { authId: 'a*', sessionUuid: 'update' },
);

function segmentArb(subject: AclSubject): fc.Arbitrary<string> {
  const values = [subject.authId, subject.sessionUuid].filter((value): value is string => value !== null);
  return fc.constantFrom(
    'a',
    'b',
    '',
    'me',
    'edit',
    'update',
    'my_session',
    '*',
    '#',
    'a*',
    '*b',
    'a#',
    ...values,
  );
}

function accessArb(subject: AclSubject): fc.Arbitrary<string> {
  return fc.array(segmentArb(subject), { minLength: 1, maxLength: 5 }).map((segments) => segments.join('.'));
}

function substituted(entry: string, subject: AclSubject): string {
  const values: Record<string, string | null> = {
    me: subject.authId,
    my_session: subject.sessionUuid,
    edit: 'update',
  };
  return entry
    .split('.')
    .map((segment) => (Object.hasOwn(values, segment) ? (values[segment] ?? segment) : segment))
    .join('.');
}

const smallAlphabetArb = subjectArb.chain((subject) =>
  fc.record({
    subject: fc.constant(subject),
    entries: fc.array(
      fc.tuple(fc.boolean(), accessArb(subject)).map(([negative, entry]) => (negative ? `!${entry}` : entry)),
      { maxLength: 5 },
    ),
    required: fc.array(accessArb(subject), { minLength: 1, maxLength: 8 }),
  }),
);

// Full unicode, lone surrogates included, salted with the characters that carry meaning.
const unitArb = fc.oneof(
  fc.constantFrom('.', '*', '#', '!', 'me', 'edit', 'update', 'a', '\n', '\\'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)),
);
const unicodeStringArb = fc.string({ unit: unitArb, maxLength: 12 });

describe('compileAcl agrees with the wazo regex reference model', () => {
  it('C53 small alphabet with reserved words, wildcards and negations', () => {
    fc.assert(
      fc.property(smallAlphabetArb, ({ subject, entries, required }) => {
        const acl = compileAcl(entries, subject);
        const reversed = compileAcl([...entries].reverse(), subject);
        // The entries themselves, raw and with reserved words substituted, make grants and negative hits frequent.
        const derived = entries.map((entry) => entry.replace(/^!/, ''));
        for (const access of [
          ...required,
          ...derived,
          ...derived.map((entry) => substituted(entry, subject)),
        ]) {
          const expected = referenceGrants(entries, subject, access);
          assert.equal(
            acl.grants(access),
            expected,
            `${JSON.stringify(entries)} vs ${JSON.stringify(access)}`,
          );
          assert.equal(reversed.grants(access), expected, 'entry order must not matter');
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('C53 arbitrary full-unicode entries and required accesses', () => {
    const caseArb = fc.record({
      subject: fc.record({ authId: fc.option(unicodeStringArb), sessionUuid: fc.option(unicodeStringArb) }),
      entries: fc.array(unicodeStringArb, { maxLength: 4 }),
      required: unicodeStringArb,
      filler: unicodeStringArb,
    });
    fc.assert(
      fc.property(caseArb, ({ subject, entries, required, filler }) => {
        const acl = compileAcl(entries, subject);
        // Also try accesses derived from the entries so that positive matches are not vanishingly rare.
        const derived = entries.map((entry) => entry.replace(/^!/, '').replace(/[*#]/g, filler));
        for (const access of [required, ...derived]) {
          assert.equal(acl.grants(access), referenceGrants(entries, subject, access));
        }
      }),
      { numRuns: 2000 },
    );
  });
});
