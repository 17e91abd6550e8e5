import type { Container } from '../container.ts';
import type { User } from '../users/user.ts';
import { renderUser } from '../users/user-routes.ts';
import { CommandError, generatePassword, print, readStdin, UsageError } from './cli-support.ts';
import { type CommandGroup, printTable, runCommandGroup } from './command-group.ts';
import {
  type CreateArgs,
  type ListArgs,
  type PasswordSource,
  parseCreate,
  parseDisable,
  parseList,
  parseSetPassword,
  parseUnlock,
  type SetPasswordArgs,
  USER_HELP,
  USER_USAGE,
} from './user-args.ts';

/** Each subcommand parses its arguments (and reads stdin) first, then works on the database. */
const COMMANDS: CommandGroup['commands'] = {
  create: async (args) => {
    const parsed = parseCreate(args);
    const password = await resolvePassword(parsed.password);
    return (container, top) => createUser(container, top, parsed, password);
  },
  list: async (args) => {
    const parsed = parseList(args);
    return (container) => listUsers(container, parsed);
  },
  disable: async (args) => {
    const ref = parseDisable(args);
    return (container) => disableUser(container, ref);
  },
  unlock: async (args) => {
    const login = parseUnlock(args);
    return (container) => unlockLogin(container, login);
  },
  'set-password': async (args) => {
    const parsed = parseSetPassword(args);
    const password = await resolvePassword(parsed.password);
    return (container) => setPassword(container, parsed, password);
  },
};

/** `gatehouse user …`: returns the exit code. */
export function runUserCli(args: string[]): Promise<number> {
  return runCommandGroup({ name: 'user', usage: USER_USAGE, help: USER_HELP, commands: COMMANDS }, args);
}

/** The password to set, and whether it was generated (then, and only then, it is printed). */
interface ChosenPassword {
  value: string;
  generated: boolean;
}

async function resolvePassword(source: PasswordSource): Promise<ChosenPassword> {
  if (source.kind === 'given') return { value: source.value, generated: false };
  if (source.kind === 'generate') return { value: generatePassword(), generated: true };
  const value = await readStdin();
  if (value === '') throw new UsageError('--password-stdin: standard input is empty');
  return { value, generated: false };
}

async function createUser(container: Container, top: string, args: CreateArgs, password: ChosenPassword) {
  const tenantUuid = args.tenant ?? top;
  if (!(await container.repositories.tenants.get(tenantUuid))) {
    throw new CommandError(`unknown tenant: ${tenantUuid}`);
  }
  const policyUuids = await policiesBySlug(container, tenantUuid, args.policies);
  const user = await container.userService.createInTenant(tenantUuid, {
    username: args.username,
    purpose: args.purpose,
    password: password.value,
  });
  for (const policyUuid of policyUuids) {
    await container.repositories.policies.attachToUser(user.uuid, policyUuid);
  }
  print(`created user "${user.username}" (${user.uuid}) in tenant ${tenantUuid}`);
  if (args.policies.length > 0) print(`policies: ${args.policies.join(', ')}`);
  if (password.generated) print(`password: ${password.value}`);
}

/** Every slug resolved before the user is created, so a typo creates nothing. */
async function policiesBySlug(container: Container, tenantUuid: string, slugs: string[]): Promise<string[]> {
  const uuids: string[] = [];
  for (const slug of slugs) {
    const uuid = await container.repositories.policies.findUuidBySlug(tenantUuid, slug);
    if (!uuid) throw new CommandError(`unknown policy in tenant ${tenantUuid}: ${slug}`);
    uuids.push(uuid);
  }
  return uuids;
}

async function listUsers(container: Container, args: ListArgs) {
  if (args.tenant && !(await container.repositories.tenants.get(args.tenant))) {
    throw new CommandError(`unknown tenant: ${args.tenant}`);
  }
  const { items } = await container.userService.listForOperator(args.tenant);
  if (args.json) {
    print(JSON.stringify(items.map(renderUser), null, 2));
    return;
  }
  printTable(['UUID', 'USERNAME', 'PURPOSE', 'ENABLED', 'TENANT'], items.map(row), 'no users');
}

function row(user: User): string[] {
  return [user.uuid, user.username ?? '-', user.purpose, user.enabled ? 'yes' : 'no', user.tenantUuid];
}

async function disableUser(container: Container, ref: string) {
  const user = await container.userService.findAnywhere(ref);
  const ended = await container.userService.disable(user.uuid);
  print(`disabled user "${user.username ?? user.uuid}" (${user.uuid}); sessions ended: ${ended}`);
}

async function setPassword(container: Container, args: SetPasswordArgs, password: ChosenPassword) {
  const user = await container.userService.findAnywhere(args.user);
  const ended = await container.userService.setPassword(user.uuid, password.value);
  print(`password set for user "${user.username ?? user.uuid}" (${user.uuid}); sessions ended: ${ended}`);
  if (password.generated) print(`password: ${password.value}`);
}

/** A login names an enabled user's counters by its UUID, and anything else's by the name itself. */
async function unlockLogin(container: Container, login: string) {
  const user = await container.repositories.users.findLoginCandidate(login);
  const cleared = await container.loginGate.unlock(login, user?.uuid ?? null);
  print(`unlocked login "${login}": ${cleared} counter(s) cleared`);
}
