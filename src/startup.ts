import { ensureBootstrapAdmin } from './bootstrap/bootstrap-admin.ts';
import { provision } from './bootstrap/provision.ts';
import type { Container } from './container.ts';
import { migrateToLatest } from './storage/migrator.ts';

/**
 * What must be true before the first request: schema migrated, top tenant and policies provisioned,
 * bootstrap administrator present. Returns a generated password, if any, for the caller to print once.
 */
export async function prepareDatabase(container: Container, mode: 'serve' | 'reset' = 'serve') {
  const applied = await migrateToLatest(container.storage);
  if (applied.length > 0) container.log.info({ migrations: applied }, 'database migrated');
  const { repositories, config } = container;
  const top = await provision({
    tenants: repositories.tenants,
    groups: repositories.groups,
    policies: repositories.policies,
    log: container.log,
    now: () => container.clock.now(),
    config,
  });
  const admin = await ensureBootstrapAdmin(
    {
      users: repositories.users,
      groups: repositories.groups,
      policies: repositories.policies,
      hasher: container.hasher,
      revoker: container.revoker,
      log: container.log,
      now: () => container.clock.now(),
      dataDir: config.data_dir,
      username: config.bootstrap.username,
      password: config.bootstrap.password,
    },
    top,
    mode,
  );
  return { top, admin };
}
