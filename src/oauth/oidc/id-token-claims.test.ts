import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { accessTokenHashClaim, buildIdTokenClaims } from './id-token-claims.ts';

const FACTS = {
  issuer: 'https://auth.example.com',
  subject: '6f1c1f5e-0000-4000-8000-000000000001',
  clientId: 'app',
  nowMs: 1_700_000_000_500,
  lifetimeSeconds: 900,
  authTimeMs: 1_699_999_990_000,
  nonce: 'n-0S6_WzA2Mj',
  accessToken: 'jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y',
  algorithm: 'ES256',
};

test('OIDC Core §2 the ID token claims: iss, sub, aud, exp, iat, auth_time, nonce, at_hash', () => {
  const claims = buildIdTokenClaims(FACTS);
  assert.deepEqual(Object.keys(claims).sort(), [
    'at_hash',
    'aud',
    'auth_time',
    'exp',
    'iat',
    'iss',
    'nonce',
    'sub',
  ]);
  assert.equal(claims.iss, FACTS.issuer);
  assert.equal(claims.sub, FACTS.subject);
  assert.equal(claims.aud, 'app');
  assert.equal(claims.iat, 1_700_000_000);
  assert.equal(claims.exp, 1_700_000_900);
  assert.equal(claims.auth_time, 1_699_999_990);
  assert.equal(claims.nonce, FACTS.nonce);
});

test('OIDC Core §2 no nonce claim when the request had none (device and refresh grants)', () => {
  assert.equal('nonce' in buildIdTokenClaims({ ...FACTS, nonce: null }), false);
});

test('OIDC Core §3.1.3.6 at_hash is the left half of the hash the signing alg uses', () => {
  const sha256 = createHash('sha256').update(FACTS.accessToken).digest();
  assert.equal(
    accessTokenHashClaim(FACTS.accessToken, 'ES256'),
    sha256.subarray(0, 16).toString('base64url'),
  );
  assert.equal(
    accessTokenHashClaim(FACTS.accessToken, 'RS256'),
    sha256.subarray(0, 16).toString('base64url'),
  );
  const sha384 = createHash('sha384').update(FACTS.accessToken).digest();
  assert.equal(
    accessTokenHashClaim(FACTS.accessToken, 'ES384'),
    sha384.subarray(0, 24).toString('base64url'),
  );
  const sha512 = createHash('sha512').update(FACTS.accessToken).digest();
  assert.equal(
    accessTokenHashClaim(FACTS.accessToken, 'EdDSA'),
    sha512.subarray(0, 32).toString('base64url'),
  );
});
