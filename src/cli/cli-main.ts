import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/config-loader.ts';
import { buildContainer } from '../container.ts';
import { serve } from '../main.ts';
import { prepareDatabase } from '../startup.ts';
import { migrateToLatest } from '../storage/migrator.ts';
import { runOAuthClientCli, runOAuthScopeCli } from './oauth-commands.ts';
import { runPolicyCli } from './policy-commands.ts';
import { runTenantCli } from './tenant-commands.ts';
import { runUserCli } from './user-commands.ts';

const USAGE = `Usage: gatehouse <command> [--help]

Commands:
  serve       start the HTTP server (migrates and provisions the database first)
  migrate     apply pending database migrations and exit
  bootstrap   create the first administrator, or reset it, and exit
  user        manage users: create, list, disable, set-password (see "gatehouse user --help")
  tenant      manage tenants: create, list (see "gatehouse tenant --help")
  policy      manage policies: create, list (see "gatehouse policy --help")
  oauth-client  manage OAuth clients: create, list, show, delete, rotate-secret
  oauth-scope   manage OAuth scopes: create, list, delete

Configuration comes from GATEHOUSE_* environment variables and the YAML file named by
GATEHOUSE_CONFIG (see docs/config.md).`;

/** The nouns with subcommands of their own, each parsing its command line. */
const COMMAND_GROUPS: Record<string, (args: string[]) => Promise<number>> = {
  user: runUserCli,
  tenant: runTenantCli,
  policy: runPolicyCli,
  'oauth-client': runOAuthClientCli,
  'oauth-scope': runOAuthScopeCli,
};

const HELP: Record<string, string> = {
  serve: `Usage: gatehouse serve

Starts Gatehouse on GATEHOUSE_HOST:GATEHOUSE_PORT (default 127.0.0.1:9497) with the database of
GATEHOUSE_DATABASE_URL (default sqlite:./data/gatehouse.db). On first start it creates the
schema, the top tenant and the administrator GATEHOUSE_BOOTSTRAP_USERNAME (default admin) whose
password is GATEHOUSE_BOOTSTRAP_PASSWORD, or a generated one printed once and saved to
<data_dir>/bootstrap-password. SIGTERM stops it gracefully.`,
  migrate: `Usage: gatehouse migrate

Applies every pending migration to GATEHOUSE_DATABASE_URL and exits. Safe to run while other
instances run: migrations take a lock and apply once.`,
  bootstrap: `Usage: gatehouse bootstrap

Ensures the administrator GATEHOUSE_BOOTSTRAP_USERNAME exists with the "#" ACL. The password is
GATEHOUSE_BOOTSTRAP_PASSWORD, else the one saved in <data_dir>/bootstrap-password, else a new
generated one (printed and saved). When the stored password no longer works, the administrator is
reset: new password, re-enabled, sessions ended. Running it twice changes nothing the second time.`,
};

export async function runCli(argv: string[]): Promise<number> {
  const noun = argv[0];
  const group = noun !== undefined && Object.hasOwn(COMMAND_GROUPS, noun) ? COMMAND_GROUPS[noun] : undefined;
  if (group) return group(argv.slice(1));
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { help: { type: 'boolean', short: 'h' } },
  });
  const command = positionals[0];
  if (!command || !(command in HELP)) {
    (command ? process.stderr : process.stdout).write(
      `${command ? `unknown command: ${command}\n\n` : ''}${USAGE}\n`,
    );
    return command || !values.help ? 2 : 0;
  }
  if (values.help) {
    process.stdout.write(`${HELP[command]}\n`);
    return 0;
  }
  const config = loadConfig();
  if (command === 'serve') {
    await serve(config);
    return -1;
  }
  const container = buildContainer(config);
  try {
    if (command === 'migrate') {
      const applied = await migrateToLatest(container.storage);
      process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
    } else {
      const { admin } = await prepareDatabase(container, 'reset');
      process.stdout.write(`administrator "${config.bootstrap.username}": ${admin.action}\n`);
      if (admin.generatedPassword) {
        process.stdout.write(
          `password: ${admin.generatedPassword}\n(saved in ${admin.passwordFile}, mode 0600)\n`,
        );
      }
    }
  } finally {
    await container.close();
  }
  return 0;
}

export function reportFatal(error: unknown): number {
  if (error instanceof ConfigError) {
    process.stderr.write(`gatehouse: ${error.message}\n`);
    return 78;
  }
  process.stderr.write(`gatehouse: ${(error as Error)?.message ?? String(error)}\n`);
  return 1;
}
