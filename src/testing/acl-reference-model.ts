/**
 * Test-only reference model of wazo-auth / xivo-lib-python `AccessCheck`: a near-literal port of its
 * regex construction, used by property tests to check the production NFA matcher (src/acl/acl-matcher.ts).
 * Building RegExps from entries is acceptable here only because this file never runs in production.
 *
 * Deliberate differences from the Python original (the production matcher follows the same choices):
 * - `#` uses the `s` flag so `.*?` also crosses line terminators (Python's `.` stops at `\n`).
 * - `$` is a true end anchor (Python's `$` also matches before a trailing `\n`, so `foo` grants `foo\n`).
 * - a null auth id / session uuid disables substitution (Python would interpolate the text `None`).
 * - substitutes are escaped (Python interpolates them raw; real ids are UUIDs, so this never differs).
 */
import type { AclSubject } from '../acl/acl-matcher.ts';

const escapeRegex = (text: string): string => text.replace(/[\\^$.*+?()[\]{}|#\-/]/g, '\\$&');

function entryToRegex(entry: string, subject: AclSubject): RegExp {
  // Same order as Python: escape, then turn the escaped wildcards back into patterns.
  const escaped = escapeRegex(entry).replaceAll('\\*', '[^.#]*?').replaceAll('\\#', '.*?');
  const reserved: ReadonlyArray<readonly [string, string | null]> = [
    ['me', subject.authId],
    ['my_session', subject.sessionUuid],
    ['edit', 'update'],
  ];
  let words = escaped.split('\\.');
  for (const [word, value] of reserved) {
    if (value === null) continue;
    words = words.map((w) => (w === word ? `(?:${word}|${escapeRegex(value)})` : w));
  }
  return new RegExp(`^${words.join('\\.')}$`, 's');
}

/** Reference `grants`: recompiles on every call, mirroring `AccessCheck.matches_required_access`. */
export function referenceGrants(
  entries: readonly string[],
  subject: AclSubject,
  requiredAccess: string,
): boolean {
  const positive = entries.filter((e) => !e.startsWith('!')).map((e) => entryToRegex(e, subject));
  const negative = entries.filter((e) => e.startsWith('!')).map((e) => entryToRegex(e.slice(1), subject));
  if (negative.some((regex) => regex.test(requiredAccess))) return false;
  return positive.some((regex) => regex.test(requiredAccess));
}
