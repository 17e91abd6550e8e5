import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { type JWK, SignJWT } from 'jose';
import { dpopProof, newDpopKey, unsignedJwt } from '../../testing/dpop-fixtures.ts';
import { accessTokenHash, DpopProofError, JtiReplayCache, verifyDpopProof } from './dpop-proof.ts';

const HTU = 'https://auth.example.com/oauth2/userinfo';
const TOKEN = 'a5b5c5d5-0000-4000-8000-00000000aaaa';
const NOW_MS = 1_800_000_000_000;
const MAX_AGE = 60;

function expectations(extra: Record<string, unknown> = {}) {
  return { method: 'GET', url: HTU, accessToken: TOKEN, nowMs: NOW_MS, maxAgeSeconds: MAX_AGE, ...extra };
}

async function refused(proof: string, extra: Record<string, unknown> = {}, replay = new JtiReplayCache()) {
  await assert.rejects(verifyDpopProof(proof, expectations(extra), replay), DpopProofError);
}

describe('§7 RFC 9449 DPoP proof verification', () => {
  test('a good proof gives the thumbprint of its key', async () => {
    const key = await newDpopKey();
    const proof = await dpopProof(key, { htm: 'GET', htu: HTU, accessToken: TOKEN, nowMs: NOW_MS });
    const result = await verifyDpopProof(proof, expectations({ jkt: key.jkt }), new JtiReplayCache());
    assert.deepEqual(result, { jkt: key.jkt });
  });

  test('other asymmetric algorithms are accepted (EdDSA, RS256)', async () => {
    for (const alg of ['EdDSA', 'RS256']) {
      const key = await newDpopKey(alg);
      const proof = await dpopProof(key, { htm: 'GET', htu: HTU, accessToken: TOKEN, nowMs: NOW_MS });
      assert.equal((await verifyDpopProof(proof, expectations(), new JtiReplayCache())).jkt, key.jkt);
    }
  });

  test('§4.3 check 4: a typ other than dpop+jwt is refused', async () => {
    const key = await newDpopKey();
    for (const typ of ['JWT', 'at+jwt']) {
      await refused(await dpopProof(key, { htm: 'GET', htu: HTU, accessToken: TOKEN, nowMs: NOW_MS, typ }));
    }
  });

  test('§4.3 check 5: alg none and a MAC (HS256) are refused', async () => {
    const key = await newDpopKey();
    const payload = {
      htm: 'GET',
      htu: HTU,
      iat: NOW_MS / 1000,
      jti: randomUUID(),
      ath: accessTokenHash(TOKEN),
    };
    await refused(unsignedJwt({ alg: 'none', typ: 'dpop+jwt', jwk: key.publicJwk }, payload));
    const secret = new Uint8Array(32).fill(1);
    const hs256 = await new SignJWT(payload)
      .setProtectedHeader({
        alg: 'HS256',
        typ: 'dpop+jwt',
        // A symmetric key in the header: the type forbids it, which is what the verifier must also do.
        jwk: { kty: 'oct', k: Buffer.from(secret).toString('base64url') } as JWK,
      })
      .sign(secret);
    await refused(hs256);
  });

  test('§4.3 check 7: a private key in the header is refused', async () => {
    const key = await newDpopKey();
    const proof = await dpopProof(key, {
      htm: 'GET',
      htu: HTU,
      accessToken: TOKEN,
      nowMs: NOW_MS,
      headerJwk: key.privateJwk,
    });
    await refused(proof);
  });

  test('a proof without header key, or signed by another key than the one in its header, is refused', async () => {
    const key = await newDpopKey();
    const other = await newDpopKey();
    await refused(
      await dpopProof(key, {
        htm: 'GET',
        htu: HTU,
        accessToken: TOKEN,
        nowMs: NOW_MS,
        headerJwk: other.publicJwk,
      }),
    );
    const noJwk = await new SignJWT({ htm: 'GET', htu: HTU, iat: NOW_MS / 1000, jti: randomUUID() })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt' })
      .sign(key.privateKey);
    await refused(noJwk);
  });

  test('§4.3 checks 8 and 9: htm and htu must match; query and fragment are ignored', async () => {
    const key = await newDpopKey();
    const proof = (htm: string, htu: string) =>
      dpopProof(key, { htm, htu, accessToken: TOKEN, nowMs: NOW_MS });
    await refused(await proof('POST', HTU));
    await refused(await proof('get', HTU));
    await refused(await proof('GET', 'https://auth.example.com/oauth2/token'));
    await refused(await proof('GET', 'https://evil.example.com/oauth2/userinfo'));
    await refused(await proof('GET', 'not a url'));
    const withQuery = await proof('GET', `${HTU}?x=1#f`);
    assert.ok(await verifyDpopProof(withQuery, expectations(), new JtiReplayCache()));
    const defaultPort = await proof('GET', 'https://AUTH.example.com:443/oauth2/userinfo');
    assert.ok(await verifyDpopProof(defaultPort, expectations(), new JtiReplayCache()));
  });

  test('htm and htu are not checked when the caller does not know them', async () => {
    const key = await newDpopKey();
    const proof = await dpopProof(key, {
      htm: 'PATCH',
      htu: 'https://rs.example.com/x',
      accessToken: TOKEN,
      nowMs: NOW_MS,
    });
    const expect = { accessToken: TOKEN, nowMs: NOW_MS, maxAgeSeconds: MAX_AGE };
    assert.ok(await verifyDpopProof(proof, expect, new JtiReplayCache()));
  });

  test('§4.3 check 11: a stale or future iat is refused, one within the window accepted', async () => {
    const key = await newDpopKey();
    const at = (iat: number) => dpopProof(key, { htm: 'GET', htu: HTU, accessToken: TOKEN, iat });
    const now = NOW_MS / 1000;
    await refused(await at(now - MAX_AGE - 1));
    await refused(await at(now + MAX_AGE + 1));
    assert.ok(await verifyDpopProof(await at(now - MAX_AGE + 1), expectations(), new JtiReplayCache()));
    assert.ok(await verifyDpopProof(await at(now + 5), expectations(), new JtiReplayCache()));
    await refused(
      await dpopProof(key, { htm: 'GET', htu: HTU, accessToken: TOKEN, claims: { iat: undefined } }),
    );
  });

  test('§4.3 check 12: ath must be the hash of the presented access token', async () => {
    const key = await newDpopKey();
    await refused(
      await dpopProof(key, { htm: 'GET', htu: HTU, accessToken: 'another-token', nowMs: NOW_MS }),
    );
    await refused(await dpopProof(key, { htm: 'GET', htu: HTU, nowMs: NOW_MS }));
  });

  test('a proof needs a jti', async () => {
    const key = await newDpopKey();
    await refused(
      await dpopProof(key, { htm: 'GET', htu: HTU, accessToken: TOKEN, nowMs: NOW_MS, jti: 'short' }),
    );
    await refused(
      await dpopProof(key, { htm: 'GET', htu: HTU, accessToken: TOKEN, nowMs: NOW_MS, claims: { jti: 42 } }),
    );
  });

  test('§11.1 a replayed jti is refused; the same jti from another key is another proof', async () => {
    const key = await newDpopKey();
    const replay = new JtiReplayCache();
    const jti = randomUUID();
    const proof = await dpopProof(key, { htm: 'GET', htu: HTU, accessToken: TOKEN, nowMs: NOW_MS, jti });
    await verifyDpopProof(proof, expectations(), replay);
    await refused(proof, {}, replay);
    const other = await newDpopKey();
    const sameJti = await dpopProof(other, { htm: 'GET', htu: HTU, accessToken: TOKEN, nowMs: NOW_MS, jti });
    assert.ok(await verifyDpopProof(sameJti, expectations(), replay));
  });

  test('replay is judged on the injected clock, not the wall clock', async () => {
    // A clock far from the wall clock (tests move it by hours): the proof id must still be remembered.
    const key = await newDpopKey();
    const replay = new JtiReplayCache();
    const later = Date.now() + 10 * 86_400_000;
    const proof = await dpopProof(key, { htm: 'GET', htu: HTU, accessToken: TOKEN, nowMs: later });
    const expect = expectations({ nowMs: later });
    await verifyDpopProof(proof, expect, replay);
    await assert.rejects(verifyDpopProof(proof, expect, replay), DpopProofError);
  });

  test('§7.1 the proof key must be the one the token is bound to', async () => {
    const key = await newDpopKey();
    const other = await newDpopKey();
    const proof = await dpopProof(other, { htm: 'GET', htu: HTU, accessToken: TOKEN, nowMs: NOW_MS });
    await refused(proof, { jkt: key.jkt });
  });

  test('a malformed proof is refused as a DpopProofError', async () => {
    for (const proof of ['', 'abc', 'a.b.c', `${'x'.repeat(50)}.${'y'.repeat(50)}.z`]) await refused(proof);
  });
});

describe('JtiReplayCache', () => {
  test('an id is refused until it expires, then accepted again', () => {
    const cache = new JtiReplayCache();
    assert.equal(cache.claim('a', 2000, 1000), true);
    assert.equal(cache.claim('a', 3000, 1500), false);
    assert.equal(cache.claim('a', 5000, 2001), true);
  });

  test('it stays bounded: expired ids go first, then the oldest', () => {
    const cache = new JtiReplayCache(3);
    cache.claim('old', 100, 0);
    cache.claim('b', 10_000, 0);
    cache.claim('c', 10_000, 0);
    assert.equal(cache.claim('d', 10_000, 200), true);
    assert.equal(cache.claim('b', 10_000, 200), false, 'the live ids were kept');
    assert.equal(cache.claim('e', 10_000, 200), true);
    assert.equal(cache.claim('b', 10_000, 200), true, 'the oldest live id made room');
  });
});
