import { SLUG_MAX_LENGTH, SLUG_PATTERN } from '../groups/slug.ts';
import { UsageError } from './cli-support.ts';
import { strictParse, tenantOf } from './user-args.ts';

/** The command lines of `gatehouse policy …`, checked against the API's rules (wazo §2.7). */

export interface PolicyCreateArgs {
  name: string;
  slug: string | null;
  description: string | null;
  acl: string[];
  tenant: string | null;
}

export interface PolicyListArgs {
  tenant: string | null;
  json: boolean;
}

/** The bounds of POST /policies (policy-schemas.ts). */
const NAME_MAX_LENGTH = 80;
const ACCESS_MAX_LENGTH = 1024;
const MAX_ACL_ENTRIES = 1000;
const SLUG = new RegExp(SLUG_PATTERN);

export function parsePolicyCreate(args: string[]): PolicyCreateArgs {
  const { values } = strictParse(args, {
    name: { type: 'string' },
    slug: { type: 'string' },
    description: { type: 'string' },
    acl: { type: 'string', multiple: true },
    tenant: { type: 'string' },
  });
  const name = values.name;
  if (typeof name !== 'string' || name === '') throw new UsageError('--name is required');
  if (name.length > NAME_MAX_LENGTH)
    throw new UsageError(`--name is longer than ${NAME_MAX_LENGTH} characters`);
  const slug = values.slug;
  if (
    slug !== undefined &&
    !(typeof slug === 'string' && SLUG.test(slug) && slug.length <= SLUG_MAX_LENGTH)
  ) {
    throw new UsageError(`--slug must be 1 to ${SLUG_MAX_LENGTH} letters, digits, "-" or "_"`);
  }
  const acl = (values.acl as string[] | undefined) ?? [];
  if (acl.length > MAX_ACL_ENTRIES) throw new UsageError(`at most ${MAX_ACL_ENTRIES} --acl entries`);
  if (acl.some((access) => access === '' || access.length > ACCESS_MAX_LENGTH)) {
    throw new UsageError(`an --acl entry must be 1 to ${ACCESS_MAX_LENGTH} characters`);
  }
  const description = values.description;
  return {
    name,
    slug: slug ?? null,
    description: typeof description === 'string' ? description : null,
    acl,
    tenant: tenantOf(values.tenant),
  };
}

export function parsePolicyList(args: string[]): PolicyListArgs {
  const { values } = strictParse(args, { tenant: { type: 'string' }, json: { type: 'boolean' } });
  return { tenant: tenantOf(values.tenant), json: values.json === true };
}

export const POLICY_USAGE = `Usage: gatehouse policy <command> [options]

Commands:
  create   create a policy (a named ACL)
  list     list policies

Run "gatehouse policy <command> --help" for the options of each. The commands work on the database
of GATEHOUSE_DATABASE_URL directly (no server needed); it must have been initialized by "gatehouse
bootstrap" or "gatehouse serve". Exit codes: 0 done, 1 failed (unknown tenant, duplicate…), 2 bad usage.`;

export const POLICY_HELP: Record<string, string> = {
  create: `Usage: gatehouse policy create --name N [--slug S] [--description D] [--acl ACCESS]...
                               [--tenant UUID]

Creates a policy in the tenant UUID (default: the top tenant), as POST /0.1/policies does, holding
the ACL entries given by --acl (e.g. --acl 'confd.users.*.read' --acl '!confd.users.me.#'; quote
them for the shell). The slug (letters, digits, "-" and "_", unique in the tenant) defaults to one
derived from the name. Give it to "gatehouse user create --policy SLUG". Prints the new policy's uuid.`,
  list: `Usage: gatehouse policy list [--tenant UUID] [--json]

Lists the policies of every tenant, or those the tenant UUID sees (its own, the config-managed ones
and those its ancestors share, as GET /0.1/policies with Wazo-Tenant), ordered by name: uuid, slug,
tenant, read-only, ACL size and name, or with --json the API's policy objects as one JSON array.`,
};
