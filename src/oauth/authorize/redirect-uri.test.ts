import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formActionSource, matchRedirectUri, withResponseParameters } from './redirect-uri.ts';

const WEB = 'https://app.example.com/callback';
const LOOP4 = 'http://127.0.0.1:8080/cb';
const LOOP6 = 'http://[::1]/cb';
const NAMED = 'http://localhost:3000/cb';

test('O1 redirect URIs match by exact string only', () => {
  assert.equal(matchRedirectUri([WEB], WEB), WEB);
  for (const nearMiss of [
    `${WEB}/`,
    `${WEB}/extra`,
    'https://app.example.com/callback?x=1',
    'https://APP.example.com/callback',
    'https://app.example.com:443/callback',
    'https://app.example.org/callback',
    'http://app.example.com/callback',
    `${WEB}#frag`,
  ]) {
    assert.equal(matchRedirectUri([WEB], nearMiss), null, nearMiss);
  }
});

test('RFC 8252 §7.3 a loopback redirect URI may differ only by its port', () => {
  assert.equal(matchRedirectUri([LOOP4], 'http://127.0.0.1:51004/cb'), 'http://127.0.0.1:51004/cb');
  assert.equal(matchRedirectUri([LOOP4], 'http://127.0.0.1/cb'), 'http://127.0.0.1/cb');
  assert.equal(matchRedirectUri([LOOP6], 'http://[::1]:4000/cb'), 'http://[::1]:4000/cb');
  assert.equal(matchRedirectUri([NAMED], 'http://localhost:4000/cb'), 'http://localhost:4000/cb');
  for (const nearMiss of [
    'http://127.0.0.1:51004/cb/',
    'http://127.0.0.1:51004/cbx',
    'http://127.0.0.1:99999/cb',
    'http://[::1]:51004/cb',
    'http://localhost:51004/cb',
    'https://127.0.0.1:51004/cb',
    'http://127.0.0.2:51004/cb',
    'http://127.0.0.1:51004@evil.example/cb',
  ]) {
    assert.equal(matchRedirectUri([LOOP4], nearMiss), null, nearMiss);
  }
  assert.equal(matchRedirectUri([NAMED], 'http://127.0.0.1:3000/cb'), null);
});

test('RFC 6749 §3.1.2.3 an omitted redirect URI means the only registered one', () => {
  assert.equal(matchRedirectUri([WEB], null), WEB);
  assert.equal(matchRedirectUri([WEB, LOOP4], null), null);
  assert.equal(matchRedirectUri([], null), null);
});

test('RFC 6749 §4.1.2 response parameters keep the query of the redirect URI', () => {
  assert.equal(withResponseParameters(WEB, { code: 'a b', state: null }), `${WEB}?code=a+b`);
  assert.equal(withResponseParameters(`${WEB}?x=1`, { code: 'c' }), `${WEB}?x=1&code=c`);
});

test('§5 form-action allows the redirect URI origin, or its scheme when no origin can be named', () => {
  assert.equal(formActionSource(WEB), 'https://app.example.com');
  assert.equal(formActionSource('http://127.0.0.1:5000/cb'), 'http://127.0.0.1:5000');
  assert.equal(formActionSource('http://[::1]:5000/cb'), 'http:');
  assert.equal(formActionSource('com.example.app:/cb'), 'com.example.app:');
});
