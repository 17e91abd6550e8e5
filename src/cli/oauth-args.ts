import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { OAuthClientInput } from '../oauth/clients/oauth-client-rules.ts';
import { OAuthClientCreateBody } from '../oauth/clients/oauth-client-schemas.ts';
import { OAuthScopeCreateBody } from '../oauth/scopes/oauth-scope-schemas.ts';
import type { OAuthScopeInput } from '../oauth/scopes/oauth-scope-service.ts';
import { UsageError } from './cli-support.ts';
import { strictParse, tenantOf } from './user-args.ts';

/**
 * The command lines of `gatehouse oauth-client …` and `gatehouse oauth-scope …`. Each becomes the
 * body POST would take and is checked against the very schema of the route, so the CLI and the
 * API accept the same registrations; the service then applies the same rules.
 */

export interface Scoped<T> {
  tenant: string | null;
  input: T;
}

/** A client or scope named on the command line: its uuid, or (clients) its client_id. */
export interface Target {
  reference: string;
  tenant: string | null;
}

const many = { type: 'string', multiple: true } as const;
const one = { type: 'string' } as const;
const flag = { type: 'boolean' } as const;

export function parseClientCreate(args: string[]): Scoped<OAuthClientInput> {
  const { values: v } = strictParse(args, {
    name: one,
    type: one,
    'client-id': one,
    'auth-method': one,
    jwks: one,
    'redirect-uri': many,
    grant: many,
    scope: many,
    acl: many,
    'access-token-lifetime': one,
    'refresh-idle': one,
    'refresh-max-lifetime': one,
    rotation: one,
    'dpop-bound': flag,
    'skip-consent': flag,
    tenant: one,
  });
  const body = prune({
    name: v.name,
    client_type: v.type,
    client_id: v['client-id'],
    token_endpoint_auth_method: v['auth-method'],
    jwks: v.jwks === undefined ? undefined : parseJson(v.jwks, '--jwks'),
    redirect_uris: v['redirect-uri'],
    grant_types: v.grant,
    scopes: v.scope,
    acl: v.acl,
    access_token_lifetime_seconds: integer(v['access-token-lifetime'], '--access-token-lifetime'),
    refresh_idle_seconds: integer(v['refresh-idle'], '--refresh-idle'),
    refresh_max_lifetime_seconds: integer(v['refresh-max-lifetime'], '--refresh-max-lifetime'),
    rotation: v.rotation,
    dpop_bound: v['dpop-bound'],
    skip_consent: v['skip-consent'],
  });
  return { tenant: tenantOf(v.tenant), input: checked(OAuthClientCreateBody, body) as OAuthClientInput };
}

export function parseScopeCreate(args: string[]): Scoped<OAuthScopeInput> {
  const { values: v } = strictParse(args, { name: one, description: one, acl: many, tenant: one });
  const body = prune({ name: v.name, description: v.description, acl: v.acl });
  return { tenant: tenantOf(v.tenant), input: checked(OAuthScopeCreateBody, body) as OAuthScopeInput };
}

/** `list [--tenant UUID]`: without --tenant, every tenant's. */
export function parseTenantOnly(args: string[]): { tenant: string | null } {
  return { tenant: tenantOf(strictParse(args, { tenant: one }).values.tenant) };
}

/** `show|delete|rotate-secret REFERENCE [--tenant UUID]`. */
export function parseTarget(args: string[]): Target {
  const { values, positionals } = strictParse(args, { tenant: one }, 1);
  const reference = positionals[0];
  if (reference === undefined || reference === '') throw new UsageError('expected the uuid (or client_id)');
  return { reference, tenant: tenantOf(values.tenant) };
}

function prune(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).filter(([, value]) => value !== undefined));
}

function checked(schema: TSchema, body: Record<string, unknown>): unknown {
  const error = Value.Errors(schema, body).First();
  if (!error) return body;
  const field = error.path.replace(/^\//, '').replaceAll('/', '.') || 'body';
  throw new UsageError(`${field}: ${error.message}`);
}

function integer(value: unknown, option: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^\d{1,10}$/.test(value))
    throw new UsageError(`${option} must be a whole number of seconds`);
  return Number(value);
}

function parseJson(value: unknown, option: string): unknown {
  try {
    return JSON.parse(String(value));
  } catch {
    throw new UsageError(`${option} must be JSON`);
  }
}

export const OAUTH_CLIENT_USAGE = `Usage: gatehouse oauth-client <command> [options]

Commands:
  create          register an OAuth client (prints it with its secret, shown this once)
  list            list OAuth clients
  show            show one client
  delete          delete a client and end every session issued to it
  rotate-secret   replace a confidential client's secret (prints the new one, shown this once)

Run "gatehouse oauth-client <command> --help" for the options of each. Output is JSON, the objects
of /0.1/oauth/clients. The commands work on the database of GATEHOUSE_DATABASE_URL directly (no
server needed). Exit codes: 0 done, 1 failed (invalid registration, unknown client…), 2 bad usage.`;

export const OAUTH_CLIENT_HELP: Record<string, string> = {
  create: `Usage: gatehouse oauth-client create --name N --type confidential|public [--client-id ID]
         [--redirect-uri URI]... [--grant GRANT]... [--scope NAME]... [--acl ACCESS]...
         [--auth-method METHOD] [--jwks JSON] [--access-token-lifetime S] [--refresh-idle S]
         [--refresh-max-lifetime S] [--rotation rotate|none] [--dpop-bound] [--skip-consent]
         [--tenant UUID]

Registers a client in the tenant UUID (default: the top tenant), as POST /0.1/oauth/clients does
(docs/oauth.md lists the fields and defaults). A confidential client gets a generated secret,
printed once as client_secret: only its digest is kept.`,
  list: `Usage: gatehouse oauth-client list [--tenant UUID]

Prints the clients of the tenant UUID, or of every tenant, as a JSON array.`,
  show: `Usage: gatehouse oauth-client show UUID|CLIENT_ID [--tenant UUID]

Prints one client as JSON.`,
  delete: `Usage: gatehouse oauth-client delete UUID|CLIENT_ID [--tenant UUID]

Deletes the client, its grants and codes, and ends every session issued through it.`,
  'rotate-secret': `Usage: gatehouse oauth-client rotate-secret UUID|CLIENT_ID [--tenant UUID]

Generates a new secret for a client_secret_basic or client_secret_post client and prints the client
with it, this once; the old secret stops working at once.`,
};

export const OAUTH_SCOPE_USAGE = `Usage: gatehouse oauth-scope <command> [options]

Commands:
  create   define an OAuth scope (a named set of ACL entries) in a tenant
  list     list the scopes a tenant can use (its own, config and protocol ones)
  delete   delete a tenant scope

Run "gatehouse oauth-scope <command> --help" for the options of each. Output is JSON, the objects
of /0.1/oauth/scopes.`;

export const OAUTH_SCOPE_HELP: Record<string, string> = {
  create: `Usage: gatehouse oauth-scope create --name NAME [--description D] [--acl ACCESS]...
                                    [--tenant UUID]

Defines the scope NAME in the tenant UUID (default: the top tenant). openid, profile, email and
offline_access are reserved.`,
  list: `Usage: gatehouse oauth-scope list [--tenant UUID]

Prints the scopes of the tenant UUID (default: the top tenant), with config and protocol scopes.`,
  delete: `Usage: gatehouse oauth-scope delete UUID [--tenant UUID]

Deletes a tenant scope; clients that name it keep the name, which grants nothing until redefined.`,
};
