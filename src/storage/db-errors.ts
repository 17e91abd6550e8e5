/**
 * Translates driver errors of both engines into what the domain cares about. Only storage/ knows
 * SQLite's and PostgreSQL's error codes (wazo-auth checks pg codes all over its DAO).
 */

interface DriverError {
  code?: unknown;
  constraint?: unknown;
  message?: unknown;
}

/** Names the violated unique index or constraint (or the column list on SQLite), or null. */
export function uniqueViolation(error: unknown): string | null {
  const e = error as DriverError;
  if (e?.code === '23505') return String(e.constraint ?? '');
  if (e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return String(e.message ?? '').replace(/^UNIQUE constraint failed: /, '');
  }
  return null;
}

// 08 connection, 53 resources, 57 operator intervention, 58 system; 40 (deadlock, serialization
// failure) is a transient conflict between concurrent writers: retried where it is safe
// (retryOnConflict), otherwise 503 with Retry-After, never a 500.
const PG_UNAVAILABLE_CLASSES = ['08', '40', '53', '57', '58'];
const NODE_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
const SQLITE_UNAVAILABLE = /^SQLITE_(FULL|IOERR|BUSY|LOCKED|CANTOPEN|READONLY|NOMEM|CORRUPT)/;

/**
 * True when the database could not answer (down, unreachable, disk full, overloaded): the request
 * must fail with 503 and nothing may be assumed about the data.
 */
export function isStorageUnavailable(error: unknown): boolean {
  const e = error as DriverError;
  const code = typeof e?.code === 'string' ? e.code : '';
  if (SQLITE_UNAVAILABLE.test(code) || NODE_NETWORK_CODES.has(code)) return true;
  if (/^[0-9A-Z]{5}$/.test(code)) return PG_UNAVAILABLE_CLASSES.includes(code.slice(0, 2));
  // "timeout expired": pg's connect timeout on a client of its own, as the fresh connection of a
  // retried read uses (FT-4 saw it as a 500).
  const message = String(e?.message ?? '');
  return /Connection terminated|timeout exceeded when trying to connect|timeout expired|is not queryable|connection is closed|driver has already been destroyed/i.test(
    message,
  );
}

const LOST_CONNECTION_CODES = new Set(['ECONNRESET', 'EPIPE', '57P01', '57P02', '57P03']);

/**
 * True when the connection died under the statement (backend terminated, socket reset), as
 * opposed to a database that does not answer at all: an idempotent read may then be retried once
 * on a fresh connection (security.md FT-3). Timeouts are not retried, they would only double the wait.
 */
export function isConnectionLost(error: unknown): boolean {
  const e = error as DriverError;
  const code = typeof e?.code === 'string' ? e.code : '';
  if (LOST_CONNECTION_CODES.has(code) || code.startsWith('08')) return true;
  const message = String(e?.message ?? '');
  // pg-pool reports a new connection that did not open in time as "Connection terminated due to
  // connection timeout": a database that does not answer, not a connection that died. Retried,
  // a check took two timeouts (4 s) in one FT-4 run out of six.
  if (/due to connection timeout/i.test(message)) return false;
  return /Connection terminated|is not queryable|connection is closed/i.test(message);
}

/**
 * Runs an idempotent read; if its connection was lost, runs `again` once (which should use a fresh
 * connection: see Storage.freshDb).
 */
export async function retryReadOnce<T>(read: () => Promise<T>, again: () => Promise<T> = read): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (!isConnectionLost(error)) throw error;
    return again();
  }
}

/** True for a PostgreSQL deadlock or serialization failure: the transaction may simply be run again. */
export function isTransientConflict(error: unknown): boolean {
  const code = (error as DriverError)?.code;
  return code === '40P01' || code === '40001';
}

/** Runs an idempotent transaction again (up to `attempts` times in all) when it lost a deadlock. */
export async function retryOnConflict<T>(transaction: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await transaction();
    } catch (error) {
      if (attempt >= attempts || !isTransientConflict(error)) throw error;
    }
  }
}
