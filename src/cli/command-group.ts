import type { Container } from '../container.ts';
import { describeFailure, EXIT_FAILED, EXIT_USAGE, print, UsageError, withDatabase } from './cli-support.ts';

/** What a subcommand does once its arguments are parsed: work on the prepared database. */
export type Work = (container: Container, topTenantUuid: string) => Promise<void>;

/** `gatehouse <name> <command> …`: the subcommands of one noun (user, tenant, policy). */
export interface CommandGroup {
  name: string;
  usage: string;
  help: Record<string, string>;
  /** Each parses its arguments (and reads stdin) first, so bad usage never opens the database. */
  commands: Record<string, (args: string[]) => Promise<Work>>;
}

/** Runs one subcommand of the group; returns the exit code (0 done, 1 failed, 2 bad usage). */
export async function runCommandGroup(group: CommandGroup, args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === '--help' || name === '-h') {
    (name ? process.stdout : process.stderr).write(`${group.usage}\n`);
    return name ? 0 : EXIT_USAGE;
  }
  const command = Object.hasOwn(group.commands, name) ? group.commands[name] : undefined;
  if (!command) {
    process.stderr.write(`unknown command: ${group.name} ${name}\n\n${group.usage}\n`);
    return EXIT_USAGE;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    print(group.help[name] as string);
    return 0;
  }
  try {
    await withDatabase(await command(rest));
    return 0;
  } catch (error) {
    return reportFailure(`${group.name} ${name}`, error);
  }
}

/** Expected failures become a message and an exit code; anything else (a bug, an outage) propagates. */
function reportFailure(command: string, error: unknown): number {
  if (error instanceof UsageError) {
    process.stderr.write(`gatehouse ${command}: ${error.message}\n(see "gatehouse ${command} --help")\n`);
    return EXIT_USAGE;
  }
  const message = describeFailure(error);
  if (message === null) throw error;
  process.stderr.write(`gatehouse ${command}: ${message}\n`);
  return EXIT_FAILED;
}

/** Rows as left-aligned columns two spaces apart; the first row is the header. */
export function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** A table, or `none` (e.g. "no users") when there is no row. */
export function printTable(header: string[], rows: string[][], none: string): void {
  print(rows.length === 0 ? none : table([header, ...rows]));
}
