/**
 * Reference-counted interning (issue #4): one instance of each distinct value, named by a small
 * integer that a typed-array column can hold, freed when the last holder releases it. Cached tokens
 * repeat their user agent, address, tenant, metadata and ACL across sessions; each is kept once.
 */
export class InternPool<T> {
  readonly #ids = new Map<string, number>();
  #keys: (string | undefined)[] = [];
  #values: (T | undefined)[] = [];
  #refs: number[] = [];
  #free: number[] = [];

  get size(): number {
    return this.#ids.size;
  }

  /** The id of `key`'s value, made by `make` when the pool does not hold it; counts one reference. */
  acquire(key: string, make: (key: string) => T): number {
    let id = this.#ids.get(key);
    if (id !== undefined) {
      this.#refs[id] = (this.#refs[id] as number) + 1;
      return id;
    }
    id = this.#free.pop() ?? this.#values.length;
    this.#keys[id] = key;
    this.#values[id] = make(key);
    this.#refs[id] = 1;
    this.#ids.set(key, id);
    return id;
  }

  /** Whether `acquire(key)` would find a value already there. */
  has(key: string): boolean {
    return this.#ids.has(key);
  }

  value(id: number): T {
    return this.#values[id] as T;
  }

  /** Drops one reference; returns the value when that was the last one (it is then forgotten). */
  release(id: number): T | undefined {
    const refs = (this.#refs[id] as number) - 1;
    this.#refs[id] = refs;
    if (refs > 0) return undefined;
    const value = this.#values[id];
    this.#ids.delete(this.#keys[id] as string);
    this.#keys[id] = undefined;
    this.#values[id] = undefined;
    this.#free.push(id);
    return value;
  }

  clear(): void {
    this.#ids.clear();
    this.#keys = [];
    this.#values = [];
    this.#refs = [];
    this.#free = [];
  }
}
