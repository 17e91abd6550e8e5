import type { Logger } from 'pino';

/**
 * The audit trail (issue #5 item 7, security.md §1.7 L2–L4): one structured JSON line per
 * authentication success or failure, per refused authorization and per administrative change,
 * written through a child of the application logger with a fixed `audit: true` field and the
 * message `audit`, so a log pipeline can route them by that field. Times are ISO 8601 UTC (the
 * logger's `time`); values are JSON-escaped, so CR/LF in a login cannot forge a line. Entries
 * carry ids and logins, never a password, token, refresh token or Authorization value.
 */
export type AuditEntry = AuthenticationEntry | AuthorizationEntry | AdminChangeEntry | OAuthConsentEntry;

interface Common {
  /** Who acted: the login name tried (authentication) or the token's auth_id; null when unknown. */
  actor: string | null;
  /** The trusted client address (src/http/client-address.ts). */
  source_ip: string;
}

export interface AuthenticationEntry extends Common {
  event: 'authentication';
  outcome: 'success' | 'failure';
  /** `password` or `refresh_token`. */
  method: string;
  user_agent: string;
  client_id?: string | null;
  user_uuid?: string;
  session_uuid?: string;
  /** Successes: the issued token redacted to its last 8 characters, as wazo-auth logs it. */
  token?: string;
  /** Failures only: why, for the operator (the client always gets the same 401). */
  reason?: string;
}

export interface AuthorizationEntry extends Common {
  event: 'authorization';
  outcome: 'refused';
  http_method: string;
  /** The route pattern (`/0.1/users/:user_uuid`), never the raw URL. */
  route: string;
  status: number;
  required_acl: string;
}

export interface AdminChangeEntry extends Common {
  event: 'admin_change';
  outcome: 'success';
  http_method: string;
  route: string;
  status: number;
  /** The path parameters (ids), which name what changed. */
  target: Record<string, string>;
  tenant_uuid: string | null;
}

/** A user's answer on the OAuth consent page (issue #6 §5), or its skipping for a first-party client. */
export interface OAuthConsentEntry extends Common {
  event: 'oauth_consent';
  outcome: 'allowed' | 'denied' | 'skipped';
  flow: 'authorization_code' | 'device_code';
  client_id: string;
  user_uuid: string;
  /** The scopes granted or refused, space-separated. */
  scope: string;
}

export class AuditLog {
  readonly #log: Logger;

  constructor(log: Logger) {
    this.#log = log.child({ audit: true });
  }

  record(entry: AuditEntry): void {
    this.#log.info(entry, 'audit');
  }
}
