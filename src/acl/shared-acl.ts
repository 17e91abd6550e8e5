import {
  type AclParts,
  type AclSubject,
  type CompiledAcl,
  compileAcl,
  compileAclParts,
} from './acl-matcher.ts';

/**
 * Compiled ACLs shared by every token with the same entries (issue #4: a compiled 20-entry ACL is
 * about 9 KB, so one per cached token would put a million tokens at 9 GB).
 *
 * `me` and `my_session` make an ACL depend on its holder. A shared template is compiled against
 * two markers instead of the holder's ids, and at check time each segment of the required access
 * that equals the holder's auth id (or session) is tried both as itself and as the marker. An entry
 * segment `me` accepts exactly the holder's id or the word `me`, as wazo's does; wildcards accept
 * the marker wherever they accept the id (neither holds `.` or `#`). So the template answers as the
 * holder's own compiled ACL would. Inputs that could spell a marker (a NUL character) and holders
 * whose ids are not plain segments are compiled for the holder alone, on demand.
 */
const ME_MARKER = '\u0000me';
const SESSION_MARKER = '\u0000my_session';
const TEMPLATE_SUBJECT: AclSubject = { authId: ME_MARKER, sessionUuid: SESSION_MARKER };
/** Past this many holder segments in one required access, the 2^k spellings cost more than compiling. */
const MAX_HOLDER_SEGMENTS = 4;
/** Matches remembered per template (see `matchesOf`); past this many, the memo starts over. */
export const VERDICT_MEMO_LIMIT = 64;
const NEGATIVE_MATCH = 1;
const POSITIVE_MATCH = 2;
const SEGMENT_SYNTAX = /[.#*]/;

/** One distinct ACL compiled against the markers: share it, then bind it to each holder. */
export interface AclTemplate {
  entries: readonly string[];
  parts: AclParts;
  /** An entry holding a NUL could spell a marker literally: such ACLs are compiled per holder. */
  spellsMarker: boolean;
  /** Spelling -> which entries match it (NEGATIVE_MATCH, POSITIVE_MATCH bits), for every holder. */
  verdicts: Map<string, number>;
}

export interface SharedAcl {
  /** The entries, one array shared by every holder of the same ACL. */
  entries: readonly string[];
  acl: CompiledAcl;
}

export class AclTemplates {
  readonly #byEntries = new Map<string, AclTemplate>();
  readonly #maxTemplates: number;

  constructor(maxTemplates = 10_000) {
    this.#maxTemplates = maxTemplates;
  }

  get size(): number {
    return this.#byEntries.size;
  }

  forHolder(entries: readonly string[], subject: AclSubject): SharedAcl {
    const template = this.#template(entries);
    return { entries: template.entries, acl: bindAclTemplate(template, subject) };
  }

  #template(entries: readonly string[]): AclTemplate {
    const key = JSON.stringify(entries);
    let template = this.#byEntries.get(key);
    if (template === undefined) {
      // Many distinct ACLs: start over rather than grow; tokens keep the templates they hold.
      if (this.#byEntries.size >= this.#maxTemplates) this.#byEntries.clear();
      template = aclTemplate(entries);
      this.#byEntries.set(key, template);
    }
    return template;
  }
}

/** Compiles `entries` once for every holder (the caller keeps and shares the result). */
export function aclTemplate(entries: readonly string[]): AclTemplate {
  return {
    entries: Object.freeze([...entries]),
    parts: compileAclParts(entries, TEMPLATE_SUBJECT),
    spellsMarker: entries.some((entry) => entry.includes('\u0000')),
    verdicts: new Map(),
  };
}

/** The holder's ACL: answers as `compileAcl(template.entries, subject)` would. */
export function bindAclTemplate(template: AclTemplate, subject: AclSubject): CompiledAcl {
  if (template.spellsMarker || !isPlain(subject.authId) || !isPlain(subject.sessionUuid)) {
    return compileAcl(template.entries, subject);
  }
  return bind(template, subject);
}

function isPlain(id: string | null): boolean {
  return (
    id === null ||
    (id !== '' && id !== 'me' && id !== 'my_session' && !SEGMENT_SYNTAX.test(id) && !id.includes('\u0000'))
  );
}

/**
 * Which of the holder's ids no entry of the template can tell from another plain segment
 * (AclParts.opaqueTo). In a required access, such an id matches only entries with a wildcard in
 * its place, and those match the marker in its place too: the spelling with the id adds nothing to
 * the marker's, which alone decides, from the memo every holder shares. Typical ACLs name `me` and
 * wildcards but never a user's uuid, so a check of `confd.users.<auth id>.read` is one memo lookup
 * instead of matching the spelling with the id against every entry (issue #4).
 */
interface HolderOpacity {
  authId: boolean;
  sessionUuid: boolean;
}

function bind(template: AclTemplate, subject: AclSubject): CompiledAcl {
  let own: CompiledAcl | null = null;
  const { parts } = template;
  const opaque: HolderOpacity = {
    authId: subject.authId !== null && parts.opaqueTo(subject.authId),
    sessionUuid: subject.sessionUuid !== null && parts.opaqueTo(subject.sessionUuid),
  };
  return {
    grants(requiredAccess: string): boolean {
      const spellings = holderSpellings(requiredAccess, subject, opaque);
      if (spellings === null) {
        own ??= compileAcl(template.entries, subject);
        return own.grants(requiredAccess);
      }
      // Granted when no spelling matches a negative entry and one matches a positive entry.
      let positive = false;
      for (let i = 0; i < spellings.length; i += 1) {
        const matches = matchesOf(template, spellings[i] as string, isHolderFree(i, spellings.length));
        if (matches & NEGATIVE_MATCH) return false;
        if (matches & POSITIVE_MATCH) positive = true;
      }
      return positive;
    },
  };
}

/**
 * Whether spelling `index` of `count` (holderSpellings) is worth remembering: an input with no
 * holder segment, or the marker spelling of one with a single holder segment. Those are asked for
 * every holder; the others hold one holder's ids and would fill the memo with one entry per holder
 * (the bench's mix: 1,000 users, so the memo started over every few checks).
 */
function isHolderFree(index: number, count: number): boolean {
  return count === 1 || (count === 2 && index === 1);
}

/**
 * Which of the template's entries match a spelling, remembered when `remember` says it is shared.
 * Services check the same few scopes for every token of a kind, and a spelling's matches depend
 * on the template alone, so one memo serves every holder. Matching a 20-entry ACL with wildcards
 * cost about 5,600 instructions per check (npm run bench:instructions, issue #4); a hit is one Map
 * lookup. Bounded: a caller asking ever new scopes only makes it start over.
 */
function matchesOf(template: AclTemplate, spelling: string, remember: boolean): number {
  let matches = remember ? template.verdicts.get(spelling) : undefined;
  if (matches === undefined) {
    const { positive, negative } = template.parts;
    matches = (negative(spelling) ? NEGATIVE_MATCH : 0) | (positive(spelling) ? POSITIVE_MATCH : 0);
    if (!remember) return matches;
    if (template.verdicts.size >= VERDICT_MEMO_LIMIT) template.verdicts.clear();
    template.verdicts.set(spelling, matches);
  }
  return matches;
}

/**
 * The required access with every combination of its holder segments replaced by the markers, or
 * null when the template cannot answer (a NUL in the input, too many holder segments).
 */
function holderSpellings(input: string, subject: AclSubject, opaque: HolderOpacity): string[] | null {
  if (input.includes('\u0000')) return null;
  const one = oneHolderSegment(input, subject, opaque);
  if (one !== null) return one;
  const { authId, sessionUuid } = subject;
  let spellings = [''];
  let holderSegments = 0;
  for (const [index, segment] of input.split('.').entries()) {
    const options = [segment];
    if (segment === authId) options.push(ME_MARKER);
    if (segment === sessionUuid) options.push(SESSION_MARKER);
    if (options.length > 1 && ++holderSegments > MAX_HOLDER_SEGMENTS) return null;
    const separator = index === 0 ? '' : '.';
    spellings = spellings.flatMap((head) => options.map((option) => `${head}${separator}${option}`));
  }
  return spellings;
}

/**
 * The usual required access names its holder once (`confd.users.<auth id>.read`): its two
 * spellings, found by walking the dots in place (this runs on every token check), or only the
 * marker's when the id is opaque to the template (HolderOpacity). Null when a segment is the
 * holder more than once over, for the general combination above.
 */
function oneHolderSegment(
  input: string,
  { authId, sessionUuid }: AclSubject,
  opaque: HolderOpacity,
): string[] | null {
  let found: string[] | null = null;
  let start = 0;
  for (;;) {
    const dot = input.indexOf('.', start);
    const end = dot === -1 ? input.length : dot;
    const isMe = authId !== null && isSegment(input, start, end, authId);
    const isSession = sessionUuid !== null && isSegment(input, start, end, sessionUuid);
    if (isMe || isSession) {
      if (found !== null || (isMe && isSession)) return null;
      const marked = input.slice(0, start) + (isMe ? ME_MARKER : SESSION_MARKER) + input.slice(end);
      found = (isMe ? opaque.authId : opaque.sessionUuid) ? [marked] : [input, marked];
    }
    if (dot === -1) return found ?? [input];
    start = dot + 1;
  }
}

function isSegment(input: string, start: number, end: number, value: string): boolean {
  return end - start === value.length && input.startsWith(value, start);
}
