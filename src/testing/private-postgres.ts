import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './server-process.ts';

/**
 * A throwaway PostgreSQL cluster of the test's own (security.md FT-2, FT-3): initdb into a temp
 * dir, listening on 127.0.0.1 on a free port, which the test may stop, restart or crash without
 * touching the shared server other suites use. As root the cluster runs as the `postgres` user.
 * fsync is off: the faults played here are process crashes, never power loss, and it keeps
 * initdb and checkpoints fast on a busy machine.
 */
export type StopMode = 'fast' | 'immediate';

const run = promisify(execFile);
const PG_ROOTS = ['/usr/lib/postgresql'];

/** The directory holding initdb and pg_ctl, or null. PG_BIN overrides the search. */
export function findPostgresBin(): string | null {
  if (process.env.PG_BIN) return existsSync(join(process.env.PG_BIN, 'pg_ctl')) ? process.env.PG_BIN : null;
  for (const root of PG_ROOTS.filter(existsSync)) {
    const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
    for (const version of versions) {
      const bin = join(root, version, 'bin');
      if (existsSync(join(bin, 'pg_ctl')) && existsSync(join(bin, 'initdb'))) return bin;
    }
  }
  return null;
}

/**
 * Null when a private cluster can be started here, else why not. CI
 * (GATEHOUSE_TEST_REQUIRE_POSTGRES=1) turns a missing prerequisite into a failure.
 */
export function privatePostgresUnavailableReason(): string | null {
  const reason = findReason();
  if (reason && process.env.GATEHOUSE_TEST_REQUIRE_POSTGRES === '1') {
    throw new Error(`private PostgreSQL cluster required but unavailable: ${reason}`);
  }
  return reason;
}

function findReason(): string | null {
  if (!findPostgresBin()) return 'no PostgreSQL server binaries (initdb, pg_ctl) found; set PG_BIN';
  if (process.getuid?.() === 0 && spawnSync('id', ['-u', 'postgres']).status !== 0) {
    return 'running as root but there is no "postgres" user to run the cluster as';
  }
  return null;
}

export class PrivatePostgres {
  readonly port: number;
  readonly #bin: string;
  readonly #dir: string;

  private constructor(bin: string, dir: string, port: number) {
    this.#bin = bin;
    this.#dir = dir;
    this.port = port;
  }

  static async create(): Promise<PrivatePostgres> {
    const bin = findPostgresBin();
    if (!bin) throw new Error('no PostgreSQL binaries');
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-pg-'));
    const owner = runAsUser();
    if (owner) chownSync(dir, owner.uid, owner.gid);
    const cluster = new PrivatePostgres(bin, dir, await freePort());
    await cluster.#run('initdb', [
      '-D',
      cluster.#dataDir,
      '-U',
      'postgres',
      '--auth=trust',
      '--no-sync',
      '-E',
      'UTF8',
    ]);
    await cluster.start();
    return cluster;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  get #dataDir(): string {
    return join(this.#dir, 'data');
  }

  async start(): Promise<void> {
    const options = `-p ${this.port} -k ${this.#dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60`;
    await this.#run('pg_ctl', [
      '-D',
      this.#dataDir,
      '-o',
      options,
      '-l',
      join(this.#dir, 'log'),
      '-w',
      'start',
    ]);
  }

  /** `pg_ctl stop -m fast` (clean) or `-m immediate` (a crash: recovery on the next start). */
  async stop(mode: StopMode): Promise<void> {
    await this.#run('pg_ctl', ['-D', this.#dataDir, '-m', mode, '-w', 'stop']);
  }

  /** Runs one statement as the superuser on its own connection. */
  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(statement: string): Promise<R[]> {
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 5000 });
    await client.connect();
    try {
      return (await client.query<R>(statement)).rows;
    } finally {
      await client.end().catch(() => {});
    }
  }

  /** Stops the cluster (whatever its state) and removes its files. */
  destroy(): void {
    spawnSync(...this.#command('pg_ctl', ['-D', this.#dataDir, '-m', 'immediate', 'stop']), {
      stdio: 'ignore',
    });
    rmSync(this.#dir, { recursive: true, force: true });
  }

  /** Runs a server tool without blocking the event loop (the test's load keeps going meanwhile). */
  async #run(tool: string, args: string[]): Promise<void> {
    const [file, argv] = this.#command(tool, args);
    await run(file, argv, { cwd: this.#dir });
  }

  #command(tool: string, args: string[]): [string, string[]] {
    const path = join(this.#bin, tool);
    return runAsUser() ? ['runuser', ['-u', 'postgres', '--', path, ...args]] : [path, args];
  }
}

/** As root, PostgreSQL refuses to run: the cluster belongs to the `postgres` user instead. */
function runAsUser(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}
