import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';

const root = new URL('../..', import.meta.url).pathname;
const bin = join(root, 'bin/gatehouse.js');
const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

function environment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    GATEHOUSE_DATA_DIR: dataDir,
    GATEHOUSE_DATABASE_URL: `sqlite:${join(dataDir, 'gatehouse.db')}`,
    GATEHOUSE_LOG_LEVEL: 'warn',
    ...extra,
  };
}

function runCli(args: string[], extra: Record<string, string> = {}) {
  return spawnSync(process.execPath, [bin, ...args], {
    env: environment(extra),
    encoding: 'utf8',
    timeout: 60_000,
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address ? address.port : 0;
}

async function waitForReady(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 150 && child.exitCode === null; i += 1) {
    const ready = await fetch(url, { method: 'HEAD' }).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('server did not become ready');
}

describe('the gatehouse command', () => {
  test('--help on each command explains it and exits 0', () => {
    for (const args of [['--help'], ['serve', '--help'], ['migrate', '--help'], ['bootstrap', '--help']]) {
      const result = runCli(args);
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, /Usage: gatehouse/);
    }
    assert.equal(runCli(['frobnicate']).status, 2);
  });

  test('invalid configuration stops with every problem listed and no secret echoed', () => {
    const result = runCli(['migrate'], { GATEHOUSE_PORT: 'abc', GATEHOUSE_LOG_LEVEL: 'loud' });
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /\/port/);
    assert.match(result.stderr, /\/log_level/);
  });

  test('serve creates the database and the administrator, prints the password once, stops on SIGTERM', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [bin, 'serve'], {
      env: environment({ GATEHOUSE_PORT: String(port) }),
    });
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitForReady(`http://127.0.0.1:${port}/0.1/status`, child);
      const passwordFile = join(dataDir, 'bootstrap-password');
      const password = readFileSync(passwordFile, 'utf8').trim();
      assert.equal(statSync(passwordFile).mode & 0o777, 0o600);
      assert.ok(stdout.includes(password), 'the generated password is printed once');
      const login = await fetch(`http://127.0.0.1:${port}/0.1/token`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Authorization: `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`,
        },
        body: JSON.stringify({ expiration: 3600 }),
      });
      assert.equal(login.status, 200);
      const started = Date.now();
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      assert.ok(Date.now() - started < 10_000, 'exits within 10 s');
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('D65 bootstrap is idempotent and resets a forgotten administrator', () => {
    const first = runCli(['bootstrap']);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /unchanged/);
    rmSync(join(dataDir, 'bootstrap-password'));
    const reset = runCli(['bootstrap']);
    assert.equal(reset.status, 0, reset.stderr);
    assert.match(reset.stdout, /reset/);
    const password = readFileSync(join(dataDir, 'bootstrap-password'), 'utf8').trim();
    assert.ok(reset.stdout.includes(password));
    assert.match(runCli(['bootstrap']).stdout, /unchanged/);
    assert.match(runCli(['migrate']).stdout, /up to date/);
  });
});
