import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
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

/** Runs the command on the SQLite file of `server` (its data dir), logging warnings only. */
export function runGatehouse(server: TestServer, args: string[], options: CliOptions = {}): CliResult {
  const result = spawnSync(process.execPath, [bin, ...args], {
    env: {
      PATH: process.env.PATH,
      GATEHOUSE_DATA_DIR: server.database.dataDir,
      GATEHOUSE_DATABASE_URL: server.database.url,
      GATEHOUSE_LOG_LEVEL: 'warn',
      ...options.env,
    },
    input: options.stdin ?? '',
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
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
