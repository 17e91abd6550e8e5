import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeEachDialect } from '../testing/dialect-suite.ts';
import {
  base64,
  basic,
  createUser,
  JSON_CONTENT_TYPE,
  login,
  postToken,
  request,
  type TokenData,
} from '../testing/http-client.ts';
import { assertLegacyError, tokenOf, UUID_PATTERN } from '../testing/test-fixtures.ts';

const UTC_FORMAT = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/;
/** Python's isoformat(): the fraction is only shown when non-zero. */
const LOCAL_FORMAT = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?$/;
const TOKEN_FIELDS = [
  'token',
  'auth_id',
  'xivo_user_uuid',
  'xivo_uuid',
  'issued_at',
  'expires_at',
  'utc_issued_at',
  'utc_expires_at',
  'acl',
  'metadata',
  'session_uuid',
  'remote_addr',
  'user_agent',
];

/** Milliseconds of a zone-less timestamp read as if it were UTC (sub-millisecond digits dropped). */
function asUtcMs(timestamp: string): number {
  const value = Date.parse(`${timestamp.slice(0, 23)}Z`);
  assert.ok(!Number.isNaN(value), `unparsable timestamp ${timestamp}`);
  return value;
}

function lifetimeMs(token: TokenData): number {
  return asUtcMs(token.utc_expires_at as string) - asUtcMs(token.utc_issued_at as string);
}

function withoutTimestamp(body: unknown): unknown {
  const { timestamp: _ignored, ...rest } = body as Record<string, unknown>;
  return rest;
}

await describeEachDialect('POST /token: creation', {}, ({ server }) => {
  test('A1 valid Basic credentials give a token with the user metadata and an ACL', async () => {
    const user = await createUser(server());
    const token = tokenOf(await postToken(server(), user.username, user.password));
    assert.match(token.token, UUID_PATTERN);
    assert.equal(token.metadata.uuid, user.uuid);
    assert.ok(Array.isArray(token.acl));
    assert.equal(token.auth_id, user.uuid);
  });

  test('A2 the POST response carries the stack xivo_uuid', async () => {
    const user = await createUser(server());
    const token = tokenOf(await postToken(server(), user.username, user.password));
    assert.equal(token.xivo_uuid, 'the-predefined-xivo-uuid');
  });

  test('A1 the token object has exactly the wazo field names, in order', async () => {
    const user = await createUser(server());
    const online = tokenOf(await postToken(server(), user.username, user.password));
    assert.deepEqual(Object.keys(online), TOKEN_FIELDS);
    const offline = tokenOf(
      await postToken(server(), user.username, user.password, {
        access_type: 'offline',
        client_id: 'field-order',
      }),
    );
    assert.deepEqual(Object.keys(offline), [...TOKEN_FIELDS, 'refresh_token']);
    assert.match(offline.refresh_token as string, UUID_PATTERN);
    const read = await request(server(), `/token/${online.token}`);
    assert.equal(read.status, 200);
    assert.deepEqual(Object.keys((read.body as { data: TokenData }).data), TOKEN_FIELDS);
  });

  test('A3 wrong password, unknown login and user without password give 401', async () => {
    const user = await createUser(server());
    assertLegacyError(
      await postToken(server(), user.username, 'not-the-password'),
      401,
      'Authentication Failed',
    );
    assertLegacyError(
      await postToken(server(), `nobody-${user.uuid}`, 'whatever'),
      401,
      'Authentication Failed',
    );
    const passwordless = await createUser(server(), { password: undefined });
    assertLegacyError(
      await postToken(server(), passwordless.username, 'anything'),
      401,
      'Authentication Failed',
    );
    assertLegacyError(await postToken(server(), passwordless.username, passwordless.password), 401);
  });

  test('A3 unknown login and wrong password answer identically apart from the timestamp', async () => {
    const user = await createUser(server());
    const wrongPassword = await postToken(server(), user.username, 'not-the-password');
    const unknownLogin = await postToken(server(), `nobody-${user.uuid}`, 'not-the-password');
    assert.equal(wrongPassword.status, 401);
    assert.equal(unknownLogin.status, wrongPassword.status);
    assert.deepEqual(withoutTimestamp(unknownLogin.body), withoutTimestamp(wrongPassword.body));
    assert.equal(unknownLogin.headers.get('content-type'), wrongPassword.headers.get('content-type'));
  });

  test('A3 malformed Basic credentials give 401, never 500', async () => {
    const user = await createUser(server());
    const attempts = [
      `Basic ${base64(`${user.username}${user.password}`)}`,
      basic(user.username, ''),
      basic('', user.password),
      'Basic !!!',
      'Basic',
      `Bearer ${base64(`${user.username}:${user.password}`)}`,
    ];
    for (const authorization of attempts) {
      const result = await request(server(), '/token', {
        method: 'POST',
        body: {},
        headers: { Authorization: authorization },
      });
      assertLegacyError(result, 401, 'Authentication Failed');
    }
    const noHeader = await request(server(), '/token', { method: 'POST', body: {} });
    assertLegacyError(noHeader, 401, 'Authentication Failed');
  });

  test('A4 an unknown backend does not matter: right credentials 200, wrong password 401', async () => {
    const user = await createUser(server());
    tokenOf(await postToken(server(), user.username, user.password, { backend: 'no_such_backend' }));
    tokenOf(await postToken(server(), user.username, user.password, { backend: 'ldap_user' }));
    assertLegacyError(
      await postToken(server(), user.username, 'wrong', { backend: 'no_such_backend' }),
      401,
      'Authentication Failed',
    );
  });

  test('A5 no body, an empty body or a non-JSON body with Basic credentials give 400', async () => {
    const user = await createUser(server());
    const authorization = basic(user.username, user.password);
    const noBody = await request(server(), '/token', {
      method: 'POST',
      headers: { Authorization: authorization },
    });
    assert.equal(noBody.status, 400, noBody.text);
    const empty = await request(server(), '/token', {
      method: 'POST',
      rawBody: '',
      headers: { Authorization: authorization, ...JSON_CONTENT_TYPE },
    });
    assert.equal(empty.status, 400, empty.text);
    const garbage = await request(server(), '/token', {
      method: 'POST',
      rawBody: '{"expiration": ',
      headers: { Authorization: authorization, ...JSON_CONTENT_TYPE },
    });
    assert.equal(garbage.status, 400, garbage.text);
  });

  test('A6 lenient expiration: "10" and 10.7 give 10 s, {} is a valid body, 315360000 is the maximum', async () => {
    const user = await createUser(server());
    assert.equal(
      lifetimeMs(tokenOf(await postToken(server(), user.username, user.password, { expiration: '10' }))),
      10_000,
    );
    assert.equal(
      lifetimeMs(tokenOf(await postToken(server(), user.username, user.password, { expiration: 10.7 }))),
      10_000,
    );
    tokenOf(await postToken(server(), user.username, user.password, {}));
    const longest = tokenOf(
      await postToken(server(), user.username, user.password, { expiration: 315_360_000 }),
    );
    assert.equal(lifetimeMs(longest), 315_360_000_000);
  });

  test('A6 invalid expirations give 400 in the legacy shape', async () => {
    const user = await createUser(server());
    const invalid: unknown[] = [true, false, null, 0, -1, 'foobar', 315_360_001, '', [], {}];
    for (const expiration of invalid) {
      const result = await postToken(server(), user.username, user.password, { expiration });
      assertLegacyError(result, 400, /expiration/);
    }
  });

  test('A6 a literal JSON null body counts as {}', async () => {
    const user = await createUser(server());
    const result = await request(server(), '/token', {
      method: 'POST',
      rawBody: 'null',
      headers: { Authorization: basic(user.username, user.password), ...JSON_CONTENT_TYPE },
    });
    tokenOf(result);
  });

  test('A7 expiration 2 gives 2 s between issue and expiry, in local and UTC fields', async () => {
    const user = await createUser(server());
    const previousTz = process.env.TZ;
    process.env.TZ = 'Asia/Kolkata';
    let token: TokenData;
    try {
      token = tokenOf(await postToken(server(), user.username, user.password, { expiration: 2 }));
    } finally {
      if (previousTz === undefined) delete process.env.TZ;
      else process.env.TZ = previousTz;
    }
    const [issued_at, expires_at, utc_issued_at, utc_expires_at] = [
      token.issued_at,
      token.expires_at,
      token.utc_issued_at,
      token.utc_expires_at,
    ].map(String) as [string, string, string, string];
    assert.match(utc_issued_at, UTC_FORMAT);
    assert.match(utc_expires_at, UTC_FORMAT);
    assert.match(issued_at, LOCAL_FORMAT);
    assert.match(expires_at, LOCAL_FORMAT);
    assert.equal(asUtcMs(expires_at) - asUtcMs(issued_at), 2000);
    assert.equal(asUtcMs(utc_expires_at) - asUtcMs(utc_issued_at), 2000);
    // Asia/Kolkata is UTC+05:30 all year: local fields are 5 h 30 min ahead of the UTC ones.
    assert.equal(asUtcMs(issued_at) - asUtcMs(utc_issued_at), 330 * 60_000);
    assert.equal(asUtcMs(expires_at) - asUtcMs(utc_expires_at), 330 * 60_000);
    const utcIssued = asUtcMs(utc_issued_at);
    assert.ok(Math.abs(utcIssued - Date.now()) < 60_000, `utc_issued_at ${utc_issued_at} is not now`);
  });

  test('A7 local fields differ from UTC by the server offset when it runs in its own zone', async () => {
    const user = await createUser(server());
    const token = tokenOf(await postToken(server(), user.username, user.password, { expiration: 2 }));
    const utcIssued = asUtcMs(token.utc_issued_at as string);
    const offsetMs = 0 - new Date(utcIssued).getTimezoneOffset() * 60_000;
    assert.equal(asUtcMs(token.issued_at as string) - utcIssued, offsetMs);
    assert.equal(asUtcMs(token.expires_at as string) - asUtcMs(token.utc_expires_at as string), offsetMs);
  });

  test('A7 without expiration the token lives default_token_lifetime (7200 s)', async () => {
    const user = await createUser(server());
    const token = tokenOf(await postToken(server(), user.username, user.password));
    assert.equal(lifetimeMs(token), 7_200_000);
  });

  test('A19 the response has Wazo-Sessions-Revoked: 0 and Cache-Control: no-store', async () => {
    const user = await createUser(server());
    const result = await postToken(server(), user.username, user.password);
    tokenOf(result);
    assert.equal(result.headers.get('wazo-sessions-revoked'), '0');
    assert.match(result.headers.get('cache-control') ?? '', /no-store/);
  });

  test('A1 unknown JSON fields in the body are ignored', async () => {
    const user = await createUser(server());
    const token = tokenOf(
      await postToken(server(), user.username, user.password, {
        expiration: 60,
        foo: 'bar',
        nested: { a: 1 },
      }),
    );
    assert.equal(lifetimeMs(token), 60_000);
  });

  test('A9 non-ASCII passwords work in UTF-8, and in latin-1 when representable', async () => {
    const latin = await createUser(server(), { password: 'pässwörd-àéîõü-ß' });
    tokenOf(await postToken(server(), latin.username, latin.password));
    const viaLatin1 = await request(server(), '/token', {
      method: 'POST',
      body: {},
      headers: { Authorization: basic(latin.username, latin.password, 'latin1') },
    });
    tokenOf(viaLatin1);
    const wide = await createUser(server(), { password: '密码-пароль-🔑' });
    tokenOf(await postToken(server(), wide.username, wide.password));
    assertLegacyError(await postToken(server(), wide.username, '密码-пароль'), 401, 'Authentication Failed');
  });

  test('A8 a confirmed email given at creation logs in, case-insensitively', async () => {
    const suffix = Math.random().toString(36).slice(2, 10);
    const address = `Some.Person-${suffix}@Example.com`;
    const user = await createUser(server(), { email_address: address });
    const emails = user.emails as { address: string; main: boolean; confirmed: boolean }[];
    assert.equal(emails.length, 1);
    assert.equal(emails[0]?.address, address);
    assert.equal(emails[0]?.main, true);
    assert.equal(emails[0]?.confirmed, true);
    for (const variant of [address, address.toLowerCase(), address.toUpperCase()]) {
      const token = await login(server(), variant, user.password);
      assert.equal(token.metadata.uuid, user.uuid);
    }
    assertLegacyError(await postToken(server(), address, 'wrong-password'), 401, 'Authentication Failed');
  });

  test('A8 with several users having only emails, each email logs in its own user', async () => {
    const suffix = Math.random().toString(36).slice(2, 10);
    const first = await createUser(server(), {
      username: null,
      email_address: `first-${suffix}@example.com`,
    });
    const second = await createUser(server(), {
      username: null,
      email_address: `second-${suffix}@example.com`,
    });
    const firstToken = await login(server(), `first-${suffix}@example.com`, first.password);
    const secondToken = await login(server(), `second-${suffix}@example.com`, second.password);
    assert.equal(firstToken.metadata.uuid, first.uuid);
    assert.equal(secondToken.metadata.uuid, second.uuid);
    assertLegacyError(await postToken(server(), `first-${suffix}@example.com`, second.password), 401);
  });

  test("A8 a confirmed email wins over the same text as another user's username", async () => {
    const text = `shared-${Math.random().toString(36).slice(2, 10)}@example.com`;
    const byUsername = await createUser(server(), { username: text });
    const byEmail = await createUser(server(), { email_address: text.toUpperCase() });
    assert.equal((await login(server(), text, byEmail.password)).metadata.uuid, byEmail.uuid);
    assertLegacyError(await postToken(server(), text, byUsername.password), 401, 'Authentication Failed');
  });

  test('A8 the username matches case-insensitively', async () => {
    const suffix = Math.random().toString(36).slice(2, 10);
    const user = await createUser(server(), { username: `Mixed.Case-${suffix}` });
    for (const variant of [user.username, user.username.toLowerCase(), user.username.toUpperCase()]) {
      const token = await login(server(), variant, user.password);
      assert.equal(token.metadata.uuid, user.uuid);
    }
  });
});
