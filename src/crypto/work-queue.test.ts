import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkQueue } from './work-queue.ts';

/** A task that runs until `release` is called. */
function heldTask() {
  let release = () => {};
  const done = new Promise<void>((resolve) => {
    release = resolve;
  });
  return { task: () => done.then(() => 'ran'), release };
}

/** A queue of one slot taken by a held task, with one more task waiting behind it. */
function busyQueue(queueLimit: number) {
  const waits: number[] = [];
  const queue = new WorkQueue(1, queueLimit, (seconds) => waits.push(seconds));
  const first = heldTask();
  const running = queue.run(first.task);
  const queued = queue.run(async () => 'queued');
  return { waits, queue, first, running, queued };
}

test('§issue-4 the hash queue reports every wait, zero for a task that found a free slot', async () => {
  const waits: number[] = [];
  const queue = new WorkQueue(2, 4, (seconds) => waits.push(seconds));
  const results = await Promise.all([queue.run(async () => 1), queue.run(async () => 2)]);
  assert.deepEqual(results, [{ value: 1 }, { value: 2 }]);
  assert.deepEqual(waits, [0, 0]);
});

test('§issue-4 a queued task reports the time it waited for a slot', async () => {
  const { waits, queue, first, running, queued } = busyQueue(4);
  assert.equal(queue.depth, 1);
  await sleep(30);
  first.release();
  assert.deepEqual(await running, { value: 'ran' });
  assert.deepEqual(await queued, { value: 'queued' });
  assert.equal(waits.length, 2);
  assert.equal(waits[0], 0);
  assert.ok((waits[1] ?? 0) >= 0.02, `waited ${waits[1]} s`);
  assert.equal(queue.depth, 0);
});

test('§issue-4 a full line refuses at once, runs nothing and reports no wait', async () => {
  const { waits, queue, first, running, queued } = busyQueue(1);
  let ranRefused = false;
  const refused = await queue.run(async () => {
    ranRefused = true;
  });
  assert.equal(refused, null);
  assert.equal(ranRefused, false);
  first.release();
  await Promise.all([running, queued]);
  assert.equal(waits.length, 2, 'one wait per task that ran');
});
