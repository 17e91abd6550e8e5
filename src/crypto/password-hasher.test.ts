import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { hashLikeWazo, PasswordHasher } from './password-hasher.ts';

const COST = { memoryKib: 19_456, timeCost: 2, queueLimit: 8 };

/** The nice value of every thread of this process but the main one (/proc/self/task/<tid>/stat). */
function otherThreadsNice(): number[] {
  const values: number[] = [];
  for (const tid of readdirSync('/proc/self/task')) {
    if (tid === String(process.pid)) continue;
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      // Fields after the command name: state is the 3rd field of the file, nice the 19th.
      values.push(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return values;
}

const linuxOnly = { skip: process.platform !== 'linux' && 'thread priorities are read from /proc (Linux)' };

describe('password hasher', () => {
  const hasher = new PasswordHasher({ ...COST, concurrency: 2, threadNice: 10 });
  after(() => hasher.close());

  test('an argon2id hash verifies its password and nothing else', async () => {
    const stored = await hasher.hash('correct horse');
    assert.match(stored.hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    assert.equal(stored.salt, null);
    assert.deepEqual(await hasher.verify('correct horse', stored), { ok: true });
    assert.deepEqual(await hasher.verify('correct horse!', stored), { ok: false });
  });

  test('a stored value that is not a hash, or no stored value, is a refusal', async () => {
    assert.deepEqual(await hasher.verify('x', { hash: 'not-a-hash', salt: null }), { ok: false });
    assert.deepEqual(await hasher.verify('x', null), { ok: false });
  });

  test('a wazo-auth PBKDF2 record verifies and comes back upgraded to argon2id', async () => {
    const legacy = await hashLikeWazo('from wazo');
    const result = await hasher.verify('from wazo', legacy);
    assert.equal(result.ok, true);
    assert.ok(result.upgraded);
    assert.deepEqual(await hasher.verify('from wazo', result.upgraded), { ok: true });
    assert.deepEqual(await hasher.verify('from wazo?', legacy), { ok: false });
  });

  test('hashes run on their own threads, at the configured lower priority', linuxOnly, async () => {
    await Promise.all([hasher.hash('a'), hasher.hash('b')]);
    assert.equal(otherThreadsNice().filter((nice) => nice === 10).length, 2);
    assert.equal(
      Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ')[16]),
      0,
      'the main thread keeps its priority',
    );
  });
});

describe('password hasher at nice 0', () => {
  test('the threads keep the default priority, and close() ends them', linuxOnly, async () => {
    const hasher = new PasswordHasher({ ...COST, concurrency: 1, threadNice: 0 });
    const before = otherThreadsNice().length;
    await hasher.hash('a');
    assert.equal(otherThreadsNice().length, before + 1);
    assert.ok(otherThreadsNice().every((nice) => nice === 0));
    await hasher.close();
    assert.equal(otherThreadsNice().length, before);
  });
});
