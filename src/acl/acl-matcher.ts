/**
 * ACL matching with the semantics of wazo-auth / xivo-lib-python `AccessCheck`, without regular expressions.
 *
 * wazo compiles every granted entry into a regex (`*` -> `[^.#]*?`, `#` -> `.*?`, reserved segments ->
 * alternations) and runs it with a backtracking engine. Entries are data (policies, token creators), so
 * building a RegExp from them here would hand attackers a ReDoS knob on a path hit by every request.
 * Instead, per token, entries are sorted by shape once:
 * - no `*` (reserved words expanded, trailing `.#` allowed): exact Set lookups and prefix tests;
 * - whole-segment `*`: compared segment by segment, in place;
 * - anything else: a Thompson NFA simulated with a state set, O(|required access| x |program|), no
 *   backtracking.
 */

export interface AclSubject {
  authId: string | null;
  sessionUuid: string | null;
}

export interface CompiledAcl {
  grants(requiredAccess: string): boolean;
}

// Opcodes, kept as plain numbers: the program lives in flat arrays so the hot loop touches no objects.
const CHAR = 0; // consume `arg` then go to `next`
const STAR = 1; // consume any unit except '.' and '#' and stay; epsilon to `next`
const HASH = 2; // consume any unit and stay; epsilon to `next`
const SPLIT = 3; // epsilon to both `next` and `alt`
const MATCH = 4;

const DOT_CODE = 0x2e;
const HASH_CODE = 0x23;
const STAR_CODE = 0x2a;
// Reserved words multiply variants (2^k); past this, comparing segments is cheaper than a big Set.
const MAX_VARIANTS = 16;

/** A segment that is exactly a reserved word also matches its substitute (wazo `ReservedWord`). */
function reservedSubstitute(segment: string, subject: AclSubject): string | null {
  let substitute: string | null = null;
  if (segment === 'me') substitute = subject.authId;
  else if (segment === 'my_session') substitute = subject.sessionUuid;
  else if (segment === 'edit') substitute = 'update';
  return substitute === segment ? null : substitute;
}

/** Union of the NFAs of several entries; every entry's start state is a start state of the program. */
class Program {
  private readonly op: number[] = [];
  private readonly arg: number[] = [];
  private readonly next: number[] = [];
  private readonly alt: number[] = [];
  private readonly starts: number[] = [];
  // Dangling transitions waiting for the next emitted node, encoded as node * 2 + (0: next, 1: alt).
  private pending: number[] = [];
  // Scratch buffers reused across calls: `grants` is synchronous, so there is no reentrancy to fear.
  private sets: [Int32Array, Int32Array] = [new Int32Array(0), new Int32Array(0)];
  private marks = new Uint32Array(0);
  private stack = new Int32Array(0);
  private generation = 0;

  addEntry(entry: string, subject: AclSubject): void {
    this.pending = [];
    this.starts.push(this.op.length);
    entry.split('.').forEach((segment, index) => {
      if (index > 0) this.emit(CHAR, DOT_CODE);
      const substitute = reservedSubstitute(segment, subject);
      if (substitute === null) this.emitPattern(segment);
      else this.emitAlternation(segment, substitute);
    });
    this.emit(MATCH, 0);
  }

  private emit(op: number, arg: number): number {
    const node = this.op.length;
    for (const slot of this.pending) (slot % 2 === 0 ? this.next : this.alt)[slot >> 1] = node;
    this.op.push(op);
    this.arg.push(arg);
    this.next.push(-1);
    this.alt.push(-1);
    this.pending = [node * 2];
    return node;
  }

  /** Literal text with wildcards. A run of wildcards is one node: `**` is `*`, and any `#` absorbs `*`. */
  private emitPattern(text: string): void {
    for (let i = 0; i < text.length; ) {
      const code = text.charCodeAt(i);
      if (code !== STAR_CODE && code !== HASH_CODE) {
        this.emit(CHAR, code);
        i++;
        continue;
      }
      let op = STAR;
      for (; i < text.length && (text[i] === '*' || text[i] === '#'); i++) if (text[i] === '#') op = HASH;
      this.emit(op, 0);
    }
  }

  /** Reserved segment. wazo splices the substitute into its regex unescaped; literal is the safe reading. */
  private emitAlternation(word: string, substitute: string): void {
    const split = this.emit(SPLIT, 0);
    const exits: number[] = [];
    for (const [branch, text] of [word, substitute].entries()) {
      this.pending = [split * 2 + branch];
      for (let i = 0; i < text.length; i++) this.emit(CHAR, text.charCodeAt(i));
      exits.push(...this.pending);
    }
    this.pending = exits;
  }

  matches(input: string): boolean {
    if (this.marks.length !== this.op.length) this.allocate();
    let [current, following] = this.sets;
    let count = 0;
    let generation = this.nextGeneration();
    for (const start of this.starts) count = this.close(start, current, count, generation);
    for (let i = 0; i < input.length && count > 0; i++) {
      const code = input.charCodeAt(i);
      const crossesSegment = code === DOT_CODE || code === HASH_CODE;
      generation = this.nextGeneration();
      let size = 0;
      for (let k = 0; k < count; k++) {
        const state = current[k]!;
        const op = this.op[state]!;
        if (op === CHAR) {
          if (this.arg[state] === code) size = this.close(this.next[state]!, following, size, generation);
        } else if (op === HASH || (op === STAR && !crossesSegment)) {
          size = this.close(state, following, size, generation);
        }
      }
      const previous = current;
      current = following;
      following = previous;
      count = size;
    }
    for (let k = 0; k < count; k++) if (this.op[current[k]!] === MATCH) return true;
    return false;
  }

  private allocate(): void {
    const size = this.op.length;
    this.sets = [new Int32Array(size), new Int32Array(size)];
    this.marks = new Uint32Array(size);
    // A close() expands each node at most once per generation, pushing at most two successors.
    this.stack = new Int32Array(2 * size + 1);
    this.generation = 0;
  }

  private nextGeneration(): number {
    if (this.generation === 0xffffffff) {
      this.marks.fill(0);
      this.generation = 0;
    }
    return ++this.generation;
  }

  /** Adds `from` and its epsilon closure to a state set; iterative so long entries cannot blow the stack. */
  private close(from: number, into: Int32Array, size: number, generation: number): number {
    const stack = this.stack;
    let top = 0;
    let length = size;
    stack[top++] = from;
    while (top > 0) {
      const state = stack[--top]!;
      if (this.marks[state] === generation) continue;
      this.marks[state] = generation;
      const op = this.op[state]!;
      if (op === SPLIT) {
        stack[top++] = this.alt[state]!;
        stack[top++] = this.next[state]!;
        continue;
      }
      into[length++] = state;
      if (op === STAR || op === HASH) stack[top++] = this.next[state]!;
    }
    return length;
  }
}

/**
 * Entry made of whole segments (literal, lone `*`, reserved word) plus an optional trailing `.#`: the shape
 * of nearly every real entry (`confd.users.me.read`, `calld.users.me.#`, `confd.users.*.lines.*.read`).
 * Each matcher lists the allowed values of its segment; an empty list is a lone `*`.
 */
interface SegmentEntry {
  readonly matchers: readonly (readonly string[])[];
  readonly openEnded: boolean;
}

/** Null when a segment holds a glued wildcard or a substitute with a dot (it would span segments). */
function toSegmentEntry(entry: string, subject: AclSubject): SegmentEntry | null {
  const segments = entry.split('.');
  const openEnded = segments.length > 1 && segments[segments.length - 1] === '#';
  if (openEnded) segments.pop();
  const matchers: string[][] = [];
  for (const segment of segments) {
    const substitute = reservedSubstitute(segment, subject);
    if (segment === '*') matchers.push([]);
    else if (segment.includes('*') || segment.includes('#')) return null;
    else if (substitute === null) matchers.push([segment]);
    else if (substitute.includes('.')) return null;
    else matchers.push([segment, substitute]);
  }
  return { matchers, openEnded };
}

/** All concrete spellings of a wildcard-free segment entry, or null if there are too many. */
function variants({ matchers }: SegmentEntry): string[] | null {
  let result: string[] = [];
  for (const [index, allowed] of matchers.entries()) {
    result =
      index === 0 ? [...allowed] : result.flatMap((head) => allowed.map((value) => `${head}.${value}`));
    if (result.length > MAX_VARIANTS) return null;
  }
  return result;
}

/** Walks the dots of `input` in place instead of splitting it, to keep the hot path allocation-light. */
function matchesSegments({ matchers, openEnded }: SegmentEntry, input: string): boolean {
  let start = 0;
  for (let i = 0; i < matchers.length; i++) {
    const dot = input.indexOf('.', start);
    const end = dot === -1 ? input.length : dot;
    const allowed = matchers[i]!;
    if (allowed.length === 0) {
      for (let j = start; j < end; j++) if (input.charCodeAt(j) === HASH_CODE) return false;
    } else if (!allowed.some((value) => value.length === end - start && input.startsWith(value, start))) {
      return false;
    }
    if (dot === -1) return i === matchers.length - 1 && !openEnded;
    start = dot + 1;
  }
  // All fixed segments matched and `input` goes on past a dot: only a trailing `.#` accepts the rest.
  return openEnded;
}

/** One polarity (positive or negative) of an ACL, split by entry shape so most checks avoid the NFA. */
class EntrySet {
  private matchesAll = false;
  private readonly exact = new Set<string>();
  private readonly prefixes: string[] = [];
  private readonly segmentEntries: SegmentEntry[] = [];
  private program: Program | null = null;
  /** Every value a segment of a segment-shaped entry accepts literally (reserved substitutes included). */
  private readonly literals = new Set<string>();

  add(entry: string, subject: AclSubject): void {
    const shape = entry === '#' ? null : toSegmentEntry(entry, subject);
    for (const allowed of shape?.matchers ?? []) for (const value of allowed) this.literals.add(value);
    const spellings = shape?.matchers.every((allowed) => allowed.length > 0) ? variants(shape) : null;
    if (entry === '#') {
      this.matchesAll = true;
    } else if (shape === null) {
      this.program ??= new Program();
      this.program.addEntry(entry, subject);
    } else if (spellings === null) {
      this.segmentEntries.push(shape);
    } else if (shape.openEnded) {
      this.prefixes.push(...spellings.map((spelling) => `${spelling}.`)); // `.#` accepts any suffix
    } else {
      for (const spelling of spellings) this.exact.add(spelling);
    }
  }

  /** See AclParts.opaqueTo. */
  opaqueTo(segment: string): boolean {
    return this.program === null && !this.literals.has(segment);
  }

  matches(input: string): boolean {
    if (this.matchesAll || this.exact.has(input)) return true;
    for (const prefix of this.prefixes) {
      if (input.startsWith(prefix)) return true;
    }
    for (const entry of this.segmentEntries) if (matchesSegments(entry, input)) return true;
    return this.program?.matches(input) ?? false;
  }
}

/**
 * Compiles a token's ACL once. `grants(R)` is true iff no negative (`!`-prefixed) entry matches R and at
 * least one positive entry does; the order of entries is irrelevant, as in wazo.
 */
export function compileAcl(entries: readonly string[], subject: AclSubject): CompiledAcl {
  const { positive, negative } = compileAclParts(entries, subject);
  return {
    grants: (requiredAccess: string): boolean => !negative(requiredAccess) && positive(requiredAccess),
  };
}

/** The two polarities of an ACL as separate tests, for callers that combine several inputs (shared-acl.ts). */
export interface AclParts {
  positive(requiredAccess: string): boolean;
  negative(requiredAccess: string): boolean;
  /**
   * True when no entry can tell the segment `segment` (no `.`, `#` or `*` in it) from any other such
   * segment: none names it literally, and none holds a wildcard glued to text (only those compare a
   * segment's characters). Lone `*` and trailing `#` accept every such segment alike.
   */
  opaqueTo(segment: string): boolean;
}

export function compileAclParts(entries: readonly string[], subject: AclSubject): AclParts {
  const positive = new EntrySet();
  const negative = new EntrySet();
  for (const entry of entries) {
    if (entry.startsWith('!')) negative.add(entry.slice(1), subject);
    else positive.add(entry, subject);
  }
  return {
    positive: (requiredAccess) => positive.matches(requiredAccess),
    negative: (requiredAccess) => negative.matches(requiredAccess),
    opaqueTo: (segment) => positive.opaqueTo(segment) && negative.opaqueTo(segment),
  };
}
