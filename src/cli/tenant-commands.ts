import type { Container } from '../container.ts';
import type { TenantDetails } from '../tenants/tenant.ts';
import { renderTenant } from '../tenants/tenant-routes.ts';
import type { TenantScope } from '../tenants/tenant-service.ts';
import { CommandError, print } from './cli-support.ts';
import { type CommandGroup, printTable, runCommandGroup } from './command-group.ts';
import {
  parseTenantCreate,
  parseTenantList,
  TENANT_HELP,
  TENANT_USAGE,
  type TenantCreateArgs,
} from './tenant-args.ts';

/**
 * `gatehouse tenant …`. The operator acts from the top tenant, so it sees and may create under any
 * tenant; creation goes through the tenant service so a tenant gets exactly what the API gives it.
 */
const COMMANDS: CommandGroup['commands'] = {
  create: async (args) => {
    const parsed = parseTenantCreate(args);
    return (container, top) => createTenant(container, top, parsed);
  },
  list: async (args) => {
    const { json } = parseTenantList(args);
    return (container, top) => listTenants(container, top, json);
  },
};

/** `gatehouse tenant …`: returns the exit code. */
export function runTenantCli(args: string[]): Promise<number> {
  return runCommandGroup(
    { name: 'tenant', usage: TENANT_USAGE, help: TENANT_HELP, commands: COMMANDS },
    args,
  );
}

function operatorIn(top: string, tenantUuid: string): TenantScope {
  return { tenantUuid, callerTenantUuid: top };
}

async function createTenant(container: Container, top: string, args: TenantCreateArgs) {
  const parent = args.parent ?? top;
  if (!(await container.repositories.tenants.get(parent))) {
    throw new CommandError(`unknown tenant: ${parent}`);
  }
  const tenant = await container.tenantService.create(operatorIn(top, parent), {
    name: args.name,
    slug: args.slug,
    domain_names: args.domainNames,
  });
  print(`created tenant "${tenant.name}" (${tenant.uuid}) with slug ${tenant.slug} under ${parent}`);
  if (tenant.domainNames.length > 0) print(`domain names: ${tenant.domainNames.join(', ')}`);
}

async function listTenants(container: Container, top: string, json: boolean) {
  const params = { order: 'name', direction: 'asc', offset: 0, recurse: true } as const;
  const { items } = await container.tenantService.list(operatorIn(top, top), params);
  if (json) {
    print(JSON.stringify(items.map(renderTenant), null, 2));
    return;
  }
  printTable(['UUID', 'SLUG', 'PARENT', 'DOMAINS', 'NAME'], items.map(row), 'no tenants');
}

function row(tenant: TenantDetails): string[] {
  const domains = tenant.domainNames.length > 0 ? tenant.domainNames.join(',') : '-';
  return [tenant.uuid, tenant.slug, tenant.parentUuid, domains, tenant.name ?? '-'];
}
