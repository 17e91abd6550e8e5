// Writes the generated references: docs/config.md from the config schema, docs/errors.md from
// the error catalog, and the configuration table between the README's config-table markers. With --check it writes nothing and exits 1 when a file on disk differs from
// what would be generated (CI runs it so the docs cannot drift).
// Usage: node --import tsx scripts/generate-docs.ts [--check]
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderConfigDocs, renderConfigTable } from '../src/config/config-docs.ts';
import { renderErrorDocs } from '../src/errors/error-docs.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const START = '<!-- config-table:start -->';
const END = '<!-- config-table:end -->';

/** Replaces what stands between the README's markers, leaving the rest as written by hand. */
function spliceReadme(current: string | null): string {
  const text = current ?? '';
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md lacks the ${START} … ${END} markers`);
  return `${text.slice(0, start + START.length)}\n${renderConfigTable().trimEnd()}\n${text.slice(end)}`;
}

const GENERATED: ReadonlyArray<{ path: string; render: (current: string | null) => string }> = [
  { path: 'docs/config.md', render: () => renderConfigDocs() },
  { path: 'docs/errors.md', render: () => renderErrorDocs() },
  { path: 'README.md', render: spliceReadme },
];

function main(argv: string[]): number {
  const unknown = argv.filter((a) => a !== '--check');
  if (unknown.length > 0) {
    process.stderr.write(`unknown argument: ${unknown.join(' ')}\nusage: generate-docs [--check]\n`);
    return 2;
  }
  const check = argv.includes('--check');
  let stale = 0;
  for (const file of GENERATED) {
    const path = join(root, file.path);
    const current = existsSync(path) ? readFileSync(path, 'utf8') : null;
    const expected = file.render(current);
    if (current === expected) continue;
    if (check) {
      stale += 1;
      process.stderr.write(`${file.path} is out of date; run \`npm run docs\`\n`);
    } else {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, expected);
      process.stdout.write(`wrote ${relative(root, path)}\n`);
    }
  }
  return stale > 0 ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
