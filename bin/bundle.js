// How `gatehouse` loads its TypeScript sources. At each start they are bundled into one ES module
// (esbuild, about 0.2 s) and that module is imported with plain Node. Running them through tsx's
// loader instead keeps a second JavaScript engine (the loader thread) and every transformed file in
// memory for the life of the process: about 60 MB of a server's 170 MB at rest (issue #4, measured
// with `process.memoryUsage()`), which the 1M-cached-tokens target cannot spare.
// GATEHOUSE_RUN_FROM_SOURCE=1 runs the sources through tsx, as tests do; it is also the fallback when
// the bundle cannot be written (a read-only install), with one line on stderr saying so.
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ENTRY = join(ROOT, 'src/cli/cli-main.ts');
const CACHE = join(ROOT, 'node_modules/.cache/gatehouse');
const OUTPUT_NAME = 'cli.mjs';
/** Bundles of other source versions are removed once nothing has started them for this long. */
const STALE_MS = 7 * 24 * 3600 * 1000;

/** The CLI's module (`runCli`, `reportFatal`), bundled, or from source when asked or when bundling fails. */
export async function loadCli(cache = CACHE) {
  if (process.env.GATEHOUSE_RUN_FROM_SOURCE === '1') return fromSource();
  let file;
  try {
    file = await bundledCli(cache);
  } catch (error) {
    process.stderr.write(`gatehouse: running from source, the bundle failed: ${error?.message ?? error}\n`);
    return fromSource();
  }
  return import(pathToFileURL(file).href);
}

async function fromSource() {
  const { register } = await import('tsx/esm/api');
  register();
  return import(pathToFileURL(ENTRY).href);
}

/**
 * Builds the bundle under `cache` and returns its path. Its directory is named after a digest of
 * its contents, so processes started together (tests, several instances) share one copy: each
 * writes into a directory of its own and renames it into place; the first rename wins and the
 * others discard theirs.
 */
export async function bundledCli(cache = CACHE) {
  const result = await build(buildOptions(cache));
  const digest = createHash('sha256');
  for (const output of result.outputFiles) digest.update(output.contents);
  const directory = join(cache, digest.digest('hex').slice(0, 16));
  if (!existsSync(directory)) place(result.outputFiles, directory);
  const now = new Date();
  utimesSync(directory, now, now);
  removeStale(cache, directory);
  return join(directory, OUTPUT_NAME);
}

let building = 0;

/** The build runs in esbuild's service process, stopped after the last build (else it lives on, 48 MB). */
async function build(options) {
  const esbuild = await import('esbuild');
  building += 1;
  try {
    return await esbuild.build(options);
  } finally {
    building -= 1;
    if (building === 0) await esbuild.stop();
  }
}

function buildOptions(cache) {
  return {
    entryPoints: [ENTRY],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: `node${process.versions.node}`,
    packages: 'external',
    outfile: join(cache, 'pending', OUTPUT_NAME),
    sourcemap: 'linked',
    write: false,
    logLevel: 'silent',
    plugins: [keepModuleUrls],
  };
}

/**
 * Bundled modules share one file, so `import.meta.url` would point at the bundle; the sources use
 * it to find files beside them (the password-hashing worker). Each module keeps its own source's URL.
 */
const keepModuleUrls = {
  name: 'keep-module-urls',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes('import.meta.url')) return undefined;
      const url = JSON.stringify(pathToFileURL(args.path).href);
      return { contents: source.replaceAll('import.meta.url', url), loader: 'ts' };
    });
  },
};

function place(outputs, directory) {
  const pending = `${directory}.${process.pid}.pending`;
  mkdirSync(pending, { recursive: true });
  for (const output of outputs) {
    writeFileSync(join(pending, basename(output.path)), output.contents);
  }
  try {
    renameSync(pending, directory);
  } catch (error) {
    rmSync(pending, { recursive: true, force: true });
    if (!existsSync(directory)) throw error;
  }
}

function removeStale(cache, current) {
  const now = Date.now();
  for (const name of readdirSync(cache)) {
    const path = join(cache, name);
    if (path === current) continue;
    try {
      if (now - statSync(path).mtimeMs > STALE_MS) rmSync(path, { recursive: true, force: true });
    } catch {
      // another process removed it first
    }
  }
}
