import { randomBytes } from 'node:crypto';
import { SlotIndex } from './token-cache-index.ts';
import { DIGEST_WORDS, SESSION_WORDS } from './token-cache-keys.ts';

/** Columns of `times` (Float64, per entry). */
export const CACHED_AT = 0;
export const ISSUED_AT = 1;
export const EXPIRES_AT = 2;
const TIMES = 3;

/** Columns of `refs` (Int32 ids into the cache's intern pools; -1: null). */
export const REF_HOLDER = 0;
export const REF_CLIENT = 1;
export const REFS = 2;

/** Bits of `flags`. */
export const NEGATIVE = 1;
export const MOBILE = 2;
/** The session is not a canonical UUID: its words are a hash, its text is kept aside. */
export const ODD_SESSION = 4;

/**
 * Up to this many entries, the columns are allocated at once for the whole bound, so the table
 * never grows by copying: growing by doubling left the previous, half-size columns resident after
 * they were freed (issue #4 bench). Untouched room costs no memory (see #grow). Past it, the table
 * doubles as it fills.
 */
const ALLOCATED_AT_ONCE = 1 << 22;

/**
 * The token cache's entries as columns of typed arrays (issue #4), addressed by entry id: the
 * digest's first 128 bits and the session (4 words each) as binary keys, three times, pool
 * references and flags: 77 bytes per entry, about 93 with both indexes, none of it on the
 * JavaScript heap. Besides the digest index it keeps the entries in insertion order (a doubly
 * linked list, for "evict the oldest") and, per session, the chain of its entries (for
 * revocations, which name sessions).
 *
 * Lookups and insertions take their key from `probe` (digest) and `sessionProbe`.
 */
export class EntryTable {
  readonly probe = new Uint32Array(DIGEST_WORDS);
  readonly sessionProbe = new Uint32Array(SESSION_WORDS);
  keys = new Uint32Array(0);
  sessions = new Uint32Array(0);
  times = new Float64Array(0);
  refs = new Int32Array(0);
  flags = new Uint8Array(0);
  /** Insertion order: towards older and newer entries (-1 at either end). */
  #older = new Int32Array(0);
  #newer = new Int32Array(0);
  /** The next entry of the same session (-1 at the end); also links the free list. */
  #sessionNext = new Int32Array(0);
  oldest = -1;
  #newest = -1;
  #free = -1;
  #used = 0;
  #size = 0;
  readonly #maxCapacity: number;
  readonly #initialCapacity: number;
  readonly #byDigest: SlotIndex;
  readonly #bySession: SlotIndex;

  constructor(maxCapacity: number, initialCapacity = ALLOCATED_AT_ONCE) {
    this.#maxCapacity = Math.max(1, maxCapacity);
    this.#initialCapacity = Math.max(1, Math.min(initialCapacity, this.#maxCapacity));
    const seeds = randomBytes(8);
    this.#byDigest = new SlotIndex(DIGEST_WORDS, this.keys, seeds.readInt32LE(0));
    this.#bySession = new SlotIndex(SESSION_WORDS, this.sessions, seeds.readInt32LE(4));
    this.#grow(this.#initialCapacity);
  }

  get size(): number {
    return this.#size;
  }

  get capacity(): number {
    return this.flags.length;
  }

  /** The entry whose digest is in `probe`, or -1. */
  findDigest(): number {
    return this.#byDigest.find(this.probe);
  }

  /** The newest entry of the session in `sessionProbe`, or -1; follow with `nextOfSession`. */
  findSession(): number {
    return this.#bySession.find(this.sessionProbe);
  }

  nextOfSession(id: number): number {
    return this.#sessionNext[id] as number;
  }

  /** A new newest entry keyed by `probe` (not present), with the session in `sessionProbe` unless negative. */
  add(flags: number, cachedAtMs: number): number {
    const id = this.#allocate();
    this.keys.set(this.probe, id * DIGEST_WORDS);
    this.flags[id] = flags;
    this.times[id * TIMES + CACHED_AT] = cachedAtMs;
    this.#byDigest.insert(id);
    this.#older[id] = this.#newest;
    this.#newer[id] = -1;
    if (this.#newest >= 0) this.#newer[this.#newest] = id;
    else this.oldest = id;
    this.#newest = id;
    this.#sessionNext[id] = -1;
    if ((flags & NEGATIVE) === 0) this.#linkSession(id);
    this.#size += 1;
    return id;
  }

  remove(id: number): void {
    this.#byDigest.remove(id);
    if (((this.flags[id] as number) & NEGATIVE) === 0) this.#unlinkSession(id);
    const older = this.#older[id] as number;
    const newer = this.#newer[id] as number;
    if (older >= 0) this.#newer[older] = newer;
    else this.oldest = newer;
    if (newer >= 0) this.#older[newer] = older;
    else this.#newest = older;
    this.flags[id] = 0;
    this.#sessionNext[id] = this.#free;
    this.#free = id;
    this.#size -= 1;
  }

  /** Forgets every entry and gives the memory back. */
  clear(): void {
    this.#used = 0;
    this.#size = 0;
    this.#free = -1;
    this.oldest = -1;
    this.#newest = -1;
    this.flags = new Uint8Array(0);
    this.#byDigest.clear();
    this.#bySession.clear();
    this.#grow(this.#initialCapacity);
  }

  #linkSession(id: number): void {
    this.sessions.set(this.sessionProbe, id * SESSION_WORDS);
    const head = this.#bySession.find(this.sessionProbe);
    if (head < 0) {
      this.#bySession.insert(id);
    } else {
      this.#sessionNext[id] = head;
      this.#bySession.replace(head, id);
    }
  }

  #unlinkSession(id: number): void {
    const head = this.#bySession.find(this.sessions.subarray(id * SESSION_WORDS));
    const next = this.#sessionNext[id] as number;
    if (head === id) {
      if (next >= 0) this.#bySession.replace(id, next);
      else this.#bySession.remove(id);
      return;
    }
    let previous = head;
    while (previous >= 0 && this.#sessionNext[previous] !== id)
      previous = this.#sessionNext[previous] as number;
    if (previous < 0) throw new Error(`token cache: entry ${id} is not in its session's chain`);
    this.#sessionNext[previous] = next;
  }

  #allocate(): number {
    if (this.#free >= 0) {
      const id = this.#free;
      this.#free = this.#sessionNext[id] as number;
      return id;
    }
    if (this.#used === this.capacity) {
      if (this.capacity >= this.#maxCapacity) throw new Error('token cache: table full');
      this.#grow(Math.min(this.capacity * 2, this.#maxCapacity));
    }
    const id = this.#used;
    this.#used += 1;
    return id;
  }

  /**
   * All columns are views of one buffer. A large buffer is a fresh mapping from the OS (glibc maps
   * anything over 32 MiB), whose pages become resident only when entries are written to them;
   * separate columns of a few MB each could instead come from the heap, zeroed and resident at once.
   */
  #grow(capacity: number): void {
    const used = this.#used;
    const buffer = new ArrayBuffer(capacity * BYTES_PER_ENTRY);
    let offset = 0;
    const column = <T extends Column>(View: ColumnType<T>, perEntry: number, from: T): T => {
      const view = new View(buffer, offset, capacity * perEntry);
      offset += capacity * perEntry * View.BYTES_PER_ELEMENT;
      if (used > 0) view.set(from.subarray(0, used * perEntry) as never);
      return view;
    };
    // Eight-byte columns first, one-byte last: every view starts aligned to its element size.
    this.times = column(Float64Array, TIMES, this.times);
    this.keys = column(Uint32Array, DIGEST_WORDS, this.keys);
    this.sessions = column(Uint32Array, SESSION_WORDS, this.sessions);
    this.refs = column(Int32Array, REFS, this.refs);
    this.#older = column(Int32Array, 1, this.#older);
    this.#newer = column(Int32Array, 1, this.#newer);
    this.#sessionNext = column(Int32Array, 1, this.#sessionNext);
    this.flags = column(Uint8Array, 1, this.flags);
    this.#byDigest.keys = this.keys;
    this.#bySession.keys = this.sessions;
  }
}

type Column = Float64Array | Uint32Array | Int32Array | Uint8Array;
type ColumnType<T extends Column> = {
  new (buffer: ArrayBuffer, byteOffset: number, length: number): T;
  readonly BYTES_PER_ELEMENT: number;
};

const BYTES_PER_ENTRY = TIMES * 8 + (DIGEST_WORDS + SESSION_WORDS + REFS + 3) * 4 + 1;
