import { DOMAIN_NAME_PATTERN, TENANT_SLUG_PATTERN } from '../tenants/tenant.ts';
import { UsageError } from './cli-support.ts';
import { strictParse, tenantOf } from './user-args.ts';

/** The command lines of `gatehouse tenant …`, checked against the API's rules (wazo §2.5). */

export interface TenantCreateArgs {
  name: string;
  slug: string | null;
  parent: string | null;
  domainNames: string[];
}

const NAME_MAX_LENGTH = 128;
const DOMAIN_NAME_MAX_LENGTH = 254;
const SLUG = new RegExp(TENANT_SLUG_PATTERN);
const DOMAIN_NAME = new RegExp(DOMAIN_NAME_PATTERN);

export function parseTenantCreate(args: string[]): TenantCreateArgs {
  const { values } = strictParse(args, {
    name: { type: 'string' },
    slug: { type: 'string' },
    parent: { type: 'string' },
    'domain-name': { type: 'string', multiple: true },
  });
  const name = values.name;
  if (typeof name !== 'string' || name === '') throw new UsageError('--name is required');
  if (name.length > NAME_MAX_LENGTH)
    throw new UsageError(`--name is longer than ${NAME_MAX_LENGTH} characters`);
  const slug = values.slug;
  if (slug !== undefined && !(typeof slug === 'string' && SLUG.test(slug))) {
    throw new UsageError('--slug must be 1 to 10 letters, digits or underscores');
  }
  const domainNames = (values['domain-name'] as string[] | undefined) ?? [];
  const bad = domainNames.find((d) => d.length > DOMAIN_NAME_MAX_LENGTH || !DOMAIN_NAME.test(d));
  if (bad !== undefined) throw new UsageError(`--domain-name is not a domain name: ${bad}`);
  return { name, slug: slug ?? null, parent: tenantOf(values.parent, '--parent'), domainNames };
}

/** `list [--json]`. */
export function parseTenantList(args: string[]): { json: boolean } {
  const { values } = strictParse(args, { json: { type: 'boolean' } });
  return { json: values.json === true };
}

export const TENANT_USAGE = `Usage: gatehouse tenant <command> [options]

Commands:
  create   create a tenant with its all-users group and default groups
  list     list tenants

Run "gatehouse tenant <command> --help" for the options of each. The commands work on the database
of GATEHOUSE_DATABASE_URL directly (no server needed); it must have been initialized by "gatehouse
bootstrap" or "gatehouse serve". Exit codes: 0 done, 1 failed (unknown parent, conflict…), 2 bad usage.`;

export const TENANT_HELP: Record<string, string> = {
  create: `Usage: gatehouse tenant create --name N [--slug S] [--parent UUID] [--domain-name D]...

Creates a tenant under the tenant UUID (default: the top tenant), as POST /0.1/tenants does: with its
"wazo-all-users-tenant-<uuid>" group holding the all_users_policies, the tenant_default_groups, and
the auth_tenant_added event (published on RabbitMQ only when amqp.enabled). The slug (1 to 10 letters,
digits or underscores, unique) defaults to one derived from the name. Prints the new tenant's uuid.`,
  list: `Usage: gatehouse tenant list [--json]

Lists every tenant, ordered by name: uuid, slug, name, parent and domain names, or with --json the
API's tenant objects as one JSON array.`,
};
