import { AclGrantGuard } from './acl-grant-guard.ts';
import type { AclSubject } from './acl-matcher.ts';

/**
 * The ACL of a scope-limited token (issue #6): what both a requested scope S and the user's ACL U
 * grant, never more. ACL patterns have no exact intersection in their own grammar, so this is a
 * safe under-approximation built from the grant guard's coverage check (D12):
 *
 *   {positive s ∈ S covered by U+} ∪ {positive u ∈ U covered by S+} ∪ negations(U) ∪ negations(S)
 *
 * where "r covered by A+" means the positive entries of A match every access r matches.
 *
 * Why it never widens: an access x granted by the result is matched by no negation of S or U (they
 * are all in it) and by some positive entry r. If r came from S, S's positive r matches x and no
 * negation of S does, so S grants x; and U's positive entries cover r, so they match x, and no
 * negation of U does, so U grants x too. The same holds with S and U swapped.
 *
 * Coverage is checked against the positive entries only: the guard's negation test (no negation of
 * A may overlap r) is needed when r is handed out alone, but here A's negations travel with r, so
 * it would only drop entries for nothing. With it, a user holding `#` and `!a.b.#` asking for `a.#`
 * would get no positive entry at all; without it, `a.#` with `!a.b.#`, which is exactly the common
 * part. The property test in acl-intersection.test.ts checks the result against the reference model.
 *
 * Entries that the other side does not cover are dropped, not refused, as an OAuth server may grant
 * a smaller scope than asked (RFC 6749 §3.3).
 *
 * `me` and `my_session` in an entry stand for the token holder's ids (`subject`), which the guard
 * reads literally; so an entry is covered only if each of its spellings is (`users.me.read` needs
 * both `users.me.read` and `users.<auth id>.read`). Otherwise `users.m*.read` would cover
 * `users.me.read` while granting nothing on the holder's own id.
 */
export function intersectAcl(
  scope: readonly string[],
  userAcl: readonly string[],
  subject: AclSubject,
): string[] {
  const userGuard = new AclGrantGuard(positives(userAcl), coveringSubject(subject));
  const scopeGuard = new AclGrantGuard(positives(scope), coveringSubject(subject));
  const result = new Set<string>();
  for (const entry of positives(scope)) if (covers(userGuard, entry, subject)) result.add(entry);
  for (const entry of positives(userAcl)) if (covers(scopeGuard, entry, subject)) result.add(entry);
  for (const entry of [...userAcl, ...scope]) if (entry.startsWith('!')) result.add(entry);
  return [...result];
}

function positives(entries: readonly string[]): string[] {
  return entries.filter((entry) => !entry.startsWith('!'));
}

/**
 * The guard decides coverage by matching an entry's text literally against the covering ACL, which
 * is exact only if no literal part of that ACL is a wildcard character. An id holding `*` or `#`
 * (never a real one: they are UUIDs) would break that, so such an id is not substituted there,
 * which can only make the covering side grant less.
 */
function coveringSubject(subject: AclSubject): AclSubject {
  const plain = (id: string | null) => (id !== null && /[*#]/.test(id) ? null : id);
  return { authId: plain(subject.authId), sessionUuid: plain(subject.sessionUuid) };
}

function covers(guard: AclGrantGuard, entry: string, subject: AclSubject): boolean {
  const variants = holderSpellings(entry, subject);
  return variants?.every((variant) => guard.mayAdd(variant)) ?? false;
}

/** Past this many spellings (2 per `me`/`my_session` segment) an entry is simply not covered. */
const MAX_SPELLINGS = 64;

/**
 * Every spelling of `entry` with each `me` / `my_session` segment also written as the holder's id,
 * or null if there are too many. An id holding wildcards reads wider as a pattern than the matcher
 * reads it (literally), which can only make coverage harder, never unsafe.
 */
function holderSpellings(entry: string, subject: AclSubject): string[] | null {
  let result: string[] = [];
  for (const [index, segment] of entry.split('.').entries()) {
    const options = [segment];
    if (segment === 'me' && subject.authId !== null) options.push(subject.authId);
    if (segment === 'my_session' && subject.sessionUuid !== null) options.push(subject.sessionUuid);
    result = index === 0 ? options : result.flatMap((head) => options.map((option) => `${head}.${option}`));
    // Checked at each step: `me.me.me…` must not build 2^n strings before giving up.
    if (result.length > MAX_SPELLINGS) return null;
  }
  return result;
}
