// One password-hashing thread of hash-pool.ts. Plain JavaScript on purpose: worker threads do not
// inherit the TypeScript loader that bin/gatehouse.js registers on the main thread (Node 20).
//
// Each task runs synchronously on this thread, so the thread's scheduling priority is the hash's.
import { pbkdf2Sync } from 'node:crypto';
import { setPriority } from 'node:os';
import { hashSync, verifySync } from '@node-rs/argon2';
import { workerData } from 'piscina';

/** Argon2id in @node-rs/argon2's numbering. */
const ARGON2ID = 2;

lowerPriority(workerData?.nice ?? 0);

/**
 * On Linux the nice value belongs to each thread, and pid 0 names the calling thread: only this
 * hashing thread yields to the event loop that answers token checks. Elsewhere pid 0 would be the
 * whole process, so nothing changes there. Raising one's own nice value needs no privilege.
 */
function lowerPriority(nice) {
  if (nice <= 0 || process.platform !== 'linux') return;
  try {
    setPriority(0, nice);
  } catch {
    // A sandbox that forbids setpriority(2): hashes keep the default priority.
  }
}

export function argon2Hash({ password, memoryKib, timeCost }) {
  return hashSync(password, { algorithm: ARGON2ID, memoryCost: memoryKib, timeCost, parallelism: 1 });
}

/** False for a wrong password and for a stored value that is not an argon2 hash. */
export function argon2Verify({ hash, password }) {
  try {
    return verifySync(hash, password);
  } catch {
    return false;
  }
}

export function pbkdf2({ password, salt, iterations, keyBytes, digest }) {
  return pbkdf2Sync(password, Buffer.from(salt), iterations, keyBytes, digest);
}
