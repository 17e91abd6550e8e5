import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DomainError } from '../errors/domain-error.ts';
import { parseTokenRequest, type TokenRequest } from './token-request.ts';

/** wazo-auth's cap on `expiration`: ten years (reference §2.1). */
const TEN_YEARS = 315_360_000;
const RANGE = `Must be greater than or equal to 1 and less than or equal to ${TEN_YEARS}.`;
const OFFLINE_NEEDS_CLIENT = '"client_id" must be specified when using "access_type" is "offline"';
const REFRESH_NEEDS_CLIENT = '"client_id" must be specified when using a "refresh_token"';

const DEFAULTS: TokenRequest = {
  expirationSeconds: null,
  accessType: 'online',
  clientId: null,
  refreshToken: null,
  samlSessionId: null,
  backend: 'wazo_user',
  domainName: null,
  tenantId: null,
  acl: null,
};

/** Runs the parser expecting a refusal; returns the field errors and the reason text. */
function refusal(body: unknown, max = TEN_YEARS): { errors: Record<string, string[]>; message: string } {
  try {
    parseTokenRequest(body, max);
  } catch (error) {
    assert.ok(error instanceof DomainError, `expected a DomainError, got ${String(error)}`);
    assert.equal(error.code, 'invalid-token-request');
    const message = error.options.message ?? '';
    assert.match(message, /^\{'[a-z_]+': \[.*\]\}$/s, `not a Python dict repr: ${message}`);
    return { errors: (error.options.details ?? {}) as Record<string, string[]>, message };
  }
  assert.fail(`expected ${JSON.stringify(body)} to be refused`);
}

/** The body must be refused with exactly these fields, each carrying the given message. */
function assertRefused(body: unknown, expected: Record<string, string[]>, max = TEN_YEARS): void {
  const { errors, message } = refusal(body, max);
  assert.deepEqual(errors, expected, `body ${JSON.stringify(body)}`);
  for (const field of Object.keys(expected)) assert.ok(message.includes(`'${field}': [`), message);
}

describe('parseTokenRequest (wazo §2.1, §3.2 step 1, §8.2 A5, A6, B25)', () => {
  test('A6 an empty object is valid and gets the defaults', () => {
    assert.deepEqual(parseTokenRequest({}, TEN_YEARS), DEFAULTS);
  });

  test('A5 a body that is not a JSON object is refused as an invalid input type', () => {
    for (const body of [[], [{}], 123, 0, 'str', '', true, false, null, undefined]) {
      assertRefused(body, { _schema: ['Invalid input type.'] });
    }
    assert.equal(refusal([]).message, "{'_schema': ['Invalid input type.']}");
  });

  test('A6 every field is read when valid', () => {
    const body = {
      expiration: 60,
      access_type: 'offline',
      client_id: 'my-app',
      backend: 'ldap_user',
      domain_name: 'example.com',
    };
    assert.deepEqual(parseTokenRequest(body, TEN_YEARS), {
      ...DEFAULTS,
      expirationSeconds: 60,
      accessType: 'offline',
      clientId: 'my-app',
      backend: 'ldap_user',
      domainName: 'example.com',
    });
    assert.deepEqual(parseTokenRequest({ refresh_token: 'rt', client_id: 'c', tenant_id: 't' }, TEN_YEARS), {
      ...DEFAULTS,
      refreshToken: 'rt',
      clientId: 'c',
      tenantId: 't',
    });
    assert.deepEqual(parseTokenRequest({ saml_session_id: 'saml-1', access_type: 'online' }, TEN_YEARS), {
      ...DEFAULTS,
      samlSessionId: 'saml-1',
    });
  });

  test('A6 unknown fields are dropped silently', () => {
    // `acl` is a field since #6 (token-request-acl.test.ts); `acls` was never one.
    assert.deepEqual(
      parseTokenRequest({ expiration: 5, foo: 'bar', acls: ['#'], __proto__x: 1 }, TEN_YEARS),
      {
        ...DEFAULTS,
        expirationSeconds: 5,
      },
    );
    const polluted = JSON.parse('{"__proto__": {"acl": ["#"]}, "constructor": {"prototype": {"x": 1}}}');
    assert.deepEqual(parseTokenRequest(polluted, TEN_YEARS), DEFAULTS);
    assert.equal(({} as Record<string, unknown>).acl, undefined);
  });

  test('A6 expiration uses marshmallow lenient integers: numeric strings accepted, floats truncated', () => {
    const cases: [unknown, number][] = [
      [1, 1],
      [7200, 7200],
      [TEN_YEARS, TEN_YEARS],
      ['10', 10],
      [' 42 ', 42],
      ['+5', 5],
      [10.7, 10],
      [1.9, 1],
    ];
    for (const [value, expected] of cases) {
      assert.equal(
        parseTokenRequest({ expiration: value }, TEN_YEARS).expirationSeconds,
        expected,
        String(value),
      );
    }
  });

  test('A6 expiration refuses 0, negatives, values past the cap, booleans, null and non-integers', () => {
    for (const value of [0, -1, -3600, 0.5, TEN_YEARS + 1, 1e20, '0', '-5', String(TEN_YEARS + 1)]) {
      assertRefused({ expiration: value }, { expiration: [RANGE] });
    }
    for (const value of [true, false, 'foobar', '', '1.5', '10s', '1e3', [], [10], {}, { value: 1 }]) {
      assertRefused({ expiration: value }, { expiration: ['Not a valid integer.'] });
    }
    assertRefused({ expiration: null }, { expiration: ['Field may not be null.'] });
  });

  test('A6 the expiration cap follows the configured maximum', () => {
    assert.equal(parseTokenRequest({ expiration: 60 }, 60).expirationSeconds, 60);
    assertRefused(
      { expiration: 61 },
      { expiration: ['Must be greater than or equal to 1 and less than or equal to 60.'] },
      60,
    );
  });

  test('B25 access_type must be "online" or "offline" (case-sensitive)', () => {
    assert.equal(parseTokenRequest({ access_type: 'online' }, TEN_YEARS).accessType, 'online');
    for (const value of ['OFFLINE', 'Online', '', 'offline ', 'refresh']) {
      assertRefused({ access_type: value }, { access_type: ['Must be one of: online, offline.'] });
    }
  });

  test('B25 access_type null or not a string gets the marshmallow type messages', () => {
    assertRefused({ access_type: null }, { access_type: ['Field may not be null.'] });
    for (const value of [1, true, ['online'], { online: true }]) {
      assertRefused({ access_type: value }, { access_type: ['Not a valid string.'] });
    }
  });

  test('B25 string fields refuse null and non-strings', () => {
    const fields = ['client_id', 'refresh_token', 'saml_session_id', 'backend', 'domain_name', 'tenant_id'];
    for (const field of fields) {
      assertRefused({ [field]: null }, { [field]: ['Field may not be null.'] });
      for (const value of [1, 0, true, [], ['x'], {}]) {
        assertRefused({ [field]: value }, { [field]: ['Not a valid string.'] });
      }
    }
  });

  test('B25 client_id and saml_session_id must be 1 to 1024 characters', () => {
    for (const field of ['client_id', 'saml_session_id']) {
      assert.doesNotThrow(() => parseTokenRequest({ [field]: 'x'.repeat(1024) }, TEN_YEARS));
      assert.doesNotThrow(() => parseTokenRequest({ [field]: 'x' }, TEN_YEARS));
      for (const value of ['', 'x'.repeat(1025)]) {
        assertRefused({ [field]: value }, { [field]: ['Length must be between 1 and 1024.'] });
      }
    }
  });

  test('FZ-TYPE the other string fields are capped at 1024 characters', () => {
    for (const field of ['refresh_token', 'backend', 'domain_name', 'tenant_id']) {
      assert.doesNotThrow(() => parseTokenRequest({ [field]: 'x'.repeat(1024), client_id: 'c' }, TEN_YEARS));
      assertRefused({ [field]: 'x'.repeat(100_000) }, { [field]: ['Length must be between 1 and 1024.'] });
    }
  });

  test('B25 access_type offline requires a client_id', () => {
    assertRefused({ access_type: 'offline' }, { _schema: [OFFLINE_NEEDS_CLIENT] });
    const parsed = parseTokenRequest({ access_type: 'offline', client_id: 'c' }, TEN_YEARS);
    assert.equal(parsed.accessType, 'offline');
    assert.equal(parsed.clientId, 'c');
  });

  test('B25 a refresh_token requires a client_id', () => {
    assertRefused({ refresh_token: 'the-token' }, { _schema: [REFRESH_NEEDS_CLIENT] });
    assert.equal(
      parseTokenRequest({ refresh_token: 'the-token', client_id: 'x' }, TEN_YEARS).refreshToken,
      'the-token',
    );
  });

  test('B25 refresh_token with access_type offline is refused; online or absent is fine', () => {
    const body = { refresh_token: 'foobar', client_id: 'x' };
    assert.equal(parseTokenRequest(body, TEN_YEARS).accessType, 'online');
    assert.equal(parseTokenRequest({ ...body, access_type: 'online' }, TEN_YEARS).accessType, 'online');
    const { errors } = refusal({ ...body, access_type: 'offline' });
    assert.deepEqual(Object.keys(errors), ['_schema']);
    assert.equal(errors._schema?.length, 1);
  });

  test('B25 tenant_id and domain_name together are refused; either alone is fine', () => {
    assert.equal(parseTokenRequest({ tenant_id: 't' }, TEN_YEARS).tenantId, 't');
    assert.equal(parseTokenRequest({ domain_name: 'd' }, TEN_YEARS).domainName, 'd');
    const { errors } = refusal({ tenant_id: 't', domain_name: 'd' });
    assert.deepEqual(Object.keys(errors), ['_schema']);
    assert.equal(errors._schema?.length, 1);
  });

  test('B25 saml_session_id and refresh_token together are refused (§3.2 step 1)', () => {
    assert.equal(parseTokenRequest({ saml_session_id: 's' }, TEN_YEARS).samlSessionId, 's');
    const { errors } = refusal({ saml_session_id: 's', refresh_token: 'r', client_id: 'c' });
    assert.deepEqual(Object.keys(errors), ['_schema']);
    assert.equal(errors._schema?.length, 1);
  });

  test("B25 combination errors use wazo-auth's wording", () => {
    assertRefused(
      { access_type: 'offline', refresh_token: 'r', client_id: 'c' },
      { _schema: ['cannot use the "access_type" "offline" with a refresh token'] },
    );
    assertRefused(
      { tenant_id: 't', domain_name: 'd' },
      { _schema: ['"tenant_id" and "domain_name" must be mutually exclusive'] },
    );
    assertRefused(
      { saml_session_id: 's', refresh_token: 'r', client_id: 'c' },
      { _schema: ['Cannot use a "saml_session_id" and a "refresh_token" at the same time'] },
    );
  });

  test('B25 offline with a refresh_token and no client_id reports what wazo-auth reports', () => {
    // wazo's offline check stops at "cannot use … with a refresh token"; the refresh-token check adds
    // its own client_id message. The offline client_id message is not repeated.
    const { errors } = refusal({ access_type: 'offline', refresh_token: 'r' });
    assert.deepEqual(Object.keys(errors), ['_schema']);
    assert.deepEqual(
      [...(errors._schema ?? [])].sort(),
      ['cannot use the "access_type" "offline" with a refresh token', REFRESH_NEEDS_CLIENT].sort(),
    );
  });

  test('B25 combination rules are skipped when a field is already invalid (marshmallow skip_on_field_errors)', () => {
    assertRefused({ access_type: 'offline', expiration: 0 }, { expiration: [RANGE] });
    assertRefused(
      { refresh_token: 'r', client_id: '' },
      { client_id: ['Length must be between 1 and 1024.'] },
    );
  });

  test('B25 every invalid field is reported at once, each under its own name', () => {
    const { errors, message } = refusal({ expiration: 'x', access_type: 'bad', client_id: 5, backend: null });
    assert.deepEqual(Object.keys(errors).sort(), ['access_type', 'backend', 'client_id', 'expiration']);
    for (const field of ['expiration', 'access_type', 'client_id', 'backend']) {
      assert.ok(message.includes(`'${field}': [`), message);
    }
  });

  test('A6 the reason is the Python repr of the error dict', () => {
    assert.equal(refusal({ expiration: 'foobar' }).message, "{'expiration': ['Not a valid integer.']}");
    assert.equal(refusal({ access_type: 'offline' }).message, `{'_schema': ['${OFFLINE_NEEDS_CLIENT}']}`);
    const two = refusal({ expiration: 0, client_id: '' }).message;
    assert.ok(
      two === `{'expiration': ['${RANGE}'], 'client_id': ['Length must be between 1 and 1024.']}` ||
        two === `{'client_id': ['Length must be between 1 and 1024.'], 'expiration': ['${RANGE}']}`,
      two,
    );
  });

  test('A6 the reason never echoes the refused values', () => {
    const secret = 'c4f1d2b3-0000-4000-8000-sekrit-value';
    const { message } = refusal({
      expiration: secret,
      access_type: secret,
      client_id: ['x'],
      domain_name: 7,
    });
    assert.ok(!message.includes(secret), message);
  });
});
