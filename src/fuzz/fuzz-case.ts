import { randomUUID } from 'node:crypto';

/** Which credential a case sends: the admin's X-Auth-Token, the sacrificial user's, none, junk, or wrong Basic. */
export type AuthChoice = 'admin' | 'user' | 'none' | 'garbage' | 'basic_wrong';

/**
 * One fuzz request, as written in fuzz-corpus.json or generated from the OpenAPI document. Strings
 * may hold placeholders ({token}, {user_uuid}…) and `⟦repeat:N:text⟧` macros, expanded by expandCase.
 */
export interface FuzzCase {
  group: string;
  name: string;
  method: string;
  /** Relative to the API prefix (/0.1), sent undecoded. */
  path: string;
  auth?: AuthChoice;
  headers?: Record<string, string>;
  body?: string;
  /** Raw body bytes in hex (invalid UTF-8). */
  bodyHex?: string;
  /** The whole request as sent on the socket; replaces method, path, headers and body. */
  raw?: string;
  /** Statuses this case must get, tighter than the U1 list. */
  expect?: number[];
  /** The server must close the connection (FZ-SMUG). */
  closed?: boolean;
  /** Exactly one response may come back: nothing smuggled behind the first request was served. */
  single?: boolean;
}

/** The live values placeholders stand for. Every id here belongs to sacrificial objects, never to a witness. */
export interface FuzzTargets {
  adminToken: string;
  userToken: string;
  userUuid: string;
  username: string;
  policyUuid: string;
  tenantUuid: string;
  groupUuid: string;
  sessionUuid: string;
}

/** A case with every placeholder filled: what goes on the wire. */
export interface ExpandedCase extends FuzzCase {
  body?: string;
  bodyBytes?: Buffer;
}

const REPEAT = /⟦repeat:(\d+):([^⟦⟧]*)⟧/g;
const ENCODED_TAIL = /\{(b64|urlenc):([\s\S]*)\}$/;

/** Expands `⟦repeat:N:text⟧` (innermost first), then {b64:…}/{urlenc:…} at the end of a value, then placeholders. */
export function expandText(text: string, targets: FuzzTargets): string {
  let out = text;
  while (out.includes('⟦repeat:'))
    out = out.replace(REPEAT, (_, count: string, unit: string) => unit.repeat(Number(count)));
  out = fillPlaceholders(out, targets);
  return out.replace(ENCODED_TAIL, (_, kind: string, content: string) =>
    kind === 'b64' ? Buffer.from(content).toString('base64') : encodeURIComponent(content),
  );
}

function fillPlaceholders(text: string, t: FuzzTargets): string {
  return text
    .replaceAll('{token}', t.adminToken)
    .replaceAll('{user_token}', t.userToken)
    .replaceAll('{user_uuid}', t.userUuid)
    .replaceAll('{USER_UUID}', t.userUuid.toUpperCase())
    .replaceAll('{policy_uuid}', t.policyUuid)
    .replaceAll('{tenant_uuid}', t.tenantUuid)
    .replaceAll('{group_uuid}', t.groupUuid)
    .replaceAll('{session_uuid}', t.sessionUuid)
    .replaceAll('{uuid}', randomUUID())
    .replaceAll('{b64_user_wrong}', Buffer.from(`${t.username}:wrong-password`).toString('base64'));
}

export function expandCase(c: FuzzCase, targets: FuzzTargets): ExpandedCase {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(c.headers ?? {})) headers[name] = expandText(value, targets);
  const expanded: ExpandedCase = { ...c, path: expandText(c.path, targets), headers };
  if (c.raw !== undefined) expanded.raw = expandText(c.raw, targets);
  if (c.body !== undefined) expanded.body = expandText(c.body, targets);
  if (c.bodyHex !== undefined) expanded.bodyBytes = Buffer.from(c.bodyHex, 'hex');
  return expanded;
}

/** The credential headers of an auth choice (X-Auth-Token or Authorization). */
export function authHeaders(auth: AuthChoice | undefined, targets: FuzzTargets): Record<string, string> {
  switch (auth ?? 'admin') {
    case 'admin':
      return { 'X-Auth-Token': targets.adminToken };
    case 'user':
      return { 'X-Auth-Token': targets.userToken };
    case 'garbage':
      return { 'X-Auth-Token': 'not-a-token' };
    case 'basic_wrong':
      return {
        Authorization: `Basic ${Buffer.from(`${targets.username}:wrong-password`).toString('base64')}`,
      };
    default:
      return {};
  }
}
