import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OAuthError } from '../oauth-error.ts';
import { JWT_BEARER_ASSERTION, presentedCredentials } from './client-credentials.ts';

const basic = (raw: string) => `Basic ${Buffer.from(raw).toString('base64')}`;

function refusal(run: () => unknown): OAuthError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof OAuthError);
    return error;
  }
  assert.fail('expected an OAuthError');
}

test('RFC 6749 §2.3.1 Basic credentials are form-urlencoded before the base64', () => {
  const presented = presentedCredentials(basic('my%3Aapp:s%2Bcr+t%25'), {});
  assert.deepEqual(presented, { method: 'client_secret_basic', clientId: 'my:app', secret: 's+cr t%' });
});

test('RFC 6749 §2.3.1 malformed Basic credentials are invalid_client with the Basic challenge', () => {
  for (const header of [basic('no-colon'), basic('bad%zzescape:x')]) {
    const error = refusal(() => presentedCredentials(header, {}));
    assert.equal(error.code, 'invalid_client');
    assert.equal(error.headers['www-authenticate'], 'Basic realm="oauth"');
  }
});

test('RFC 6749 §2.3 one method per request; a body client_id must name the same client', () => {
  const both = refusal(() => presentedCredentials(basic('app:secret'), { client_secret: 'secret' }));
  assert.equal(both.code, 'invalid_request');
  const secretAndAssertion = refusal(() =>
    presentedCredentials(undefined, { client_secret: 's', client_assertion_type: JWT_BEARER_ASSERTION }),
  );
  assert.equal(secretAndAssertion.code, 'invalid_request');
  const mismatch = refusal(() => presentedCredentials(basic('app:secret'), { client_id: 'other' }));
  assert.equal(mismatch.code, 'invalid_client');
  assert.deepEqual(presentedCredentials(basic('app:secret'), { client_id: 'app' }).clientId, 'app');
});

test('client_secret_post, none, and an assertion of the wrong type', () => {
  assert.deepEqual(presentedCredentials(undefined, { client_id: 'app', client_secret: 's' }), {
    method: 'client_secret_post',
    clientId: 'app',
    secret: 's',
  });
  assert.deepEqual(presentedCredentials(undefined, { client_id: 'app' }), {
    method: 'none',
    clientId: 'app',
  });
  assert.equal(refusal(() => presentedCredentials(undefined, {})).code, 'invalid_client');
  const wrongType = refusal(() =>
    presentedCredentials(undefined, { client_assertion_type: 'saml', client_assertion: 'x.y.z' }),
  );
  assert.equal(wrongType.code, 'invalid_client');
});
