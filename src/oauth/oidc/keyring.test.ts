import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  createLocalJWKSet,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  type JSONWebKeySet,
  type JWK,
  jwtVerify,
  SignJWT,
} from 'jose';
import { SecretBox } from '../../crypto/secret-box.ts';
import { describeEachDialect } from '../../testing/dialect-suite.ts';
import { unsignedJwt } from '../../testing/dpop-fixtures.ts';
import { postgresUnavailableReason } from '../../testing/test-databases.ts';
import { startTestServer, type TestServer } from '../../testing/test-server.ts';
import { SigningKeyRepository } from './signing-key-repository.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const LIFETIME_S = 4 * 3600;
const PREPUBLISH_S = 3600;
const config = {
  oauth: { signing_key_lifetime_seconds: LIFETIME_S, signing_key_prepublish_seconds: PREPUBLISH_S },
};

async function getJwks(
  server: TestServer,
): Promise<{ status: number; headers: Headers; jwks: JSONWebKeySet }> {
  const response = await fetch(`${server.origin}/oauth2/jwks`);
  return {
    status: response.status,
    headers: response.headers,
    jwks: (await response.json()) as JSONWebKeySet,
  };
}

async function servedKids(server: TestServer): Promise<string[]> {
  return (await getJwks(server)).jwks.keys.map((k) => String(k.kid)).sort();
}

async function rows(server: TestServer) {
  return server.container.storage.db
    .selectFrom('auth_oauth_signing_key')
    .selectAll()
    .orderBy('active_from_ms')
    .execute();
}

function clockOf(server: TestServer) {
  if (!server.clock) throw new Error('manual clock expected');
  return server.clock;
}

/**
 * Moves the clock just past the start of the next slot of the key grid: the first key made then
 * has a whole lifetime ahead of it, whatever the wall-clock time the tests run at.
 */
function toSlotStart(...servers: TestServer[]): void {
  const lifetimeMs = LIFETIME_S * 1000;
  for (const server of servers) {
    const now = server.container.clock.now();
    clockOf(server).advance(lifetimeMs - (now % lifetimeMs) + 1000);
  }
}

function sign(server: TestServer, claims: Record<string, unknown> = {}): Promise<string> {
  const nowS = Math.floor(server.container.clock.now() / 1000);
  return server.container.oauth.keyring.sign({
    iss: 'https://issuer.test',
    sub: 'u',
    iat: nowS,
    exp: nowS + 300,
    ...claims,
  });
}

/** Verifies with the JWKS the server serves now, at the server's time. */
async function verifyWithServedJwks(server: TestServer, jwt: string) {
  const keys = createLocalJWKSet((await getJwks(server)).jwks);
  return jwtVerify(jwt, keys, { currentDate: new Date(server.container.clock.now()) });
}

await describeEachDialect(
  '§8 OpenID Connect signing keys and JWKS',
  { manualClock: true, config },
  ({ server }) => {
    test('GET /oauth2/jwks publishes an ES256 public key, cacheable for five minutes', async () => {
      const { status, headers, jwks } = await getJwks(server());
      assert.equal(status, 200);
      assert.equal(headers.get('cache-control'), 'public, max-age=300');
      assert.equal(headers.get('pragma'), null);
      assert.ok(jwks.keys.length >= 1);
      for (const key of jwks.keys) {
        assert.equal(key.kty, 'EC');
        assert.equal(key.crv, 'P-256');
        assert.equal(key.alg, 'ES256');
        assert.equal(key.use, 'sig');
        assert.equal(typeof key.kid, 'string');
        assert.equal('d' in key, false, 'no private member is published');
      }
    });

    test('ID tokens are compact JWS with alg ES256, kid and typ JWT, verifiable with the served JWKS', async () => {
      const s = server();
      const jwt = await sign(s, { aud: 'client-1' });
      const header = decodeProtectedHeader(jwt);
      assert.equal(header.alg, 'ES256');
      assert.equal(header.typ, 'JWT');
      assert.ok((await servedKids(s)).includes(String(header.kid)));
      const { payload } = await verifyWithServedJwks(s, jwt);
      assert.equal(payload.aud, 'client-1');
      assert.equal(s.container.oauth.idTokenSigner, s.container.oauth.keyring);
      assert.equal(s.container.oauth.idTokenSigner.algorithm, 'ES256');
    });

    test('J1-J3 verifyIdToken: ES256 from this keyring only, iss exact; forgeries are refused', async () => {
      const s = server();
      const keyring = s.container.oauth.keyring;
      const issuer = 'https://issuer.test';
      const good = await sign(s, { aud: 'client-1' });
      assert.equal((await keyring.verifyIdToken(good, { issuer, audience: 'client-1' })).sub, 'u');
      await assert.rejects(keyring.verifyIdToken(good, { issuer: 'https://issuer.test/other' }));
      await assert.rejects(keyring.verifyIdToken(good, { issuer, audience: 'client-2' }));

      const kid = String(decodeProtectedHeader(good).kid);
      const nowS = Math.floor(s.container.clock.now() / 1000);
      const claims = { iss: issuer, sub: 'admin', iat: nowS, exp: nowS + 300 };
      const forgeries: string[] = [unsignedJwt({ alg: 'none', typ: 'JWT', kid }, claims)];
      // CVE-2015-9235: the published public key used as an HMAC secret.
      const published = (await getJwks(s)).jwks.keys.find((k) => k.kid === kid) as JWK;
      const secret = new TextEncoder().encode(JSON.stringify(published));
      forgeries.push(await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid }).sign(secret));
      // Another ES256 key under our kid, or announced in the jwk header (J2).
      const attacker = await generateKeyPair('ES256', { extractable: true });
      forgeries.push(
        await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid }).sign(attacker.privateKey),
      );
      const jwk = await exportJWK(attacker.publicKey);
      forgeries.push(
        await new SignJWT(claims)
          .setProtectedHeader({ alg: 'ES256', kid: 'attacker', jwk })
          .sign(attacker.privateKey),
      );
      for (const forged of forgeries) await assert.rejects(keyring.verifyIdToken(forged, { issuer }), forged);
    });

    test('one key per slot: a second insert for the same active_from does nothing', async () => {
      const repository = new SigningKeyRepository(server().container.storage.db);
      const slot = 42_000;
      const key = (kid: string) => ({
        kid,
        alg: 'ES256',
        publicJwk: { kty: 'EC', kid },
        privateJwkCiphertext: 'v1.x.y.z',
        createdAtMs: 1,
        activeFromMs: slot,
        retireAfterMs: 2,
      });
      assert.equal(await repository.insertIfSlotFree(key('slot-winner')), true);
      assert.equal(await repository.insertIfSlotFree(key('slot-loser')), false);
      const kids = (await repository.list()).filter((k) => k.activeFromMs === slot).map((k) => k.kid);
      assert.deepEqual(kids, ['slot-winner']);
      assert.ok((await repository.deleteRetired(3)) >= 1, 'retired rows are deleted');
      assert.equal(
        (await repository.list()).some((k) => k.activeFromMs === slot),
        false,
      );
    });

    test('an ID token may not outlive the retention of its key (exp beyond a day is refused)', async () => {
      const s = server();
      const nowS = Math.floor(s.container.clock.now() / 1000);
      await assert.rejects(sign(s, { exp: nowS + 86_400 + 60 }));
    });

    test('§1.3 the private key is stored sealed with the server key, never in clear', async () => {
      const s = server();
      await sign(s);
      const [row] = await rows(s);
      assert.ok(row);
      const publicJwk = JSON.parse(row.public_jwk) as Record<string, unknown>;
      assert.equal('d' in publicJwk, false);
      assert.match(row.private_jwk_ciphertext, /^v1\./);
      assert.doesNotMatch(row.private_jwk_ciphertext, /"d"|"kty"|P-256/);
      const key = Buffer.from(
        readFileSync(join(s.database.dataDir, 'signing-key.key'), 'utf8').trim(),
        'base64',
      );
      const opened = new SecretBox(key).open(row.private_jwk_ciphertext, `oidc-signing-key:${row.kid}`);
      assert.ok(opened, 'sealed with the data-directory key, bound to its kid');
      const d = String((JSON.parse(opened) as Record<string, unknown>).d);
      assert.ok(d.length > 20);
      assert.equal(row.private_jwk_ciphertext.includes(d), false);
      assert.equal(new SecretBox(key).open(row.private_jwk_ciphertext, 'oidc-signing-key:another-kid'), null);
    });
  },
);

await describeEachDialect('§8 signing key rotation', { manualClock: true, config }, ({ server }) => {
  test('the successor is published prepublish ahead, signs from its active_from, and the old key stays until retire_after', async () => {
    const s = server();
    const clock = clockOf(s);
    toSlotStart(s);
    // Lives almost a day: it must still verify after its key stopped signing.
    const first = await sign(s, { exp: Math.floor(clock.now() / 1000) + 23 * 3600 });
    const [k1] = await rows(s);
    assert.ok(k1);
    assert.equal(decodeProtectedHeader(first).kid, k1.kid);
    assert.ok(k1.active_from_ms <= clock.now());
    const signingEnd = Number(k1.retire_after_ms) - DAY_MS;
    assert.equal(signingEnd, k1.active_from_ms + LIFETIME_S * 1000);

    clock.advance(signingEnd - PREPUBLISH_S * 1000 - clock.now() - 1000);
    assert.deepEqual(await servedKids(s), [k1.kid], 'no successor before the pre-publication time');

    clock.advance(2000);
    const published = await servedKids(s);
    assert.equal(published.length, 2, 'the successor is published');
    const k2 = (await rows(s))[1];
    assert.ok(k2);
    assert.equal(k2.active_from_ms, signingEnd);
    assert.equal(decodeProtectedHeader(await sign(s)).kid, k1.kid, 'published, not yet signing');

    clock.advance(signingEnd - clock.now());
    const byK2 = await sign(s);
    assert.equal(decodeProtectedHeader(byK2).kid, k2.kid);
    assert.deepEqual(await servedKids(s), [k1.kid, k2.kid].sort(), 'the old key is still published');
    await verifyWithServedJwks(s, byK2);
    await verifyWithServedJwks(s, first);

    clock.advance(Number(k1.retire_after_ms) - clock.now() - 1000);
    assert.ok((await servedKids(s)).includes(k1.kid), 'kept until retire_after');
    clock.advance(2000);
    const after = await servedKids(s);
    assert.equal(after.includes(k1.kid), false, 'gone from the JWKS after retire_after');
    assert.ok(after.includes(k2.kid));
    assert.equal(
      (await rows(s)).some((row) => row.kid === k1.kid),
      false,
      'and deleted',
    );
  });
});

await describeEachDialect(
  '§8 signing key upkeep by the expiry job',
  { manualClock: true, config },
  ({ server }) => {
    test('the expiry job creates, pre-publishes and retires keys when nobody signs', async () => {
      const s = server();
      const clock = clockOf(s);
      toSlotStart(s);
      await s.container.expiryJob.runOnce();
      const [k1, ...others] = await rows(s);
      assert.ok(k1);
      assert.equal(others.length, 0);
      const signingEnd = Number(k1.retire_after_ms) - DAY_MS;
      clock.advance(signingEnd - PREPUBLISH_S * 1000 - clock.now() + 1000);
      await s.container.expiryJob.runOnce();
      assert.deepEqual(
        (await rows(s)).map((row) => row.active_from_ms),
        [k1.active_from_ms, signingEnd],
      );
      clock.advance(Number(k1.retire_after_ms) - clock.now());
      await s.container.expiryJob.runOnce();
      assert.equal(
        (await rows(s)).some((row) => row.kid === k1.kid),
        false,
      );
    });
  },
);

const postgresSkip = await postgresUnavailableReason();

describe('§8 two instances on one PostgreSQL', { skip: postgresSkip || false }, () => {
  let a: TestServer;
  let b: TestServer;
  before(async () => {
    a = await startTestServer('postgres', { manualClock: true, config });
    b = await startTestServer('postgres', { manualClock: true, config, shareDatabaseWith: a });
    // One time for both, as NTP keeps real instances within milliseconds.
    clockOf(b).advance(a.container.clock.now() - b.container.clock.now());
    toSlotStart(a, b);
  });
  after(async () => {
    await b?.close();
    await a?.close();
  });

  test('racing instances create exactly one key, then exactly one successor', async () => {
    await Promise.all([getJwks(a), getJwks(b), sign(a), sign(b), getJwks(a), getJwks(b)]);
    const initial = await rows(a);
    assert.equal(initial.length, 1);
    const [k1] = initial;
    assert.ok(k1);
    const due = Number(k1.retire_after_ms) - DAY_MS - PREPUBLISH_S * 1000 + 1000 - a.container.clock.now();
    clockOf(a).advance(due);
    clockOf(b).advance(due);
    await Promise.all([getJwks(a), getJwks(b), sign(a), sign(b), a.container.expiryJob.runOnce()]);
    assert.equal((await rows(a)).length, 2, 'one successor');
    assert.deepEqual(await servedKids(a), await servedKids(b));
    // Signed on one instance, verified with the other's JWKS.
    await verifyWithServedJwks(b, await sign(a));
    await verifyWithServedJwks(a, await sign(b));
  });

  test('an instance whose cache is fresh reads the keys again for an unknown kid', async () => {
    const latest = (await rows(a)).at(-1);
    assert.ok(latest);
    const due = Number(latest.retire_after_ms) - DAY_MS - PREPUBLISH_S * 1000 - a.container.clock.now();
    clockOf(a).advance(due - 1000);
    clockOf(b).advance(due - 1000);
    await getJwks(b);
    clockOf(a).advance(2000);
    clockOf(b).advance(2000);
    const made = await servedKids(a);
    const successor = (await rows(a)).at(-1);
    assert.ok(successor && successor.kid !== latest.kid && made.includes(successor.kid));
    const found = await b.container.oauth.keyring.publicKey(successor.kid);
    assert.equal(found?.kid, successor.kid);
    assert.equal(await b.container.oauth.keyring.publicKey('no-such-kid'), null);
  });
});

describe('§8 instances given different signing-key encryption keys', { skip: postgresSkip || false }, () => {
  let a: TestServer;
  let b: TestServer;
  const keyOf = (byte: number) => ({
    oauth: { signing_key_encryption_key: Buffer.alloc(32, byte).toString('base64') },
  });
  before(async () => {
    a = await startTestServer('postgres', { config: keyOf(1) });
    b = await startTestServer('postgres', { config: keyOf(2), shareDatabaseWith: a });
  });
  after(async () => {
    await b?.close();
    await a?.close();
  });

  test('the configured key seals the private keys; a misconfigured instance cannot sign and says why', async () => {
    await sign(a);
    await assert.rejects(
      sign(b),
      /cannot be opened: is oauth.signing_key_encryption_key the same everywhere/,
    );
    assert.deepEqual(await servedKids(b), await servedKids(a), 'it still publishes the same keys');
  });
});
