import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { loadConfig } from '../config/config-loader.ts';
import { buildContainer, type Container } from '../container.ts';
import { DomainError } from '../errors/domain-error.ts';
import { ERROR_CATALOG } from '../errors/error-catalog.ts';
import { buildLoggerOptions } from '../logging/logger-options.ts';
import { migrateToLatest } from '../storage/migrator.ts';

/** Exit codes of the management commands: 1 the operation failed, 2 the command line is wrong. */
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** A wrong command line (unknown option, missing argument…): exit 2 with a pointer to --help. */
export class UsageError extends Error {}

/** The operation could not be done (unknown user or tenant…): exit 1 with the message. */
export class CommandError extends Error {}

/** What the operator sees for a failure the command expects, or null for a bug or an outage. */
export function describeFailure(error: unknown): string | null {
  if (error instanceof CommandError) return error.message;
  if (!(error instanceof DomainError)) return null;
  const fields = Object.entries(error.options.details ?? {}).flatMap(([field, detail]) => {
    const message = (detail as { message?: unknown } | null)?.message;
    return typeof message === 'string' ? [`${field}: ${message}`] : [];
  });
  if (fields.length > 0) return fields.join('; ');
  return error.options.message ?? ERROR_CATALOG[error.code].message;
}

/** The whole of standard input, without the one line break that `echo` or a heredoc appends. */
export async function readStdin(stream: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** A random password for the operator to hand over: 24 URL-safe characters (144 bits). */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

export function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

/**
 * Runs `work` on a container over the configured database, migrated to the latest schema and
 * already provisioned (the top tenant must exist). Logs go to stderr so stdout stays parseable.
 */
export async function withDatabase<T>(work: (container: Container, topTenantUuid: string) => Promise<T>) {
  const config = loadConfig();
  const logger = pino(buildLoggerOptions(config.log_level), pino.destination(2));
  const container = buildContainer(config, { logger });
  try {
    await migrateToLatest(container.storage);
    const top = await container.repositories.tenants.findTop();
    if (!top) {
      throw new CommandError(
        'the database has no top tenant yet: run "gatehouse bootstrap" (or start "gatehouse serve") first',
      );
    }
    return await work(container, top.uuid);
  } finally {
    await container.close();
  }
}
