import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readlinkSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WalFlush } from './wal-flush.ts';

/** What this process's descriptors point at (Linux: /proc/self/fd), "(deleted)" suffix included. */
function openTargets(): string[] {
  return readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      return [readlinkSync(`/proc/self/fd/${fd}`)];
    } catch {
      return []; // the descriptor readdir itself used, closed since
    }
  });
}

const onLinux = { skip: process.platform !== 'linux' && 'reads /proc/self/fd' };

describe('WalFlush with the real fdatasync', () => {
  let dir: string;
  let path: string;
  const descriptorsOn = (file: string) => openTargets().filter((target) => target.startsWith(file)).length;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-wal-file-'));
    path = join(dir, 'g.db-wal');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('#4 flushes an existing file, and a missing WAL (checkpointed away) counts as flushed', async () => {
    writeFileSync(path, 'frames');
    const flush = new WalFlush(path);
    await flush.flush();
    await flush.close();
    const missing = new WalFlush(join(dir, 'missing-wal'));
    await missing.flush();
    await missing.close();
    await new WalFlush(null).flush();
  });

  test('#4 the WAL stays open between flushes, and close() closes it', onLinux, async () => {
    writeFileSync(path, 'frames');
    const flush = new WalFlush(path);
    try {
      await flush.flush();
      await Promise.all([flush.flush(), flush.flush(), flush.flush()]);
      assert.equal(descriptorsOn(path), 1, 'one descriptor, opened once');
    } finally {
      await flush.close();
    }
    assert.equal(descriptorsOn(path), 0);
  });

  test('#4 a WAL removed or replaced behind its back is let go, then opened again', onLinux, async () => {
    writeFileSync(path, 'frames');
    const flush = new WalFlush(path);
    try {
      await flush.flush();
      unlinkSync(path);
      await flush.flush();
      assert.equal(descriptorsOn(path), 0, 'a removed WAL is not held (nor synced)');
      writeFileSync(path, 'old');
      await flush.flush();
      unlinkSync(path);
      writeFileSync(path, 'new');
      await flush.flush();
      assert.deepEqual(
        openTargets().filter((target) => target.startsWith(path)),
        [path],
        'the new file is held, the replaced one is closed',
      );
    } finally {
      await flush.close();
    }
  });

  test('#4 close() waits for the flush under way, then closes what it opened', onLinux, async () => {
    writeFileSync(path, 'frames');
    const flush = new WalFlush(path);
    const first = flush.flush();
    const next = flush.flush();
    await Promise.all([first, next, flush.close()]);
    assert.equal(descriptorsOn(path), 0);
  });
});
