import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import SQLite from 'better-sqlite3';
import { checkToken, LoadLoop, loginSample, type Sample, tally } from '../testing/fault-load.ts';
import { type CreatedUser, createUser, login } from '../testing/http-client.ts';
import { ServerProcess } from '../testing/server-process.ts';
import { SmallTmpfs } from '../testing/small-tmpfs.ts';

/**
 * FT-6 (security.md §5.2): the SQLite file lives on a 4 MiB tmpfs that the test fills to the last
 * byte. Token creation must then answer 503 (SQLITE_FULL), never 500, while checks of existing
 * tokens go on; the outage is logged about once a second, not once per request; once space is
 * freed writes work again within 5 s without a restart, the file passes integrity_check, and every
 * token ever acknowledged is there. FT6_MAX_WRITES (default 300) bounds the writes tried.
 */
const MAX_WRITES = Number(process.env.FT6_MAX_WRITES ?? 300);
/** How long writes go on hitting the full disk (the log rate limit needs a few seconds to show). */
const FULL_HOLD_MS = 2500;
const mounted = await SmallTmpfs.mount(4);
const skipReason = typeof mounted === 'string' ? mounted : null;
if (skipReason) console.log(`# FT-6 skipped: ${skipReason}`);

describe('FT-6 SQLite disk full [4 MiB tmpfs]', { skip: skipReason ?? false }, () => {
  const tmpfs = mounted as SmallTmpfs;
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-ft6-'));
  const dbPath = join(tmpfs.dir, 'gatehouse.db');
  let server: ServerProcess | undefined;

  before(async () => {
    server = await ServerProcess.start({ databaseUrl: `sqlite:${dbPath}`, dataDir });
  });
  after(async () => {
    await server?.stop();
    await tmpfs.unmount();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('FT-6 disk full: logins 503 not 500, checks go on, logs rate-limited, writes recover within 5 s, nothing acknowledged is lost', async (t) => {
    const srv = server as ServerProcess;
    const pid = srv.pid;
    const user = await createUser(srv);
    const acknowledged: string[] = [];
    for (let i = 0; i < 5; i += 1) acknowledged.push((await login(srv, user.username, user.password)).token);

    t.diagnostic(`filler took ${tmpfs.fill()} bytes`);
    const fullSince = Date.now();
    const logLinesBefore = outageLines(srv).length;
    const checks = new LoadLoop(1, (_, i) =>
      checkToken(srv, acknowledged[i % acknowledged.length] as string),
    );
    const writes = await writeUntilFull(srv, user);
    const fullMs = Date.now() - fullSince;
    const checkSamples = await checks.stop();
    t.diagnostic(`while full (${fullMs} ms): logins ${tally(writes)}, checks ${tally(checkSamples)}`);
    acknowledged.push(...writes.filter((s) => s.status === 200).map((s) => s.token as string));

    assert.ok(
      writes.some((s) => s.status === 503),
      `the disk filled up within ${MAX_WRITES} writes: ${tally(writes)}`,
    );
    assert.deepEqual(
      writes.filter((s) => s.status !== 200 && s.status !== 503),
      [],
      'writes: 200 or 503, never 500',
    );
    assert.deepEqual(
      checkSamples.filter((s) => s.status !== 204),
      [],
      'checks of existing tokens keep working',
    );
    const lines = outageLines(srv).length - logLinesBefore;
    t.diagnostic(`${lines} outage log lines in ${fullMs} ms for ${tally(writes)}`);
    assert.ok(lines <= Math.ceil(fullMs / 1000) + 1, `outage logged at most once a second: ${lines} lines`);

    tmpfs.free();
    const freed = Date.now();
    let recovered: Sample | undefined;
    while (Date.now() - freed < 10_000) {
      recovered = await loginSample(srv, user.username, user.password);
      if (recovered.status === 200) break;
      await sleep(50);
    }
    const recoveryMs = Date.now() - freed;
    t.diagnostic(`writes work again ${recoveryMs} ms after space was freed`);
    assert.equal(recovered?.status, 200);
    assert.ok(recoveryMs <= 5000, `writes recover within 5 s (${recoveryMs} ms)`);
    acknowledged.push(recovered?.token as string);

    assert.equal(srv.running && srv.pid === pid, true, 'the same process stayed up');
    const lost = [];
    for (const token of acknowledged) if ((await checkToken(srv, token)).status !== 204) lost.push(token);
    t.diagnostic(`${acknowledged.length} tokens acknowledged, ${lost.length} missing`);
    assert.equal(lost.length, 0, 'no acknowledged token is missing');

    srv.kill('SIGTERM');
    await srv.exited();
    const db = new SQLite(dbPath, { readonly: true });
    try {
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    } finally {
      db.close();
    }
  });
});

/** Logins until the disk is full, then on for FULL_HOLD_MS more (at most MAX_WRITES in all). */
async function writeUntilFull(srv: ServerProcess, user: CreatedUser): Promise<Sample[]> {
  const samples: Sample[] = [];
  let fullAt = Number.POSITIVE_INFINITY;
  for (let i = 0; i < MAX_WRITES && Date.now() - fullAt < FULL_HOLD_MS; i += 1) {
    const sample = await loginSample(srv, user.username, user.password);
    samples.push(sample);
    if (sample.status !== 200 && fullAt === Number.POSITIVE_INFINITY) fullAt = Date.now();
  }
  return samples;
}

function outageLines(srv: ServerProcess): string[] {
  return srv.output.filter((line) => line.includes('storage unavailable'));
}
