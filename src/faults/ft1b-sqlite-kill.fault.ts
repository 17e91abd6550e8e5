import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import SQLite from 'better-sqlite3';
import { checkToken, LoadLoop, probe, tally } from '../testing/fault-load.ts';
import { createUser, login } from '../testing/http-client.ts';
import { createProcessDatabase } from '../testing/process-databases.ts';
import { ServerProcess } from '../testing/server-process.ts';

/**
 * FT-1b (security.md §5.2): one `gatehouse serve` on SQLite creating tokens as fast as it can
 * (refresh grants: no password hashing), killed with SIGKILL mid-stream. The file must pass
 * `PRAGMA integrity_check` and hold every token whose creation was acknowledged. Gatehouse runs
 * SQLite in WAL mode with synchronous=FULL (storage/database.ts): NORMAL would already survive a
 * process crash, FULL also survives power loss. FT1B_WRITE_MS (default 4000) is the write time
 * before the kill.
 */
const WRITE_MS = Number(process.env.FT1B_WRITE_MS ?? 4000);
const LANES = 4;

test('FT-1b SQLite kill -9 during token creations: integrity_check ok and every acknowledged token present', async (t) => {
  const database = await createProcessDatabase('sqlite');
  const server = await ServerProcess.start({
    databaseUrl: database.url,
    dataDir: database.dir,
    env: { GATEHOUSE_MAX_USER_CONCURRENT_SESSIONS: '1000000' },
  });
  try {
    const user = await createUser(server);
    const clientId = `ft1b-${randomUUID()}`;
    const offline = await login(server, user.username, user.password, {
      access_type: 'offline',
      client_id: clientId,
    });
    const body = JSON.stringify({
      refresh_token: offline.refresh_token,
      client_id: clientId,
      expiration: 3600,
    });
    const load = new LoadLoop(LANES, () =>
      probe(server, 'create', '/token', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body,
      }),
    );
    await sleep(WRITE_MS);
    const killedAt = Date.now();
    server.kill('SIGKILL');
    await server.exited();
    const samples = await load.stop();
    const acknowledged = samples.filter((s) => s.status === 200).map((s) => s.token as string);
    const before = samples.filter((s) => s.start < killedAt);
    t.diagnostic(
      `writes: ${tally(samples)} in ${WRITE_MS} ms (${Math.round((acknowledged.length * 1000) / WRITE_MS)}/s)`,
    );
    assert.deepEqual(
      before.filter((s) => s.status !== 200 && !(s.status === 0 && s.end >= killedAt)),
      [],
      'before the kill every write succeeds; only the ones in flight at the kill fail',
    );

    const db = new SQLite(database.url.slice('sqlite:'.length));
    try {
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    } finally {
      db.close();
    }

    t.diagnostic(`restarted and ready in ${await server.restart()} ms`);
    let missing = 0;
    for (const token of acknowledged) if ((await checkToken(server, token)).status !== 204) missing += 1;
    t.diagnostic(`${acknowledged.length} acknowledged tokens, ${missing} missing after the restart`);
    assert.ok(acknowledged.length > 0);
    assert.equal(missing, 0, 'every acknowledged token is present');
  } finally {
    await server.stop();
    await database.dispose();
  }
});
