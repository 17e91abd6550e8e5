import { hash, randomUUID, timingSafeEqual } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { randomArray, randomHex } from './random-pool.ts';

/**
 * A new access or refresh token: UUID-shaped (8-4-4-4-12 hex) so wazo clients and route patterns
 * accept it, but with all 128 bits from the CSPRNG; a UUIDv4 keeps only 122 random bits (decision D4).
 */
export function newTokenValue(): string {
  const hex = randomHex(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Identifiers that are not secrets (users, groups, rows) are ordinary UUIDv4s. */
export function newId(): string {
  return randomUUID();
}

/**
 * Sessions are identified by UUIDv7s (RFC 9562): the creation time in milliseconds, a counter that
 * starts at a random value each millisecond, then 42 random bits. Every login inserts one, and its
 * uuid goes into two indexes (the session's primary key and the token's session index). With
 * random uuids each of those inserts lands on a different page; in time order they share the last
 * one. On SQLite every changed page is written to the WAL at each commit: a group commit of refresh
 * logins spent 86 to 89 µs per login with UUIDv4s and 60 with these (issue #4). Session uuids are
 * not secrets; their creation time is the token's `issued_at`.
 */
export function newSessionId(): string {
  const random = randomArray(16);
  const { msecs, seq } = nextV7Time(sessionClock, Date.now(), random);
  return uuidv7({ msecs, seq, random });
}

export interface V7Clock {
  msecs: number;
  seq: number;
}

const sessionClock: V7Clock = { msecs: Number.NEGATIVE_INFINITY, seq: 0 };

/**
 * uuid keeps its v7s in order only when it draws their randomness itself, one 4 µs call into
 * OpenSSL per uuid (see random-pool.ts); with bytes from the pool, its bookkeeping is kept here. A
 * new millisecond starts the 31-bit counter at a random value (bytes 6 to 9, which the counter
 * replaces in the uuid), the same or an earlier one (a clock set back) counts on, and an
 * overflowing counter borrows the next millisecond: every uuid sorts after the one before.
 */
export function nextV7Time(clock: V7Clock, now: number, random: Uint8Array): V7Clock {
  if (now > clock.msecs) {
    clock.msecs = now;
    clock.seq =
      (((random[6] as number) & 0x7f) << 24) |
      ((random[7] as number) << 16) |
      ((random[8] as number) << 8) |
      (random[9] as number);
  } else {
    clock.seq = (clock.seq + 1) | 0;
    if (clock.seq === 0) clock.msecs += 1;
  }
  return { msecs: clock.msecs, seq: clock.seq };
}

const TOKEN_SHAPE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** Whether a presented value could be a token at all; anything else is refused before any lookup. */
export function isTokenShaped(value: string): boolean {
  return value.length === 36 && TOKEN_SHAPE.test(value);
}

/**
 * What the database stores instead of a token: the SHA-256 of its canonical (lower-case) text, so
 * a dump yields nothing that validates. Tokens carry 128 random bits, so no salt or slow hash is needed.
 */
export function digestToken(value: string): string {
  // One-shot hash (Node 20.12+): no Hash object per call, the same hex digest (issue #4 hot path).
  return hash('sha256', value.toLowerCase(), 'hex');
}

/** The form wazo-auth logs tokens in: everything masked but the last 8 characters. */
export function redactToken(value: string): string {
  return `XXXXXXXX-XXXX-XXXX-XXXX-XXXX${value.slice(-8)}`;
}

export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
