// Child processes of the benchmark: the bare node:http baseline and Gatehouse instances, all on
// 127.0.0.1. Every child is registered so that it is killed however the benchmark ends.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

const ROOT = new URL('..', import.meta.url).pathname;
const READY_TIMEOUT_MS = 60_000;
export const CACHE_MAX_AGE_SECONDS = 3600;
const live = new Set<ChildProcess>();
/** With --pin: the CPU list every server is started on (`taskset -c`). */
let serverCpus: string | null = null;

/**
 * --pin: this process (autocannon, the load generator) keeps CPU 0 and every server child gets the
 * others, so the generator and the server under test never compete for one core. Both the bare
 * server and Gatehouse are started this way, so their ratio stays a like-for-like comparison.
 */
export function pinGeneratorAndServers(): void {
  const cpus = availableParallelism();
  if (cpus < 2) throw new Error('--pin needs at least 2 CPUs');
  execFileSync('taskset', ['-a', '-cp', '0', String(process.pid)], { stdio: 'ignore' });
  serverCpus = cpus === 2 ? '1' : `1-${cpus - 1}`;
}

/** With --cpu-prof DIR: server children (bare and Gatehouse) write a V8 CPU profile there when they stop. */
let profileDir: string | null = null;

export function profileServersInto(dir: string): void {
  profileDir = dir;
}

function profileArgs(): string[] {
  return profileDir === null ? [] : ['--cpu-prof', '--cpu-prof-dir', profileDir];
}

/**
 * bench/instructions.ts: server children run under callgrind, which counts the instructions each
 * thread executes instead of timing them. Instrumentation starts off (start-up and seeding run at
 * valgrind's base speed) and is switched on with `callgrind_control` around the measured requests.
 */
let callgrindDir: string | null = null;
let simulateCaches = false;

/** `simulate`: callgrind also simulates the caches and the branch predictor (several times slower). */
export function countInstructionsInto(dir: string | null, simulate = false): void {
  callgrindDir = dir;
  simulateCaches = simulate;
}

function callgrindArgs(dir: string): string[] {
  return [
    ...(simulateCaches ? ['--cache-sim=yes', '--branch-sim=yes'] : []),
    '--tool=callgrind',
    '--instr-atstart=no',
    // V8 writes its compiled code into the heap: valgrind must notice code that changes.
    '--smc-check=all-non-file',
    '--separate-threads=yes',
    `--callgrind-out-file=${dir}/callgrind.%p`,
  ];
}

/** `node args…`, under `taskset -c <server CPUs>` with --pin (taskset execs node: same pid). */
function spawnServer(args: string[], options: Parameters<typeof spawn>[2]): ChildProcess {
  if (callgrindDir !== null)
    return spawn('valgrind', [...callgrindArgs(callgrindDir), process.execPath, ...args], options);
  if (serverCpus === null) return spawn(process.execPath, args, options);
  return spawn('taskset', ['-c', serverCpus, process.execPath, ...args], options);
}

/** What probe.mjs answers to `stats`: statements counted so far, memory after a full collection. */
export interface ProbeStats {
  statements: number;
  /** PostgreSQL only (0 on SQLite): statements sent in one pipelined batch count once. */
  roundTrips: number;
  memory: NodeJS.MemoryUsage;
}

export interface Child {
  name: string;
  pid: number;
  port: number;
  url: string;
  /** Resident set size from /proc/<pid>/status, in bytes. */
  rssBytes(): number;
  /** CPU time used so far by the process (all threads), in milliseconds. */
  cpuMs(): number;
  /** Statement count and memory after GC (Gatehouse children only). */
  stats(): Promise<ProbeStats>;
  /** Statement count only, without a collection (Gatehouse children only). */
  statements(): Promise<number>;
  /** Runs `work` and returns the texts of the PostgreSQL statements sent meanwhile (Gatehouse children only). */
  recordStatements(work: () => Promise<unknown>): Promise<string[]>;
  stop(): Promise<void>;
}

export interface GatehouseOptions {
  name: string;
  databaseUrl: string;
  dataDir: string;
  bootstrapPassword: string;
  encryptionKey: string;
  cacheMaxEntries: number;
  /** How long unknown tokens stay known as such; Gatehouse's default when unset. */
  negativeMaxAgeSeconds?: number;
  /** How long the cache stays trusted without news from the revocation feed; Gatehouse's default when unset. */
  maxStalenessMs?: number;
}

/** Kills every child still running; safe to call from an `exit` handler. */
export function killAllChildren(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export async function startBare(): Promise<Child> {
  const port = await freePort();
  const env = { ...process.env, BENCH_PORT: String(port) };
  const proc = spawnServer([...profileArgs(), '--import', 'tsx', 'bench/bare-server.ts'], { cwd: ROOT, env });
  return track('bare', proc, port, '/');
}

export async function startGatehouse(options: GatehouseOptions): Promise<Child> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('GATEHOUSE_')),
  );
  Object.assign(env, {
    GATEHOUSE_HOST: '127.0.0.1',
    GATEHOUSE_PORT: String(port),
    GATEHOUSE_DATABASE_URL: options.databaseUrl,
    GATEHOUSE_DATA_DIR: options.dataDir,
    GATEHOUSE_LOG_LEVEL: 'warn',
    GATEHOUSE_BOOTSTRAP_PASSWORD: options.bootstrapPassword,
    GATEHOUSE_REFRESH_TOKENS_ENCRYPTION_KEY: options.encryptionKey,
    GATEHOUSE_MAX_USER_CONCURRENT_SESSIONS: '1000000000',
    GATEHOUSE_TOKEN_CLEANUP_INTERVAL: '0',
    GATEHOUSE_TOKEN_CACHE_MAX_ENTRIES: String(options.cacheMaxEntries),
    // The 10,000 tokens cached by the warm-up would otherwise all expire together (default 60 s) in
    // the middle of a later scenario; spread over time, that re-read costs 10,000/60 reads per second.
    GATEHOUSE_TOKEN_CACHE_MAX_AGE_SECONDS: String(CACHE_MAX_AGE_SECONDS),
  });
  if (options.negativeMaxAgeSeconds !== undefined)
    env.GATEHOUSE_TOKEN_CACHE_NEGATIVE_MAX_AGE_SECONDS = String(options.negativeMaxAgeSeconds);
  if (options.maxStalenessMs !== undefined)
    env.GATEHOUSE_TOKEN_CACHE_MAX_STALENESS_MS = String(options.maxStalenessMs);
  const args = [
    ...profileArgs(),
    '--expose-gc',
    '--import',
    './bench/probe.mjs',
    'bin/gatehouse.js',
    'serve',
  ];
  const proc = spawnServer(args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  return track(options.name, proc, port, '/0.1/status');
}

async function track(name: string, proc: ChildProcess, port: number, probePath: string): Promise<Child> {
  live.add(proc);
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 50) output.shift();
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  let exited = false;
  let stopping = false;
  const exit = new Promise<void>((resolve) => {
    proc.once('exit', (code, signal) => {
      exited = true;
      live.delete(proc);
      if (!stopping)
        process.stderr.write(`\n[bench] ${name} exited (${code ?? signal}):\n${output.join('')}\n`);
      resolve();
    });
  });
  const url = `http://127.0.0.1:${port}`;
  await waitReady(
    url + probePath,
    () => exited,
    () => output.join(''),
  );
  const pid = proc.pid ?? 0;
  return {
    name,
    pid,
    port,
    url,
    rssBytes: () => readRss(pid),
    cpuMs: () => readCpuMs(pid),
    stats: () => ask<ProbeStats>(proc, 'stats'),
    statements: async () => (await ask<{ statements: number }>(proc, 'count')).statements,
    recordStatements: async (work) => {
      await ask(proc, 'record');
      const failure = await work().then(
        () => null,
        (error: unknown) => error ?? new Error('failed'),
      );
      const { texts } = await ask<{ texts: string[] }>(proc, 'recorded');
      if (failure !== null) throw failure;
      return texts;
    },
    stop: async () => {
      stopping = true;
      if (!exited) proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exit;
      clearTimeout(timer);
    },
  };
}

async function waitReady(url: string, exited: () => boolean, output: () => string): Promise<void> {
  const timeoutMs = callgrindDir === null ? READY_TIMEOUT_MS : 10 * READY_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited()) throw new Error(`process for ${url} exited before answering:\n${output()}`);
    try {
      await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(1000) });
      return;
    } catch {
      await sleep(100);
    }
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms:\n${output()}`);
}

function readRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return kib === undefined ? Number.NaN : Number(kib) * 1024;
}

/** utime + stime from /proc/<pid>/stat, in clock ticks of 10 ms (USER_HZ is 100 on Linux). */
function readCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

let lastRequestId = 0;

/** One request to probe.mjs; replies carry the request's id, so concurrent requests cannot mix. */
function ask<T>(proc: ChildProcess, request: string): Promise<T> {
  const id = ++lastRequestId;
  return new Promise((resolve, reject) => {
    const onMessage = (message: { id?: number }) => {
      if (message.id !== id) return;
      proc.off('message', onMessage);
      clearTimeout(timer);
      resolve(message as T);
    };
    const timer = setTimeout(() => {
      proc.off('message', onMessage);
      reject(new Error('probe did not answer within 120 s'));
    }, 120_000);
    proc.on('message', onMessage);
    // A server that died has no channel: report that as this scenario's failure, not a crash of the run.
    if (!proc.connected) {
      proc.off('message', onMessage);
      clearTimeout(timer);
      reject(new Error('the server process has exited'));
      return;
    }
    proc.send({ id, request }, (error) => {
      if (!error) return;
      proc.off('message', onMessage);
      clearTimeout(timer);
      reject(error);
    });
  });
}
