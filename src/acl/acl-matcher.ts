/**
 * ACL matching with the semantics of wazo-auth / xivo-lib-python `AccessCheck`, without regular expressions.
 *
 * wazo compiles every granted entry into a regex (`*` -> `[^.#]*?`, `#` -> `.*?`, reserved segments ->
 * alternations) and runs it with a backtracking engine. Entries are data (policies, token creators), so
 * building a RegExp from them here would hand attackers a ReDoS knob on a path hit by every request.
 * Instead each entry is compiled once per token into a Thompson NFA and simulated with a state set, which
 * is O(|required access| x |program|) in the worst case and never backtracks. The common shapes (plain
 * literals, `prefix.#`, `#`) skip the NFA entirely.
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

/** A segment that is exactly a reserved word also matches its substitute (wazo `ReservedWord`). */
function reservedSubstitute(segment: string, subject: AclSubject): string | null {
  if (segment === 'me') return subject.authId;
  if (segment === 'my_session') return subject.sessionUuid;
  if (segment === 'edit') return 'update';
  return null;
}

function hasAlternation(segment: string, subject: AclSubject): boolean {
  const substitute = reservedSubstitute(segment, subject);
  return substitute !== null && substitute !== segment;
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
  private current = new Int32Array(0);
  private following = new Int32Array(0);
  private marks = new Uint32Array(0);
  private stack = new Int32Array(0);
  private generation = 0;

  addEntry(entry: string, subject: AclSubject): void {
    this.pending = [];
    this.starts.push(this.op.length);
    entry.split('.').forEach((segment, index) => {
      if (index > 0) this.emit(CHAR, DOT_CODE);
      const substitute = reservedSubstitute(segment, subject);
      if (substitute !== null && substitute !== segment) this.emitAlternation(segment, substitute);
      else this.emitPattern(segment);
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
    let i = 0;
    while (i < text.length) {
      const code = text.charCodeAt(i);
      if (code !== STAR_CODE && code !== HASH_CODE) {
        this.emit(CHAR, code);
        i++;
        continue;
      }
      let op = STAR;
      for (; i < text.length && (text[i] === '*' || text[i] === '#'); i++) {
        if (text[i] === '#') op = HASH;
      }
      this.emit(op, 0);
    }
  }

  /** Reserved segment: both branches are literal text. wazo interpolates the substitute unescaped, which only
   * differs for ids containing regex syntax; real ids are UUIDs, and literal is the safe reading. */
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
    let current = this.current;
    let following = this.following;
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
      const swap = current;
      current = following;
      following = swap;
      count = size;
    }
    for (let k = 0; k < count; k++) if (this.op[current[k]!] === MATCH) return true;
    return false;
  }

  private allocate(): void {
    const size = this.op.length;
    this.current = new Int32Array(size);
    this.following = new Int32Array(size);
    this.marks = new Uint32Array(size);
    // Per generation a node is expanded once and pushes at most two successors, plus one push per close().
    this.stack = new Int32Array(3 * size + 1);
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
    const { marks, op, next, alt, stack } = this;
    if (op[from] === CHAR) {
      // Most transitions land on a plain character, which has no epsilon edges: skip the stack.
      if (marks[from] === generation) return size;
      marks[from] = generation;
      into[size] = from;
      return size + 1;
    }
    let top = 0;
    let length = size;
    stack[top++] = from;
    while (top > 0) {
      const state = stack[--top]!;
      if (marks[state] === generation) continue;
      marks[state] = generation;
      const code = op[state]!;
      if (code === SPLIT) {
        stack[top++] = alt[state]!;
        stack[top++] = next[state]!;
        continue;
      }
      into[length++] = state;
      if (code === STAR || code === HASH) stack[top++] = next[state]!;
    }
    return length;
  }
}

/** One polarity (positive or negative) of an ACL, split by entry shape so most checks avoid the NFA. */
class EntrySet {
  private matchesAll = false;
  private readonly exact = new Set<string>();
  private readonly prefixes: string[] = [];
  private program: Program | null = null;

  add(entry: string, subject: AclSubject): void {
    const segments = entry.split('.');
    const reserved = segments.some((segment) => hasAlternation(segment, subject));
    const wildcard = entry.search(/[*#]/);
    if (!reserved && wildcard === -1) {
      this.exact.add(entry);
    } else if (!reserved && wildcard === entry.length - 1 && entry.endsWith('#')) {
      // `literal#`: the trailing `.*?` accepts any suffix, so this is a plain prefix test.
      if (wildcard === 0) this.matchesAll = true;
      else this.prefixes.push(entry.slice(0, -1));
    } else {
      this.program ??= new Program();
      this.program.addEntry(entry, subject);
    }
  }

  matches(input: string): boolean {
    if (this.matchesAll || this.exact.has(input)) return true;
    for (const prefix of this.prefixes) if (input.startsWith(prefix)) return true;
    return this.program?.matches(input) ?? false;
  }
}

/**
 * Compiles a token's ACL once. `grants(R)` is true iff no negative (`!`-prefixed) entry matches R and at
 * least one positive entry does; order of entries is irrelevant, as in wazo.
 */
export function compileAcl(entries: readonly string[], subject: AclSubject): CompiledAcl {
  const positive = new EntrySet();
  const negative = new EntrySet();
  for (const entry of entries) {
    if (entry.startsWith('!')) negative.add(entry.slice(1), subject);
    else positive.add(entry, subject);
  }
  return {
    grants: (requiredAccess: string): boolean =>
      !negative.matches(requiredAccess) && positive.matches(requiredAccess),
  };
}
