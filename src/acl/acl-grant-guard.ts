import { DomainError } from '../errors/domain-error.ts';
import { type AclSubject, type CompiledAcl, compileAcl } from './acl-matcher.ts';

/**
 * The privilege-escalation guard of policy editing (wazo §3.12), made strict (security.md D12).
 *
 * wazo lets a caller add access X when its positive entries match X read literally, ignoring its own
 * negations: a holder of `a.#` + `!a.b.#` could hand out `a.#` and so give others what it was denied.
 * Here X may be added only if (a) it is a negation (`!y`: restricting is always allowed), or (b) the
 * caller's compiled ACL grants X read literally AND no negative entry of the caller overlaps X, i.e.
 * no access string is matched both by the pattern X and by the negated pattern. Together these make
 * every concrete access of X's language granted to the caller. Overlap is decided on the two glob
 * patterns with a product automaton (breadth-first over state pairs), never with regular expressions.
 */

// Edge labels: a char code (>= 0), or one of the two wildcards.
const SEGMENT_RUN = -1; // `*`: any char except '.' and '#'
const ANY_RUN = -2; // `#`: any char
const DOT = 0x2e;
const HASH = 0x23;

interface PatternNfa {
  /** Per state, its consuming edges as [label, target]; wildcards are self-loops. */
  readonly edges: number[][][];
  /** Per state, its epsilon targets. */
  readonly epsilon: number[][];
  readonly accept: number;
}

/** The same reserved words as acl-matcher.ts: `me`, `my_session` and `edit` as whole segments. */
function substituteOf(segment: string, subject: AclSubject | null): string | null {
  let substitute: string | null = null;
  if (segment === 'edit') substitute = 'update';
  else if (subject && segment === 'me') substitute = subject.authId;
  else if (subject && segment === 'my_session') substitute = subject.sessionUuid;
  return substitute === segment ? null : substitute;
}

class NfaBuilder {
  readonly edges: number[][][] = [[]];
  readonly epsilon: number[][] = [[]];

  state(): number {
    this.edges.push([]);
    this.epsilon.push([]);
    return this.edges.length - 1;
  }

  /** Appends `text` (with wildcards) after `from`; returns the end state. */
  chain(from: number, text: string, wildcards: boolean): number {
    let current = from;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      const next = this.state();
      if (wildcards && (code === HASH || text[i] === '*')) {
        this.epsilon[current]!.push(next);
        this.edges[next]!.push([code === HASH ? ANY_RUN : SEGMENT_RUN, next]);
      } else {
        this.edges[current]!.push([code, next]);
      }
      current = next;
    }
    return current;
  }
}

/**
 * The language of an ACL entry as the matcher reads it: `*` and `#` are wildcards and a reserved
 * segment also stands for its substitute (`subject` null: only `edit` ≡ `update`, as for an access
 * about to be granted to somebody else).
 */
function patternNfa(entry: string, subject: AclSubject | null): PatternNfa {
  const builder = new NfaBuilder();
  let current = 0;
  entry.split('.').forEach((segment, index) => {
    if (index > 0) current = builder.chain(current, '.', false);
    const substitute = substituteOf(segment, subject);
    if (substitute === null) {
      current = builder.chain(current, segment, true);
      return;
    }
    const join = builder.state();
    for (const spelling of [segment, substitute]) {
      builder.epsilon[builder.chain(current, spelling, false)]!.push(join);
    }
    current = join;
  });
  return { edges: builder.edges, epsilon: builder.epsilon, accept: current };
}

/** Whether one char can be read on both edges; an "other" char exists for two wildcards. */
function compatible(a: number, b: number): boolean {
  if (a === ANY_RUN || b === ANY_RUN) return true;
  if (a === SEGMENT_RUN && b === SEGMENT_RUN) return true;
  if (a === SEGMENT_RUN) return b !== DOT && b !== HASH;
  if (b === SEGMENT_RUN) return a !== DOT && a !== HASH;
  return a === b;
}

/** True when some string is in both languages: BFS over state pairs, O(|a| x |b|) pairs. */
export function languagesOverlap(a: PatternNfa, b: PatternNfa): boolean {
  const width = b.edges.length;
  const seen = new Uint8Array(a.edges.length * width);
  const queue: number[] = [0];
  seen[0] = 1;
  const visit = (x: number, y: number) => {
    const key = x * width + y;
    if (seen[key] === 0) {
      seen[key] = 1;
      queue.push(key);
    }
  };
  for (let head = 0; head < queue.length; head++) {
    const x = Math.floor(queue[head]! / width);
    const y = queue[head]! % width;
    if (x === a.accept && y === b.accept) return true;
    for (const target of a.epsilon[x]!) visit(target, y);
    for (const target of b.epsilon[y]!) visit(x, target);
    for (const [labelA, targetA] of a.edges[x]!) {
      for (const [labelB, targetB] of b.edges[y]!) {
        if (compatible(labelA!, labelB!)) visit(targetA!, targetB!);
      }
    }
  }
  return false;
}

/** Whether some access matched by `first` is also matched by `second` (both read as patterns). */
export function patternsOverlap(first: string, second: string, subject: AclSubject | null = null): boolean {
  return languagesOverlap(patternNfa(first, null), patternNfa(second, subject));
}

/** Every spelling of `access` with its `edit` segments also read as `update`, capped. */
const MAX_SPELLINGS = 64;
function spellings(access: string): string[] | null {
  let result = [''];
  access.split('.').forEach((segment, index) => {
    const options = segment === 'edit' ? ['edit', 'update'] : [segment];
    result = result.flatMap((head) => options.map((option) => (index === 0 ? option : `${head}.${option}`)));
  });
  return result.length > MAX_SPELLINGS ? null : result;
}

export class AclGrantGuard {
  readonly #compiled: CompiledAcl;
  readonly #negations: PatternNfa[];

  constructor(entries: readonly string[], subject: AclSubject) {
    this.#compiled = compileAcl(entries, subject);
    this.#negations = entries.filter((e) => e.startsWith('!')).map((e) => patternNfa(e.slice(1), subject));
  }

  /** D12: a negation may always be added; anything else must be wholly inside the caller's ACL. */
  mayAdd(access: string): boolean {
    if (access.startsWith('!')) return true;
    return this.#covers(access);
  }

  /** Removing X needs X granted; removing `!y` lifts a restriction, so it needs y granted. */
  mayRemove(access: string): boolean {
    return this.#covers(access.startsWith('!') ? access.slice(1) : access);
  }

  assertMayAdd(accesses: Iterable<string>): void {
    for (const access of accesses) if (!this.mayAdd(access)) throw refused(access);
  }

  assertMayRemove(accesses: Iterable<string>): void {
    for (const access of accesses) if (!this.mayRemove(access)) throw refused(access);
  }

  #covers(access: string): boolean {
    // A grantee's token reads `edit` as `update` too, so every such spelling must be covered.
    const variants = spellings(access);
    if (variants === null || !variants.every((v) => this.#compiled.grants(v))) return false;
    const granted = patternNfa(access, null);
    return !this.#negations.some((negation) => languagesOverlap(granted, negation));
  }
}

/** wazo's refusal (§1.3 last bullet): 401 naming the access the caller may not hand out. */
function refused(access: string): DomainError {
  return new DomainError('unauthorized', { details: { invalid_token: null, required_access: access } });
}

/** The guard of a caller, from its token (its ACL and the ids `me` and `my_session` stand for). */
export function guardOf(token: {
  acl: readonly string[];
  authId: string;
  sessionUuid: string;
}): AclGrantGuard {
  return new AclGrantGuard(token.acl, { authId: token.authId, sessionUuid: token.sessionUuid });
}
