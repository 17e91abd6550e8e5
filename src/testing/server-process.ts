import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ADMIN_PASSWORD } from './test-server.ts';

/**
 * A real `gatehouse serve` process for the fault tests (security.md §5.2): configured only through
 * GATEHOUSE_* variables, listening on 127.0.0.1 on a free port, killable with any signal and
 * restartable on the same port and data. Its output is kept for assertions (never printed).
 */
export interface ServerProcessOptions {
  databaseUrl: string;
  dataDir: string;
  /** Extra GATEHOUSE_* variables (e.g. GATEHOUSE_DATABASE_TIMEOUT_MS). */
  env?: Record<string, string>;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const BIN = new URL('../../bin/gatehouse.js', import.meta.url).pathname;
/** Every instance of one test shares this refresh-token key, as a real cluster must. */
const SHARED_REFRESH_KEY = Buffer.alloc(32, 9).toString('base64');

export class ServerProcess {
  readonly options: ServerProcessOptions;
  readonly port: number;
  readonly output: string[] = [];
  #child: ChildProcess | null = null;
  #exit: Promise<ProcessExit> | null = null;

  private constructor(options: ServerProcessOptions, port: number) {
    this.options = options;
    this.port = port;
  }

  /** Starts a process and waits until it is ready; `readyMs` is spawn-to-ready time. */
  static async start(options: ServerProcessOptions): Promise<ServerProcess> {
    const server = new ServerProcess(options, await freePort());
    await server.restart();
    return server;
  }

  get api(): string {
    return `http://127.0.0.1:${this.port}/0.1`;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get running(): boolean {
    return this.#child !== null && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Spawns the process (again, on the same port and data) and resolves with the ms until ready. */
  async restart(readyWithinMs = 30_000): Promise<number> {
    if (this.running) throw new Error('the server process is still running');
    const started = Date.now();
    const child = spawn(process.execPath, [BIN, 'serve'], {
      env: { ...process.env, ...this.#env() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    this.#exit = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => this.output.push(...chunk.split('\n').filter(Boolean)));
    }
    await this.waitReady(readyWithinMs);
    return Date.now() - started;
  }

  /** Polls HEAD /status until 200; fails early if the process exits. */
  async waitReady(withinMs: number): Promise<void> {
    const deadline = Date.now() + withinMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`gatehouse exited before ready:\n${this.output.join('\n')}`);
      if ((await this.readiness()) === 200) return;
      await sleep(25);
    }
    throw new Error(`gatehouse not ready within ${withinMs} ms:\n${this.output.join('\n')}`);
  }

  /** HEAD /status: 200, 503, or 0 when the connection is refused or fails. */
  async readiness(timeoutMs = 2500): Promise<number> {
    try {
      const response = await fetch(`${this.api}/status`, {
        method: 'HEAD',
        signal: AbortSignal.timeout(timeoutMs),
      });
      return response.status;
    } catch {
      return 0;
    }
  }

  kill(signal: NodeJS.Signals): void {
    this.#child?.kill(signal);
  }

  /** Resolves when the process has exited (at once if it already has). */
  exited(): Promise<ProcessExit> {
    return this.#exit ?? Promise.resolve({ code: null, signal: null });
  }

  /** Ends the process for good (SIGKILL) and waits for it. */
  async stop(): Promise<void> {
    if (this.running) this.kill('SIGKILL');
    await this.exited();
  }

  #env(): Record<string, string> {
    return {
      NODE_ENV: 'production',
      GATEHOUSE_HOST: '127.0.0.1',
      GATEHOUSE_PORT: String(this.port),
      GATEHOUSE_DATABASE_URL: this.options.databaseUrl,
      GATEHOUSE_DATA_DIR: this.options.dataDir,
      GATEHOUSE_BOOTSTRAP_PASSWORD: ADMIN_PASSWORD,
      GATEHOUSE_REFRESH_TOKENS_ENCRYPTION_KEY: SHARED_REFRESH_KEY,
      GATEHOUSE_LOG_LEVEL: 'warn',
      GATEHOUSE_AMQP_ENABLED: 'false',
      // Cheapest argon2 the schema allows: the fault tests measure storage, not hashing.
      GATEHOUSE_PASSWORDS_ARGON2_MEMORY_KIB: '19456',
      GATEHOUSE_PASSWORDS_ARGON2_TIME_COST: '2',
      ...this.options.env,
    };
  }
}

/** A port nobody listens on now (loopback only). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || !address) throw new Error('no free port');
  return address.port;
}
