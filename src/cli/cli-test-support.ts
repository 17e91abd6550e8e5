import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { TestServer } from '../testing/test-server.ts';

/** Test support: `gatehouse …` run as a real process (bin/gatehouse.js) on a test server's database. */

const bin = join(new URL('../..', import.meta.url).pathname, 'bin/gatehouse.js');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  stdin?: string;
  env?: Record<string, string>;
}

/**
 * Runs the command on the database of `server`, logging warnings only. Asynchronous on purpose: the
 * test server lives in this process, and a synchronous spawn froze it (and the HTTP client's
 * keep-alive timers) for seconds, which made the next request fail under load.
 */
export function runGatehouse(
  server: TestServer,
  args: string[],
  options: CliOptions = {},
): Promise<CliResult> {
  const child = spawn(process.execPath, [bin, ...args], {
    env: {
      PATH: process.env.PATH,
      GATEHOUSE_DATA_DIR: server.database.dataDir,
      GATEHOUSE_DATABASE_URL: server.database.url,
      GATEHOUSE_LOG_LEVEL: 'warn',
      ...options.env,
    },
    timeout: 60_000,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  child.stdin.end(options.stdin ?? '');
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Asserts exit 0 and returns standard output. */
export function succeeded(result: CliResult): string {
  assert.equal(result.status, 0, `stdout: ${result.stdout}\nstderr: ${result.stderr}`);
  return result.stdout;
}

/** Asserts the exit code and the message on standard error. */
export function failed(result: CliResult, code: number, message: RegExp): void {
  assert.equal(result.status, code, `stdout: ${result.stdout}\nstderr: ${result.stderr}`);
  assert.match(result.stderr, message);
}

/** The uuid in `created <kind> "name" (uuid) …`. */
export function createdUuid(kind: string, stdout: string): string {
  const match = new RegExp(`created ${kind} "[^"]*" \\(([0-9a-f-]{36})\\)`).exec(stdout);
  assert.ok(match, stdout);
  return match[1] as string;
}
