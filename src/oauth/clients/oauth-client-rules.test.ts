import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clientSecretMatches, digestClientSecret, newClientSecret } from '../../crypto/client-credentials.ts';
import { redirectUriMatches, redirectUriProblem } from './oauth-client-rules.ts';

/** Issue #6 §2: the pure rules of client registration. */

test('§2 redirect URIs: https, loopback http, private-use schemes; no fragment, wildcard or credentials', () => {
  for (const uri of [
    'https://app.example.com/cb?x=1',
    'http://127.0.0.1/cb',
    'http://[::1]:8080/cb',
    'http://localhost:3000/',
    'com.example.app:/oauth2redirect',
  ]) {
    assert.equal(redirectUriProblem(uri), null, uri);
  }
  for (const uri of [
    'http://app.example.com/cb',
    'http://127.0.0.2/cb',
    'https://app.example.com/cb#',
    'https://*.example.com/cb',
    'https://user:pw@app.example.com/cb',
    'relative/cb',
    'javascript:alert(1)',
    'data:text/html,x',
    'file:///etc/passwd',
  ]) {
    assert.notEqual(redirectUriProblem(uri), null, uri);
  }
});

test('§2 redirect URIs match exactly, but a loopback port may vary (RFC 8252 §7.3)', () => {
  assert.ok(redirectUriMatches('https://a.example/cb', 'https://a.example/cb'));
  assert.ok(!redirectUriMatches('https://a.example/cb', 'https://a.example/cb/'));
  assert.ok(!redirectUriMatches('https://a.example/cb', 'https://a.example:8443/cb'));
  assert.ok(!redirectUriMatches('https://a.example/cb', 'https://a.example/cb?x=1'));
  assert.ok(redirectUriMatches('http://127.0.0.1/cb', 'http://127.0.0.1:51234/cb'));
  assert.ok(redirectUriMatches('http://[::1]:80/cb', 'http://[::1]:9000/cb'));
  assert.ok(!redirectUriMatches('http://127.0.0.1/cb', 'http://127.0.0.1:51234/other'));
  assert.ok(!redirectUriMatches('http://127.0.0.1/cb', 'http://localhost:51234/cb'));
  assert.ok(!redirectUriMatches('http://127.0.0.1/cb', 'http://127.0.0.1:1/cb#f'));
});

test('§2 client secrets: 256 random bits in base64url, compared by digest', () => {
  const secret = newClientSecret();
  assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(newClientSecret(), secret);
  const digest = digestClientSecret(secret);
  assert.match(digest, /^[0-9a-f]{64}$/);
  assert.ok(clientSecretMatches(secret, digest));
  assert.ok(!clientSecretMatches(secret.toUpperCase(), digest), 'case matters in base64url');
  assert.ok(!clientSecretMatches(secret, 'abc'));
});
