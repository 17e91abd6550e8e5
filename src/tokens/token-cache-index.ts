/**
 * An open-addressing hash index over fixed-width binary keys kept elsewhere (issue #4): slot i
 * holds `entry id + 1` (0: empty), the key of entry `id` is `keys[id * width …]`. Linear probing,
 * deletion by backward shift (no tombstones), load kept under 3/4. One Int32 per slot, so an
 * indexed entry costs 5 to 11 bytes here instead of a Map entry and a key string.
 *
 * The keys are SHA-256 outputs or random UUIDs, but the bucket also mixes in a per-process seed:
 * whoever can choose token values cannot cheaply aim many of them at one run of slots.
 */
export class SlotIndex {
  /** The owner's key words; replaced by the owner when it grows its columns. */
  keys: Uint32Array;
  readonly #width: number;
  readonly #seed: number;
  #slots: Int32Array;
  #mask: number;
  #count = 0;

  constructor(width: number, keys: Uint32Array, seed: number, initialSlots = 16) {
    this.#width = width;
    this.keys = keys;
    this.#seed = seed;
    this.#slots = new Int32Array(initialSlots);
    this.#mask = initialSlots - 1;
  }

  get count(): number {
    return this.#count;
  }

  get slotCount(): number {
    return this.#slots.length;
  }

  /** The most occupied slots in a row: what a miss may scan (diagnostics and tests). */
  longestRun(): number {
    let longest = 0;
    let run = 0;
    // Twice round, so a run that wraps past the last slot is counted whole.
    for (let i = 0; i < this.#slots.length * 2; i += 1) {
      run = this.#slots[i & this.#mask] === 0 ? 0 : run + 1;
      longest = Math.max(longest, run);
    }
    return Math.min(longest, this.#slots.length);
  }

  /** The id whose key equals `probe[0 … width)`, or -1. */
  find(probe: Uint32Array): number {
    const slots = this.#slots;
    const mask = this.#mask;
    const keys = this.keys;
    const width = this.#width;
    const first = probe[0] as number;
    for (let i = this.#bucket(probe, 0); ; i = (i + 1) & mask) {
      const value = slots[i] as number;
      if (value === 0) return -1;
      const at = (value - 1) * width;
      if (keys[at] === first && sameKey(keys, at, probe, width)) return value - 1;
    }
  }

  /** Indexes `id`, whose key must not be indexed yet. */
  insert(id: number): void {
    if ((this.#count + 1) * 4 > this.#slots.length * 3) this.#resize(this.#slots.length * 2);
    this.#place(id);
    this.#count += 1;
  }

  /** Makes the slot that holds `oldId` hold `newId` (same key). */
  replace(oldId: number, newId: number): void {
    const i = this.#slotOf(oldId);
    this.#slots[i] = newId + 1;
  }

  remove(id: number): void {
    const slots = this.#slots;
    const mask = this.#mask;
    let hole = this.#slotOf(id);
    // Backward shift: pull later members of the run into the hole when their bucket allows it.
    for (let j = (hole + 1) & mask; slots[j] !== 0; j = (j + 1) & mask) {
      const home = this.#home((slots[j] as number) - 1);
      const stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (!stays) {
        slots[hole] = slots[j] as number;
        hole = j;
      }
    }
    slots[hole] = 0;
    this.#count -= 1;
  }

  clear(initialSlots = 16): void {
    this.#slots = new Int32Array(initialSlots);
    this.#mask = initialSlots - 1;
    this.#count = 0;
  }

  #slotOf(id: number): number {
    const slots = this.#slots;
    for (let i = this.#home(id); ; i = (i + 1) & this.#mask) {
      const value = slots[i] as number;
      if (value === id + 1) return i;
      if (value === 0) throw new Error(`token cache index: entry ${id} is not indexed`);
    }
  }

  #place(id: number): void {
    const slots = this.#slots;
    let i = this.#home(id);
    while (slots[i] !== 0) i = (i + 1) & this.#mask;
    slots[i] = id + 1;
  }

  #home(id: number): number {
    return this.#bucket(this.keys, id * this.#width);
  }

  /**
   * Every word of the key goes into the bucket: keys may share long prefixes (time-ordered UUIDs,
   * sequential test data), and a bucket taken from the first words alone then sends them all to
   * one run of slots, which made each insertion scan the whole index (the benchmark's million
   * sessions).
   */
  #bucket(words: Uint32Array, at: number): number {
    let h = this.#seed;
    for (let i = 0; i < this.#width; i += 1) {
      h = Math.imul(h ^ (words[at + i] as number), 0x9e3779b1);
      h ^= h >>> 16;
    }
    h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
    h ^= h >>> 13;
    return h & this.#mask;
  }

  #resize(slotCount: number): void {
    const old = this.#slots;
    this.#slots = new Int32Array(slotCount);
    this.#mask = slotCount - 1;
    for (const value of old) if (value !== 0) this.#place(value - 1);
  }
}

function sameKey(keys: Uint32Array, at: number, probe: Uint32Array, width: number): boolean {
  for (let i = 1; i < width; i += 1) if (keys[at + i] !== probe[i]) return false;
  return true;
}
