#!/usr/bin/env node
// Runs every *.test.ts under src/ with node's test runner through tsx. Node 20 neither strips
// types nor expands --test globs, so the files are listed here. Extra arguments are passed on
// (e.g. `npm test -- --test-name-pattern=B22`); file paths given as arguments replace the list.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

function findTests(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return findTests(path);
    return entry.name.endsWith('.test.ts') ? [relative(root, path)] : [];
  });
}

const args = process.argv.slice(2);
const explicitFiles = args.filter((a) => a.endsWith('.ts'));
const flags = args.filter((a) => !a.endsWith('.ts'));
const files = explicitFiles.length > 0 ? explicitFiles : findTests(join(root, 'src')).sort();
const concurrency = process.env.TEST_CONCURRENCY ?? '2';

const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...flags, ...files],
  { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } },
);
process.exit(result.status ?? 1);
