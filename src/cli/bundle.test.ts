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
