import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { PasswordHasher } from '../crypto/password-hasher.ts';
import { newId } from '../crypto/token-values.ts';
import type { GroupRepository } from '../groups/group-repository.ts';
import type { PolicyRepository } from '../policies/policy-repository.ts';
import type { Tenant } from '../tenants/tenant-repository.ts';
import type { SessionRevoker } from '../tokens/session-revoker.ts';
import type { UserRepository } from '../users/user-repository.ts';
import { readSecret, writeSecret } from './data-dir-secrets.ts';
import { MASTER_POLICY_SLUG } from './provision.ts';

export const BOOTSTRAP_PASSWORD_FILE = 'bootstrap-password';

export interface BootstrapAdminDeps {
  users: UserRepository;
  groups: GroupRepository;
  policies: PolicyRepository;
  hasher: PasswordHasher;
  revoker: SessionRevoker;
  log: Logger;
  now: () => number;
  dataDir: string;
  username: string;
  /** GATEHOUSE_BOOTSTRAP_PASSWORD, when the operator chose one. */
  password: string | null;
}

export interface BootstrapOutcome {
  userUuid: string;
  action: 'created' | 'reset' | 'unchanged';
  /** Set when a password was generated: the caller prints it once. */
  generatedPassword?: string;
  passwordFile?: string;
}

/**
 * The first administrator: purpose internal (no session cap), method native, policy `#`.
 * `serve` only creates it when missing (and refuses to start when the configured password no
 * longer matches, as wazo-auth's bootstrap_user_on_startup does); `gatehouse bootstrap` also
 * resets it, idempotently, like `wazo-auth-bootstrap complete`.
 */
export async function ensureBootstrapAdmin(
  deps: BootstrapAdminDeps,
  top: Tenant,
  mode: 'serve' | 'reset',
): Promise<BootstrapOutcome> {
  const known = deps.password ?? readSecret(deps.dataDir, BOOTSTRAP_PASSWORD_FILE);
  const existing = await deps.users.findUuidByUsername(deps.username);
  if (!existing) return create(deps, top, known);
  await grantMasterPolicy(deps, top, existing);
  const candidate = await deps.users.getLoginCandidate(existing);
  const matches = known !== null && (await deps.hasher.verify(known, candidate?.password ?? null)).ok;
  if (matches && candidate?.enabled) return { userUuid: existing, action: 'unchanged' };
  if (mode === 'serve') {
    if (deps.password !== null) {
      throw new Error(
        `bootstrap user "${deps.username}" exists with another password; run "gatehouse bootstrap" to reset it`,
      );
    }
    return { userUuid: existing, action: 'unchanged' };
  }
  return reset(deps, existing, known);
}

async function create(
  deps: BootstrapAdminDeps,
  top: Tenant,
  known: string | null,
): Promise<BootstrapOutcome> {
  const password = known ?? generatePassword();
  const uuid = newId();
  const groupUuid = await deps.groups.ensureAllUsersGroup(top.uuid);
  await deps.users.insert(
    {
      uuid,
      username: deps.username,
      firstname: null,
      lastname: null,
      purpose: 'internal',
      authenticationMethod: 'native',
      enabled: true,
      tenantUuid: top.uuid,
      password: await deps.hasher.hash(password),
      email: null,
      createdAtMs: deps.now(),
    },
    groupUuid,
  );
  await grantMasterPolicy(deps, top, uuid);
  deps.log.info({ username: deps.username, user_uuid: uuid }, 'bootstrap administrator created');
  return { userUuid: uuid, action: 'created', ...(known ? {} : saveGenerated(deps, password)) };
}

async function reset(
  deps: BootstrapAdminDeps,
  uuid: string,
  known: string | null,
): Promise<BootstrapOutcome> {
  const password = known ?? generatePassword();
  await deps.users.setPassword(uuid, await deps.hasher.hash(password));
  await deps.users.setEnabled(uuid, true);
  await deps.revoker.revokeUser(uuid);
  deps.log.info({ username: deps.username, user_uuid: uuid }, 'bootstrap administrator reset');
  return { userUuid: uuid, action: 'reset', ...(known === null ? saveGenerated(deps, password) : {}) };
}

async function grantMasterPolicy(deps: BootstrapAdminDeps, top: Tenant, userUuid: string): Promise<void> {
  const policyUuid = await deps.policies.findUuidBySlug(top.uuid, MASTER_POLICY_SLUG);
  if (policyUuid) await deps.policies.attachToUser(userUuid, policyUuid);
}

function saveGenerated(deps: BootstrapAdminDeps, password: string) {
  return {
    generatedPassword: password,
    passwordFile: writeSecret(deps.dataDir, BOOTSTRAP_PASSWORD_FILE, password),
  };
}

/** 28 characters from the CSPRNG, letters and digits only, like wazo-auth-bootstrap's. */
function generatePassword(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
  const bytes = randomBytes(64);
  let out = '';
  for (const byte of bytes) {
    if (byte < alphabet.length * 4 && out.length < 28) out += alphabet[byte % alphabet.length];
  }
  return out.length === 28 ? out : generatePassword();
}
