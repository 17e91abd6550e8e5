import type { Container } from '../container.ts';
import { renderPolicy } from '../policies/policy.ts';
import type { PolicyCaller } from '../policies/policy-service.ts';
import { CommandError, print } from './cli-support.ts';
import { type CommandGroup, printTable, runCommandGroup } from './command-group.ts';
import {
  POLICY_HELP,
  POLICY_USAGE,
  type PolicyCreateArgs,
  type PolicyListArgs,
  parsePolicyCreate,
  parsePolicyList,
} from './policy-args.ts';

/** `gatehouse policy …`, through the policy service as POST and GET /0.1/policies. */
const COMMANDS: CommandGroup['commands'] = {
  create: async (args) => {
    const parsed = parsePolicyCreate(args);
    return (container, top) => createPolicy(container, top, parsed);
  },
  list: async (args) => {
    const parsed = parsePolicyList(args);
    return (container, top) => listPolicies(container, top, parsed);
  },
};

/** `gatehouse policy …`: returns the exit code. */
export function runPolicyCli(args: string[]): Promise<number> {
  return runCommandGroup(
    { name: 'policy', usage: POLICY_USAGE, help: POLICY_HELP, commands: COMMANDS },
    args,
  );
}

/**
 * The operator: whoever runs the command already holds the database, so it acts with the full
 * ACL `#` (the grant guard lets it put any access in a policy), scoped to the tenant it names.
 */
function operatorIn(tenantUuid: string): PolicyCaller {
  return {
    tenantUuid,
    token: { acl: ['#'], authId: 'gatehouse-cli', sessionUuid: '00000000-0000-0000-0000-000000000000' },
  };
}

async function knownTenant(container: Container, tenantUuid: string): Promise<void> {
  if (!(await container.repositories.tenants.get(tenantUuid))) {
    throw new CommandError(`unknown tenant: ${tenantUuid}`);
  }
}

async function createPolicy(container: Container, top: string, args: PolicyCreateArgs) {
  const tenantUuid = args.tenant ?? top;
  await knownTenant(container, tenantUuid);
  const { policy } = await container.policyService.create(operatorIn(tenantUuid), {
    name: args.name,
    slug: args.slug ?? undefined,
    description: args.description,
    acl: args.acl,
  });
  print(`created policy "${policy.name}" (${policy.uuid}) with slug ${policy.slug} in tenant ${tenantUuid}`);
  print(`acl: ${policy.acl.length > 0 ? policy.acl.join(' ') : '(empty)'}`);
}

/** Without --tenant: every tenant's policies (the top tenant's view, recursive). */
async function listPolicies(container: Container, top: string, args: PolicyListArgs) {
  const tenantUuid = args.tenant ?? top;
  await knownTenant(container, tenantUuid);
  const params = { order: 'name', direction: 'asc', offset: 0, recurse: args.tenant === null } as const;
  const { items, visibility } = await container.policyService.list(operatorIn(tenantUuid), params);
  const rendered = items.map((policy) => renderPolicy(policy, visibility));
  if (args.json) {
    print(JSON.stringify(rendered, null, 2));
    return;
  }
  const rows = rendered.map((p) => [
    p.uuid,
    p.slug,
    p.tenant_uuid,
    p.read_only ? 'yes' : 'no',
    String(p.acl.length),
    p.name,
  ]);
  printTable(['UUID', 'SLUG', 'TENANT', 'READ_ONLY', 'ACL', 'NAME'], rows, 'no policies');
}
