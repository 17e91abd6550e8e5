import { type ParseArgsConfig, parseArgs } from 'node:util';
import type { Purpose } from '../users/user.ts';
import { UsageError } from './cli-support.ts';

/** The command lines of `gatehouse user …`, parsed into plain values before any database work. */

export type PasswordSource = { kind: 'given'; value: string } | { kind: 'stdin' } | { kind: 'generate' };

export interface CreateArgs {
  username: string;
  password: PasswordSource;
  purpose: Purpose;
  tenant: string | null;
  policies: string[];
}

export interface ListArgs {
  tenant: string | null;
  json: boolean;
}

export interface SetPasswordArgs {
  user: string;
  password: PasswordSource;
}

type Options = NonNullable<ParseArgsConfig['options']>;

const PURPOSES: readonly Purpose[] = ['user', 'internal', 'external_api'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PASSWORD_OPTIONS = {
  password: { type: 'string' },
  'password-stdin': { type: 'boolean' },
} as const satisfies Options;

export function parseCreate(args: string[]): CreateArgs {
  const { values } = strictParse(args, {
    username: { type: 'string' },
    purpose: { type: 'string' },
    tenant: { type: 'string' },
    policy: { type: 'string', multiple: true },
    ...PASSWORD_OPTIONS,
  });
  const username = values.username;
  if (typeof username !== 'string' || username === '') throw new UsageError('--username is required');
  // The API's limit (wazo §2.2): the command line must not create what PUT /users could not edit.
  if (username.length > 256) throw new UsageError('--username is longer than 256 characters');
  return {
    username,
    password: passwordSource(values),
    purpose: purposeOf(values.purpose),
    tenant: tenantOf(values.tenant),
    policies: (values.policy as string[] | undefined) ?? [],
  };
}

export function parseList(args: string[]): ListArgs {
  const { values } = strictParse(args, { tenant: { type: 'string' }, json: { type: 'boolean' } });
  return { tenant: tenantOf(values.tenant), json: values.json === true };
}

/** `disable <uuid|username>`: the user reference. */
export function parseDisable(args: string[]): string {
  return singleUser(strictParse(args, {}, 1).positionals);
}

/** `user unlock <login>`: exactly one login name. */
export function parseUnlock(args: string[]): string {
  return singleUser(strictParse(args, {}, 1).positionals);
}

export function parseSetPassword(args: string[]): SetPasswordArgs {
  const { values, positionals } = strictParse(args, PASSWORD_OPTIONS, 1);
  return { user: singleUser(positionals), password: passwordSource(values) };
}

/** parseArgs in strict mode; `positionals` says how many arguments besides options are allowed. */
export function strictParse(args: string[], options: Options, positionals = 0) {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const extra = parsed.positionals[positionals];
  if (extra !== undefined) throw new UsageError(`unexpected argument: ${extra}`);
  return parsed;
}

function singleUser(positionals: string[]): string {
  if (positionals.length !== 1 || positionals[0] === '') {
    throw new UsageError('expected exactly one user (its uuid or its username)');
  }
  return positionals[0] as string;
}

function passwordSource(values: Record<string, unknown>): PasswordSource {
  const given = values.password;
  const fromStdin = values['password-stdin'] === true;
  if (typeof given === 'string' && fromStdin) {
    throw new UsageError('--password and --password-stdin cannot be used together');
  }
  if (typeof given === 'string') return { kind: 'given', value: given };
  return fromStdin ? { kind: 'stdin' } : { kind: 'generate' };
}

function purposeOf(value: unknown): Purpose {
  if (value === undefined) return 'user';
  if (PURPOSES.includes(value as Purpose)) return value as Purpose;
  throw new UsageError(`--purpose must be one of ${PURPOSES.join(', ')}`);
}

/** An optional `--tenant UUID` (or another option named by `option`), lower-cased. */
export function tenantOf(value: unknown, option = '--tenant'): string | null {
  if (value === undefined) return null;
  if (typeof value === 'string' && UUID.test(value)) return value.toLowerCase();
  throw new UsageError(`${option} must be a tenant uuid`);
}

export const USER_USAGE = `Usage: gatehouse user <command> [options]

Commands:
  create         create a user
  list           list users
  disable        disable a user and end its sessions
  set-password   set a user's password and end its sessions
  unlock         clear a login's failed-login counters and locks

Run "gatehouse user <command> --help" for the options of each. The commands work on the database of
GATEHOUSE_DATABASE_URL directly (no server needed); it must have been initialized by "gatehouse
bootstrap" or "gatehouse serve". Exit codes: 0 done, 1 failed (unknown user, conflict…), 2 bad usage.`;

export const USER_HELP: Record<string, string> = {
  create: `Usage: gatehouse user create --username U [--password P | --password-stdin]
                             [--purpose user|internal|external_api] [--tenant UUID] [--policy SLUG]...

Creates a user in the tenant UUID (default: the top tenant), member of the tenant's all-users group,
holding the policies given by slug (policies of that tenant). Without --password or --password-stdin a
password is generated and printed once. The purpose defaults to "user" (authentication method
"default"); internal and external_api users get the "native" method.`,
  list: `Usage: gatehouse user list [--tenant UUID] [--json]

Lists the users of the tenant UUID, or of every tenant, ordered by username: uuid, username, purpose,
enabled and tenant, or with --json the API's user objects as one JSON array.`,
  unlock: `Usage: gatehouse user unlock <login>

Clears the brute-force counters and locks of a login name (username or email), from every client
address, so its owner can log in again at once (docs/brute-force.md). Counters of client addresses
(the 429 cap) are not touched.`,
  disable: `Usage: gatehouse user disable <uuid|username>

Disables the user (it can no longer log in) and ends all its sessions at once.`,
  'set-password': `Usage: gatehouse user set-password <uuid|username> [--password P | --password-stdin]

Sets the user's password and ends all its sessions. The password must respect passwords.min_length
and passwords.max_length. Without --password or --password-stdin one is generated and printed once.
Prefer --password-stdin: a --password value is visible to other local users in the process list.`,
};
