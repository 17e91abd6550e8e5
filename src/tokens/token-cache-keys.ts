import { createHash } from 'node:crypto';

/**
 * Binary forms of the token cache's keys (issue #4: a million cached tokens in a few hundred MB).
 * A token digest (64 lower-case hex digits, `digestToken`) becomes its first 128 bits, 4 words, and
 * a session UUID 4 words, kept in typed arrays instead of 80-byte strings. 128 bits keep keys
 * distinct (a collision among a billion entries has odds of about 1 in 10^21) and make aiming a
 * chosen token at a cached one a 2^128 search. Anything else (another spelling, a test's key) is
 * keyed by a SHA-256 of its text instead, so distinct strings stay distinct keys.
 */
export const DIGEST_WORDS = 4;
export const SESSION_WORDS = 4;

const NIBBLE = new Int8Array(256).fill(-1);
for (let i = 0; i < 16; i += 1) NIBBLE['0123456789abcdef'.charCodeAt(i)] = i;
const HEX = '0123456789abcdef';
const scratch = Buffer.alloc(36);

const digestTail = new Uint32Array(4);

/** Writes the digest's key words at `into[offset]`: its first 128 bits when all 64 digits are hex. */
export function readDigest(digest: string, into: Uint32Array, offset: number): void {
  if (
    digest.length === 64 &&
    readHex(digest, 32, digestTail, 0, 4) &&
    readHex(digest, 0, into, offset, DIGEST_WORDS)
  )
    return;
  hashInto(`digest\u0000${digest}`, into, offset, DIGEST_WORDS);
}

/**
 * Writes the session's 4 words at `into[offset]`; false when the text is not a canonical
 * (lower-case) UUID, whose words are then a hash and which the caller must keep as text.
 */
export function readSession(uuid: string, into: Uint32Array, offset: number): boolean {
  if (isCanonicalUuid(uuid)) {
    let value = 0;
    let digits = 0;
    for (let i = 0; i < 36; i += 1) {
      if (i === 8 || i === 13 || i === 18 || i === 23) continue;
      value = (value << 4) | (NIBBLE[uuid.charCodeAt(i)] as number);
      digits += 1;
      if (digits % 8 === 0) {
        into[offset + digits / 8 - 1] = value;
        value = 0;
      }
    }
    return true;
  }
  hashInto(`session\u0000${uuid}`, into, offset, SESSION_WORDS);
  return false;
}

/** The canonical text of the UUID whose 4 words are at `words[offset]`. */
export function formatUuid(words: Uint32Array, offset: number): string {
  let at = 0;
  for (let word = 0; word < SESSION_WORDS; word += 1) {
    const value = words[offset + word] as number;
    for (let shift = 28; shift >= 0; shift -= 4) {
      if (at === 8 || at === 13 || at === 18 || at === 23) scratch[at++] = 45; // '-'
      scratch[at++] = HEX.charCodeAt((value >>> shift) & 15);
    }
  }
  return scratch.toString('latin1', 0, 36);
}

function isCanonicalUuid(text: string): boolean {
  if (text.length !== 36) return false;
  for (let i = 0; i < 36; i += 1) {
    const code = text.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23 ? code !== 45 : code > 255 || NIBBLE[code] === -1) {
      return false;
    }
  }
  return true;
}

function readHex(text: string, start: number, into: Uint32Array, offset: number, words: number): boolean {
  for (let word = 0; word < words; word += 1) {
    let value = 0;
    for (let i = start + word * 8, end = i + 8; i < end; i += 1) {
      const code = text.charCodeAt(i);
      const nibble = code > 255 ? -1 : (NIBBLE[code] as number);
      if (nibble < 0) return false;
      value = (value << 4) | nibble;
    }
    into[offset + word] = value;
  }
  return true;
}

function hashInto(text: string, into: Uint32Array, offset: number, words: number): void {
  const hash = createHash('sha256').update(text).digest();
  for (let word = 0; word < words; word += 1) into[offset + word] = hash.readUInt32BE(word * 4);
}
