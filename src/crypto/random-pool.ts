import { randomFillSync } from 'node:crypto';

/**
 * Bytes from the CSPRNG, drawn 4 KiB at a time and handed out once each.
 *
 * Every call into OpenSSL's generator costs about 4 µs here whatever its size (4 µs for 16 bytes,
 * 4.7 µs for 4 KiB: the DRBG's locking and fork check, not the bytes), and a login needs a token
 * value and a session uuid: two calls were 6.5% of the event loop during refresh logins (issue #4
 * profile). Node's own `randomUUID` batches the same way. The bytes are the generator's; a byte
 * handed out is zeroed in the pool, so what stays in memory is only what no one has taken yet.
 * Each thread that imports this module has its own pool.
 */
const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let taken = POOL_BYTES;

/** Where `size` fresh bytes start in the pool, refilling it when fewer are left. */
function reserve(size: number): number {
  if (size > POOL_BYTES) throw new RangeError(`at most ${POOL_BYTES} random bytes at once`);
  if (taken + size > POOL_BYTES) {
    randomFillSync(pool);
    taken = 0;
  }
  const start = taken;
  taken += size;
  return start;
}

/** `size` random bytes as lower-case hex. */
export function randomHex(size: number): string {
  const start = reserve(size);
  const hex = pool.toString('hex', start, start + size);
  pool.fill(0, start, start + size);
  return hex;
}

/** `size` random bytes in a new array of the caller's own. */
export function randomArray(size: number): Uint8Array {
  const start = reserve(size);
  const bytes = new Uint8Array(pool.subarray(start, start + size));
  pool.fill(0, start, start + size);
  return bytes;
}
