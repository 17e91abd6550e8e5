import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { checkToken, LoadLoop, probe, tally } from '../testing/fault-load.ts';
import { createUser, login } from '../testing/http-client.ts';
import { PrivatePostgres, privatePostgresUnavailableReason } from '../testing/private-postgres.ts';
import { ServerProcess } from '../testing/server-process.ts';

/**
 * FT-3 (security.md §5.2): every second, for FT3_SECONDS (default 20), every backend of the
 * server (application_name 'gatehouse', the pool and the LISTEN connection) is killed with
 * pg_terminate_backend, on a private cluster. The cache is off so every check reads PostgreSQL.
 * The process never exits; checks succeed ≥ 99.9% (a read whose connection died is retried once on
 * a fresh one); a failed write is a 503 and leaves no half-written session.
 */
const SECONDS = Number(process.env.FT3_SECONDS ?? 20);

const skipReason = privatePostgresUnavailableReason();
if (skipReason) console.log(`# FT-3 skipped: ${skipReason}`);

describe('FT-3 backends terminated every second [private cluster]', { skip: skipReason ?? false }, () => {
  let cluster: PrivatePostgres | undefined;
  let server: ServerProcess | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-ft3-'));

  before(async () => {
    cluster = await PrivatePostgres.create();
    server = await ServerProcess.start({
      databaseUrl: cluster.url,
      dataDir,
      env: { GATEHOUSE_TOKEN_CACHE_MAX_ENTRIES: '0', GATEHOUSE_MAX_USER_CONCURRENT_SESSIONS: '1000000' },
    });
  });
  after(async () => {
    await server?.stop();
    cluster?.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('FT-3 pg_terminate_backend every second: 0 exits, checks ≥ 99.9% ok, failed writes are 503 without partial rows', async (t) => {
    const [srv, pg] = [server as ServerProcess, cluster as PrivatePostgres];
    const pid = srv.pid;
    const user = await createUser(srv);
    const tokens = await Promise.all(
      Array.from({ length: 10 }, async () => (await login(srv, user.username, user.password)).token),
    );
    const clientId = `ft3-${randomUUID()}`;
    const offline = await login(srv, user.username, user.password, {
      access_type: 'offline',
      client_id: clientId,
    });
    const body = JSON.stringify({
      refresh_token: offline.refresh_token,
      client_id: clientId,
      expiration: 3600,
    });

    const load = new LoadLoop(4, (lane, i) =>
      lane === 0
        ? probe(srv, 'create', '/token', {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body,
          })
        : checkToken(srv, tokens[i % tokens.length] as string),
    );
    let terminated = 0;
    try {
      for (let second = 0; second < SECONDS; second += 1) {
        await sleep(1000);
        terminated += await terminateBackends(pg);
      }
      await sleep(500);
    } finally {
      await load.stop();
    }
    const { samples } = load;

    const checks = samples.filter((s) => s.kind === 'check');
    const writes = samples.filter((s) => s.kind === 'create');
    const ok = checks.filter((s) => s.status === 204).length / checks.length;
    t.diagnostic(`${terminated} backends terminated in ${SECONDS} s`);
    t.diagnostic(`checks ${tally(checks)} (${(ok * 100).toFixed(3)}% ok); writes ${tally(writes)}`);
    if (!srv.running) t.diagnostic(`exited: ${srv.output.slice(-15).join('\n')}`);
    assert.equal(srv.running && srv.pid === pid, true, 'the process never exits');
    assert.ok(terminated >= SECONDS, 'backends were terminated');
    assert.deepEqual(
      checks.filter((s) => s.status !== 204 && s.status !== 503),
      [],
      'checks: 204, or at worst 503',
    );
    assert.ok(ok >= 0.999, `check success ≥ 99.9%: ${(ok * 100).toFixed(3)}%`);
    assert.deepEqual(
      writes.filter((s) => s.status !== 200 && s.status !== 503),
      [],
      'writes: 200 or 503',
    );
    for (const sample of writes.filter((s) => s.status === 200)) {
      assert.equal(
        (await checkToken(srv, sample.token as string)).status,
        204,
        'an acknowledged token works',
      );
    }
    const orphans = await pg.query<{ n: string }>(
      `select count(*) as n from auth_session s where not exists
       (select 1 from auth_token t where t.session_uuid = s.uuid)`,
    );
    assert.equal(Number(orphans[0]?.n), 0, 'no session without its token: failed writes left nothing behind');
  });
});

/** Terminates every backend of the server; the victims are listed first so this session is never one. */
async function terminateBackends(pg: PrivatePostgres): Promise<number> {
  const rows = await pg.query(
    `with victims as materialized (
       select pid from pg_stat_activity where application_name = 'gatehouse' and pid <> pg_backend_pid())
     select pg_terminate_backend(pid) from victims`,
  );
  return rows.length;
}
