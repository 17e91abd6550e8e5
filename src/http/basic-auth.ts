import type { Credentials } from '../tokens/authenticator.ts';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const MAX_HEADER = 8192;

/**
 * Reads `Authorization: Basic …` as wazo-auth does (§1.2): UTF-8, falling back to latin-1 for old
 * clients (WP-1084), split at the first `:`, ignored when either half is empty. Malformed headers
 * (bad base64, wrong scheme) are ignored too, so they end in the same 401 as a wrong password
 * instead of wazo-auth's 500.
 */
export function parseBasicCredentials(header: string | undefined): Credentials | null {
  if (!header || header.length > MAX_HEADER) return null;
  const match = /^Basic\s+(\S+)\s*$/i.exec(header);
  const encoded = match?.[1];
  if (!encoded || !isCanonicalBase64(encoded)) return null;
  const decoded = decodeText(Buffer.from(encoded, 'base64'));
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  const login = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  return login && password ? { login, password } : null;
}

/** Node's decoder forgives anything; wazo's clients send canonical base64, so only that is read. */
function isCanonicalBase64(text: string): boolean {
  if (!BASE64.test(text)) return false;
  const data = text.replace(/=+$/, '');
  if (data.length % 4 === 1) return false;
  return data.length === text.length || text.length % 4 === 0;
}

function decodeText(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}
