import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { bundledCli, loadCli } from '../../bin/bundle.js';

const root = new URL('../..', import.meta.url).pathname;
const scratch = mkdtempSync(join(tmpdir(), 'gatehouse-bundle-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function cacheDir(name: string): string {
  const path = join(scratch, name);
  mkdirSync(path);
  return path;
}

describe('bin/bundle.js: the sources bundled at start', () => {
  test('concurrent starts share one bundle, named by its contents, with its source map', async () => {
    const cache = cacheDir('shared');
    const paths = await Promise.all([bundledCli(cache), bundledCli(cache), bundledCli(cache)]);
    assert.equal(new Set(paths).size, 1);
    assert.deepEqual(readdirSync(cache), [dirname(paths[0] as string).slice(cache.length + 1)]);
    assert.deepEqual(readdirSync(dirname(paths[0] as string)).sort(), ['cli.mjs', 'cli.mjs.map']);
    assert.equal(await bundledCli(cache), paths[0]);
  });

  test("esbuild's service process does not outlive the build", () => {
    // In a plain Node process: this one runs tsx, which keeps a service of its own.
    const script = `
      import { readdirSync, readFileSync } from 'node:fs';
      import { bundledCli } from ${JSON.stringify(new URL('../../bin/bundle.js', import.meta.url).href)};
      const children = () => readdirSync('/proc').filter((entry) => {
        try {
          const stat = readFileSync('/proc/' + entry + '/stat', 'utf8');
          return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid;
        } catch { return false; }
      });
      await bundledCli(process.env.BUNDLE_CACHE);
      // Stopped with a signal: it may take a moment to exit (before, it stayed for the process's life).
      for (let wait = 0; wait < 100 && children().length > 0; wait++) await new Promise((r) => setTimeout(r, 50));
      console.log(JSON.stringify(children()));
    `;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH, BUNDLE_CACHE: cacheDir('service') },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), []);
  });

  test("each bundled module keeps its own source's import.meta.url (the hashing worker is found)", async () => {
    const text = readFileSync(await bundledCli(cacheDir('urls')), 'utf8');
    const hashPool = new URL('../crypto/hash-pool.ts', import.meta.url).href;
    assert.ok(text.includes(`new URL("./hash-worker.mjs", ${JSON.stringify(hashPool)})`));
    assert.doesNotMatch(text, /import\.meta/);
  });

  test('bundles of other sources are removed after a week unused, not before', async () => {
    const cache = cacheDir('stale');
    const day = 24 * 3600;
    const now = Date.now() / 1000;
    for (const [name, ageDays] of [
      ['old', 8],
      ['recent', 6],
    ] as const) {
      mkdirSync(join(cache, name));
      utimesSync(join(cache, name), now - ageDays * day, now - ageDays * day);
    }
    const current = dirname(await bundledCli(cache)).slice(cache.length + 1);
    assert.deepEqual(readdirSync(cache).sort(), [current, 'recent'].sort());
  });

  test('a bundle that cannot be written: the sources run through tsx, and stderr says so', async () => {
    const notADirectory = join(scratch, 'file');
    writeFileSync(notADirectory, '');
    const written: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string) => written.push(String(chunk)) > 0) as typeof write;
    try {
      const cli = await loadCli(notADirectory);
      assert.equal(typeof cli.runCli, 'function');
    } finally {
      process.stderr.write = write;
    }
    assert.equal(written.length, 1);
    assert.match(written[0] as string, /^gatehouse: running from source, the bundle failed: /);
  });

  test('the command gives the same answers bundled and from source', () => {
    const run = (env: Record<string, string>) =>
      spawnSync(process.execPath, [join(root, 'bin/gatehouse.js'), 'serve', '--help'], {
        env: { PATH: process.env.PATH, ...env },
        encoding: 'utf8',
        timeout: 60_000,
      });
    const bundled = run({});
    const fromSource = run({ GATEHOUSE_RUN_FROM_SOURCE: '1' });
    assert.equal(bundled.status, 0, bundled.stderr);
    assert.equal(bundled.stderr, '');
    assert.match(bundled.stdout, /serve/);
    assert.deepEqual([fromSource.status, fromSource.stdout, fromSource.stderr], [0, bundled.stdout, '']);
  });
});
