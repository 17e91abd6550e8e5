import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { after, test } from 'node:test';
import { startTestSmtpServer } from '../mail/test-smtp-server.ts';
import {
  assertSameRefusal,
  BRUTE_FORCE_TEST_CONFIG,
  failLogins,
  from,
  newAddress,
} from '../testing/brute-force-fixtures.ts';
import { describeEachDialect } from '../testing/dialect-suite.ts';
import { adminRequest, type HttpResult, postToken, request } from '../testing/http-client.ts';
import { newUser, uniqueTag } from '../testing/test-fixtures.ts';
import type { TestServer } from '../testing/test-server.ts';

/**
 * S-ENUM-1: a failed login must not tell whether the account exists, is disabled or is locked.
 * The short form (in `npm test`) takes 40 samples per class on SQLite; `npm run test:enum` sets
 * GATEHOUSE_ENUM_SAMPLES=400 and measures on both engines. Samples of the four classes are
 * interleaved at random (see measure), and when a median is off the sample grows (up to 4
 * rounds) before the verdict, since medians settle with size.
 */
const SAMPLES = Number(process.env.GATEHOUSE_ENUM_SAMPLES ?? 40);
const LONG_FORM = process.env.GATEHOUSE_ENUM_SAMPLES !== undefined;
const MAX_ROUNDS = 4;
const FLOOR_MS = 3;

const smtp = await startTestSmtpServer();
after(() => smtp.close());

type ClassName = 'unknown user' | 'wrong password' | 'disabled user' | 'locked user';
const CLASSES: ClassName[] = ['unknown user', 'wrong password', 'disabled user', 'locked user'];

interface World {
  /** Sends one failed login of the class, from the address the class uses. */
  attempt: Record<ClassName, () => Promise<HttpResult>>;
  /** The login name of each class, for password reset. */
  login: Record<ClassName, string>;
}

/** A real user, a disabled one, one locked from `lockedAt`, and a name nobody has. */
async function buildWorld(server: TestServer): Promise<World> {
  const real = await newUser(server, { email_address: `enum-${uniqueTag()}@example.com` });
  const disabled = await newUser(server, { email_address: `enum-${uniqueTag()}@example.com` });
  const put = await adminRequest(server, `/users/${disabled.uuid}`, {
    method: 'PUT',
    body: { username: disabled.username, enabled: false },
  });
  assert.equal(put.status, 200, put.text);
  const locked = await newUser(server, { email_address: `enum-${uniqueTag()}@example.com` });
  const lockedAt = newAddress();
  await failLogins(server, lockedAt, locked.username, 11);
  const unknown = `nobody-${uniqueTag()}`;
  // Each sample of the other classes comes from a fresh address, so none of them builds up a lock.
  const once = (login: string, password: string) => () =>
    postToken(server, login, password, {}, from(newAddress()));
  return {
    attempt: {
      'unknown user': once(unknown, 'a-guess-of-some-length'),
      'wrong password': once(real.username, 'a-guess-of-some-length'),
      'disabled user': once(disabled.username, disabled.password),
      'locked user': () => postToken(server, locked.username, locked.password, {}, from(lockedAt)),
    },
    login: {
      'unknown user': unknown,
      'wrong password': real.username,
      'disabled user': disabled.username,
      'locked user': locked.username,
    },
  };
}

function shuffled<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = randomInt(i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * One round: `samples` attempts per class in random order, drawn as blocks that each hold every
 * class once, so a burst of load from other processes on this shared machine falls on every class
 * alike instead of on whichever class a plain shuffle happened to bunch up. Every answer must equal
 * `reference`.
 */
async function measure(
  world: World,
  samples: number,
  reference: HttpResult,
  times: Record<ClassName, number[]>,
) {
  const order = Array.from({ length: samples }, () => shuffled(CLASSES)).flat();
  for (const name of order) {
    const started = performance.now();
    const result = await world.attempt[name]();
    times[name].push(performance.now() - started);
    assertSameRefusal(result, reference, name);
  }
}

/**
 * Two estimates of each class's distance from the wrong-password class, both held to
 * max(10% of median(wrong password), 3 ms):
 * - `medians`: security.md's literal |median(class) - median(wrong password)|;
 * - `paired`: the median of (class - wrong password) within each block of `measure`. Both samples
 *   of a pair ran back to back, so load that drifts over seconds cancels out; this is the one the
 *   short form in `npm test` is judged by on this shared 2-core machine. The long form must pass both.
 * A class that skipped the hash (or did one more) would be ~a whole hash (tens of ms) off in both.
 */
function verdict(times: Record<ClassName, number[]>) {
  const medianOf = (f: (name: ClassName) => number) =>
    Object.fromEntries(CLASSES.map((name) => [name, f(name)])) as Record<ClassName, number>;
  const wrong = times['wrong password'];
  const medians = medianOf((name) => median(times[name]));
  const paired = medianOf((name) => median(times[name].map((t, i) => t - (wrong[i] as number))));
  const tolerance = Math.max(0.1 * medians['wrong password'], FLOOR_MS);
  const base = medians['wrong password'];
  const offMedians = CLASSES.filter((name) => Math.abs(medians[name] - base) > tolerance);
  const offPaired = CLASSES.filter((name) => Math.abs(paired[name]) > tolerance);
  const off = LONG_FORM ? [...new Set([...offMedians, ...offPaired])] : offPaired;
  return { medians, paired, tolerance, off, count: wrong.length };
}

function describeVerdict(result: ReturnType<typeof verdict>): string {
  const medians = CLASSES.map((name) => `${name} ${result.medians[name].toFixed(1)} ms`);
  const paired = CLASSES.filter((name) => name !== 'wrong password').map(
    (name) => `${name} ${result.paired[name] >= 0 ? '+' : ''}${result.paired[name].toFixed(1)} ms`,
  );
  return (
    `medians over ${result.count} samples per class: ${medians.join(', ')}; ` +
    `paired differences from wrong password: ${paired.join(', ')} (tolerance ±${result.tolerance.toFixed(1)} ms)`
  );
}

await describeEachDialect(
  'S-ENUM-1 no user enumeration',
  {
    manualClock: true,
    config: {
      ...BRUTE_FORCE_TEST_CONFIG,
      brute_force: { ...BRUTE_FORCE_TEST_CONFIG.brute_force, address_max_failures: 10_000_000 },
      smtp: { host: '127.0.0.1', port: smtp.port },
    },
  },
  ({ server }) => {
    let world: World | undefined;
    const getWorld = async () => {
      world ??= await buildWorld(server());
      return world;
    };

    test('S-ENUM-1 unknown, wrong password, disabled, locked: identical 401 bodies and headers, close medians', async (t) => {
      const w = await getWorld();
      const reference = await w.attempt['wrong password']();
      // Warm-up: the first dummy hash is computed once, and JIT and pools settle.
      for (const name of CLASSES)
        for (let i = 0; i < 3; i += 1) assertSameRefusal(await w.attempt[name](), reference, name);
      const timed = server().dialect === 'sqlite' || LONG_FORM;
      const times = Object.fromEntries(CLASSES.map((name) => [name, [] as number[]])) as Record<
        ClassName,
        number[]
      >;
      let result = verdict(times);
      for (let round = 1; round <= (timed ? MAX_ROUNDS : 1); round += 1) {
        await measure(w, timed ? SAMPLES : 5, reference, times);
        result = verdict(times);
        t.diagnostic(`round ${round}: ${describeVerdict(result)}`);
        if (!timed || result.off.length === 0) break;
      }
      if (timed) assert.deepEqual(result.off, [], describeVerdict(result));
    });

    test('S-ENUM-1 password reset for the same names: identical 204 answers', async () => {
      const w = await getWorld();
      const ask = (name: ClassName) =>
        request(server(), `/users/password/reset?username=${encodeURIComponent(w.login[name])}`, {
          headers: from(newAddress()),
        });
      const reference = await ask('wrong password');
      assert.equal(reference.status, 204, reference.text);
      assert.equal(reference.text, '');
      for (const name of shuffled(CLASSES.flatMap((n) => [n, n, n])))
        assertSameRefusal(await ask(name), reference, name);
      await server().container.passwordResetService.idle();
    });
  },
);
