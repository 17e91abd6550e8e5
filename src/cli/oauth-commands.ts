import type { Container } from '../container.ts';
import { isTokenShaped } from '../crypto/token-values.ts';
import type { OAuthAdminCaller } from '../oauth/clients/oauth-client-service.ts';
import { renderClient } from '../oauth/clients/oauth-client-view.ts';
import { renderScope } from '../oauth/scopes/oauth-scope-routes.ts';
import { CommandError, print } from './cli-support.ts';
import { type CommandGroup, runCommandGroup } from './command-group.ts';
import {
  OAUTH_CLIENT_HELP,
  OAUTH_CLIENT_USAGE,
  OAUTH_SCOPE_HELP,
  OAUTH_SCOPE_USAGE,
  parseClientCreate,
  parseScopeCreate,
  parseTarget,
  parseTenantOnly,
  type Target,
} from './oauth-args.ts';

/** `gatehouse oauth-client …` and `gatehouse oauth-scope …`, through the services of /0.1/oauth. */

const LIST_ALL = { order: 'name', direction: 'asc', offset: 0 } as const;

const CLIENT_COMMANDS: CommandGroup['commands'] = {
  create: async (args) => {
    const { tenant, input } = parseClientCreate(args);
    return async (container, top) => {
      const { client, secret } = await container.oauth.clientService.create(
        await operator(container, tenant ?? top),
        input,
      );
      printJson(renderClient(client, secret));
    };
  },
  list: async (args) => {
    const { tenant } = parseTenantOnly(args);
    return async (container, top) => {
      const query = { ...LIST_ALL, recurse: tenant === null };
      const { items } = await container.oauth.clientService.list(
        await operator(container, tenant ?? top),
        query,
      );
      printJson(items.map((client) => renderClient(client)));
    };
  },
  show: async (args) => {
    const target = parseTarget(args);
    return async (container, top) => {
      const { caller, uuid } = await clientTarget(container, top, target);
      printJson(renderClient(await container.oauth.clientService.get(caller, uuid)));
    };
  },
  delete: async (args) => {
    const target = parseTarget(args);
    return async (container, top) => {
      const { caller, uuid } = await clientTarget(container, top, target);
      await container.oauth.clientService.delete(caller, uuid);
      printJson({ deleted: uuid });
    };
  },
  'rotate-secret': async (args) => {
    const target = parseTarget(args);
    return async (container, top) => {
      const { caller, uuid } = await clientTarget(container, top, target);
      const { client, secret } = await container.oauth.clientService.rotateSecret(caller, uuid);
      printJson(renderClient(client, secret));
    };
  },
};

const SCOPE_COMMANDS: CommandGroup['commands'] = {
  create: async (args) => {
    const { tenant, input } = parseScopeCreate(args);
    return async (container, top) => {
      printJson(
        renderScope(
          await container.oauth.scopeService.create(await operator(container, tenant ?? top), input),
        ),
      );
    };
  },
  list: async (args) => {
    const { tenant } = parseTenantOnly(args);
    return async (container, top) => {
      const query = { ...LIST_ALL, recurse: false };
      const { items } = await container.oauth.scopeService.list(
        await operator(container, tenant ?? top),
        query,
      );
      printJson(items.map(renderScope));
    };
  },
  delete: async (args) => {
    const { reference, tenant } = parseTarget(args);
    return async (container, top) => {
      await container.oauth.scopeService.delete(await operator(container, tenant ?? top), reference);
      printJson({ deleted: reference });
    };
  },
};

export function runOAuthClientCli(args: string[]): Promise<number> {
  return runCommandGroup(
    { name: 'oauth-client', usage: OAUTH_CLIENT_USAGE, help: OAUTH_CLIENT_HELP, commands: CLIENT_COMMANDS },
    args,
  );
}

export function runOAuthScopeCli(args: string[]): Promise<number> {
  return runCommandGroup(
    { name: 'oauth-scope', usage: OAUTH_SCOPE_USAGE, help: OAUTH_SCOPE_HELP, commands: SCOPE_COMMANDS },
    args,
  );
}

/**
 * The operator holds the database, so it acts with the full ACL `#` (as `gatehouse policy` does),
 * scoped to the tenant it names.
 */
async function operator(container: Container, tenantUuid: string): Promise<OAuthAdminCaller> {
  if (!(await container.repositories.tenants.get(tenantUuid))) {
    throw new CommandError(`unknown tenant: ${tenantUuid}`);
  }
  return {
    tenantUuid,
    token: { acl: ['#'], authId: 'gatehouse-cli', sessionUuid: '00000000-0000-0000-0000-000000000000' },
  };
}

/** A client named by uuid or by client_id (client_ids are unique across tenants). */
async function clientTarget(container: Container, top: string, target: Target) {
  const caller = await operator(container, target.tenant ?? top);
  if (isTokenShaped(target.reference)) return { caller, uuid: target.reference.toLowerCase() };
  const client = await container.oauth.repositories.clients.findByClientId(target.reference);
  if (!client) throw new CommandError(`no such OAuth client: ${target.reference}`);
  return { caller, uuid: client.uuid };
}

function printJson(value: unknown): void {
  print(JSON.stringify(value, null, 2));
}
