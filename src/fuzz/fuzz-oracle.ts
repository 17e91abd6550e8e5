import type { ExpandedCase } from './fuzz-case.ts';
import type { FuzzReply } from './fuzz-send.ts';

/** U1: the statuses a request may get besides 2xx (security.md §5.4). 408 only for requests never completed. */
export const ALLOWED_ERROR_STATUSES: ReadonlySet<number> = new Set([
  400, 401, 403, 404, 405, 409, 413, 414, 415, 429, 431, 503,
]);

/** U3: what must never come back (stack frames, dependency paths, driver codes, SQL). */
const LEAK_PATTERNS = [/at \//, /\.[cm]?[jt]s:\d+:\d+/, /node_modules/, /SQLITE_/, /SELECT /, /\bpg_/];

/**
 * Judges one response against U1–U3 and the case's own expectations; returns every violation
 * (empty when the response is acceptable). `secrets` are values no response may contain, and
 * `errorSecrets` ones no error response may contain (tokens that a successful check does echo).
 */
export function judge(
  c: ExpandedCase,
  reply: FuzzReply,
  secrets: readonly string[],
  errorSecrets: readonly string[],
): string[] {
  const problems: string[] = [];
  const { status } = reply;
  if (reply.timedOut) return ['U5 no response within the timeout'];
  const success = status >= 200 && status < 300;
  if (!success && !ALLOWED_ERROR_STATUSES.has(status)) problems.push(`U1 status ${status}`);
  if (c.expect && !c.expect.includes(status)) problems.push(`expected ${c.expect.join('/')}, got ${status}`);
  if (c.closed && !reply.closed) problems.push('connection left open');
  if (c.single && reply.responses !== 1)
    problems.push(`${reply.responses} responses: a request was smuggled`);
  if (reply.headers['x-powered-by'] !== undefined) problems.push('X-Powered-By present');
  problems.push(...errorShapeProblems(c, reply));
  const everything = `${JSON.stringify(reply.headers)}\n${reply.body}`;
  const leaks = success ? secrets : [...secrets, ...errorSecrets];
  for (const secret of leaks)
    if (everything.includes(secret)) problems.push(`U3 echoes a secret (…${secret.slice(-6)})`);
  // Internals leak through errors. Successful bodies are stored data serialized by response schemas
  // (a policy ACL may legitimately read "SELECT …"), and wazo echoes some request values in error
  // `details` (client_id…): only text the request did not carry counts as a leak.
  const sent = sentText(c);
  for (const pattern of success ? [] : LEAK_PATTERNS) {
    if (pattern.test(reply.body) && !pattern.test(sent)) problems.push(`U3 body matches ${pattern}`);
  }
  return problems;
}

function sentText(c: ExpandedCase): string {
  const text = `${c.raw ?? ''}\n${c.path}\n${c.body ?? ''}\n${JSON.stringify(c.headers ?? {})}`;
  try {
    return `${text}\n${decodeURIComponent(text)}`;
  } catch {
    return text;
  }
}

/** U2: an error body is JSON in one of wazo's two shapes; legacy bodies carry status_code = HTTP status. */
function errorShapeProblems(c: ExpandedCase, reply: FuzzReply): string[] {
  if (reply.status < 400 || c.method === 'HEAD' || reply.body === '') {
    return reply.status >= 400 && c.method !== 'HEAD' && reply.body === '' ? ['U2 empty error body'] : [];
  }
  if (!/^application\/json\b/.test(reply.headers['content-type'] ?? '')) return ['U2 error is not JSON'];
  let body: unknown;
  try {
    body = JSON.parse(reply.body);
  } catch {
    return ['U2 error body does not parse'];
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return ['U2 error body is not an object'];
  const fields = body as Record<string, unknown>;
  if ('reason' in fields) {
    const ok = Array.isArray(fields.reason) && fields.reason.every((r) => typeof r === 'string');
    if (!ok) return ['U2 legacy reason is not a list of strings'];
    return fields.status_code === reply.status ? [] : [`U2 status_code ${String(fields.status_code)}`];
  }
  const api = typeof fields.message === 'string' && typeof fields.error_id === 'string';
  return api && typeof fields.details === 'object' ? [] : ['U2 not a wazo error shape'];
}

/** Outcome counts and the latency of rejected requests (U4), accumulated over a run. */
export class FuzzStats {
  readonly byStatus = new Map<number, number>();
  readonly byGroup = new Map<string, Map<number, number>>();
  readonly rejectedMs: number[] = [];
  cases = 0;

  record(c: ExpandedCase, reply: FuzzReply): void {
    this.cases++;
    bump(this.byStatus, reply.status);
    const group = this.byGroup.get(c.group) ?? new Map<number, number>();
    bump(group, reply.status);
    this.byGroup.set(c.group, group);
    // Logins are slow on purpose (argon2id, and a dummy hash for unknown users): not "rejected cheaply".
    const login = c.method === 'POST' && /^\/token\/?(\?|$)/.test(c.path);
    if (reply.status >= 400 && reply.status < 500 && !login && c.raw === undefined)
      this.rejectedMs.push(reply.ms);
  }

  /** The p-th percentile (0–100) of rejected-request latency in ms. */
  rejectedPercentile(p: number): number {
    const sorted = [...this.rejectedMs].sort((a, b) => a - b);
    if (sorted.length === 0) return 0;
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
  }

  statusTable(): Record<string, number> {
    return Object.fromEntries(
      [...this.byStatus.entries()].sort(([a], [b]) => a - b).map(([s, n]) => [String(s), n]),
    );
  }
}

function bump(map: Map<number, number>, key: number): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}
