import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { describeEachDialect } from '../testing/dialect-suite.ts';
import {
  adminRequest,
  adminToken,
  type CreatedUser,
  JSON_CONTENT_TYPE,
  login,
  postRefreshToken,
  postToken,
  request,
  tokenStatus,
} from '../testing/http-client.ts';
import {
  assertSessionDeleted,
  createSubTenant,
  newUser,
  sessionEvents,
  uniqueTag,
} from '../testing/test-fixtures.ts';
import type { TestServer } from '../testing/test-server.ts';

interface UserBody {
  uuid: string;
  username: string | null;
  firstname: string | null;
  lastname: string | null;
  purpose: string;
  tenant_uuid: string;
  enabled: boolean;
  authentication_method: string;
  emails: { uuid: string; address: string; main: boolean; confirmed: boolean }[];
}

interface ErrorBody {
  error_id: string;
  resource?: string;
  details: Record<string, unknown>;
}

const USER_KEYS = [
  'authentication_method',
  'emails',
  'enabled',
  'firstname',
  'lastname',
  'purpose',
  'tenant_uuid',
  'username',
  'uuid',
];

async function post(server: TestServer, body: unknown) {
  return adminRequest(server, '/users', { method: 'POST', body });
}

function assertConflict(result: { status: number; body: unknown; text: string }, field: string): void {
  assert.equal(result.status, 409, result.text);
  const body = result.body as ErrorBody;
  assert.equal(body.error_id, 'conflict');
  assert.deepEqual(Object.keys(body.details), [field]);
}

await describeEachDialect('users API', {}, ({ server }) => {
  test('§2.2 POST /users returns the user object, never the password, email main and confirmed', async () => {
    const password = `secret-${randomUUID()}`;
    const username = `alice-${uniqueTag()}`;
    const address = `${username}@example.com`;
    const result = await post(server(), { username, firstname: 'Alice', email_address: address, password });
    assert.equal(result.status, 200, result.text);
    const user = result.body as UserBody;
    assert.deepEqual(Object.keys(user).sort(), USER_KEYS);
    assert.match(user.uuid, /^[0-9a-f-]{36}$/);
    assert.equal(user.username, username);
    assert.equal(user.firstname, 'Alice');
    assert.equal(user.lastname, null);
    assert.equal(user.tenant_uuid, server().topTenantUuid);
    assert.equal(user.enabled, true);
    assert.equal(user.emails.length, 1);
    assert.deepEqual(
      { ...user.emails[0], uuid: undefined },
      { uuid: undefined, address, main: true, confirmed: true },
    );
    assert.ok(!result.text.includes(password));
    assert.ok(!/password/i.test(result.text));

    const fetched = await request(server(), `/users/${user.uuid}`, { token: await adminToken(server()) });
    assert.equal(fetched.status, 200);
    assert.deepEqual(fetched.body, user);
    assert.ok(!/password/i.test(fetched.text));
    const listed = await request(server(), `/users?uuid=${user.uuid}`, { token: await adminToken(server()) });
    assert.ok(!/password/i.test(listed.text));
  });

  test('§2.2 POST /users honours a chosen uuid; the same uuid again is a 409 keyed uuid', async () => {
    const uuid = randomUUID();
    const result = await post(server(), { uuid, username: `u-${uniqueTag()}` });
    assert.equal(result.status, 200, result.text);
    assert.equal((result.body as UserBody).uuid, uuid);
    assertConflict(await post(server(), { uuid, username: `u-${uniqueTag()}` }), 'uuid');
  });

  test('§2.2 POST /users refuses a username taken case-insensitively, or equal to an email (409)', async () => {
    const username = `Bob-${uniqueTag()}`;
    await newUser(server(), { username });
    assertConflict(await post(server(), { username: username.toLowerCase() }), 'username');
    assertConflict(await post(server(), { username: username.toUpperCase() }), 'username');

    const address = `mail-${uniqueTag()}@example.com`;
    await newUser(server(), { email_address: address });
    assertConflict(await post(server(), { username: address }), 'username');
  });

  test('§2.2 POST /users refuses an email address already used (409)', async () => {
    const address = `dup-${uniqueTag()}@example.com`;
    await newUser(server(), { email_address: address });
    assertConflict(
      await post(server(), { username: `u-${uniqueTag()}`, email_address: address }),
      'email_address',
    );
  });

  test('§2.2 POST /users defaults: purpose user with method default, internal and external_api get native', async () => {
    const plain = (await newUser(server())) as CreatedUser & UserBody;
    assert.equal(plain.purpose, 'user');
    assert.equal(plain.authentication_method, 'default');
    const internal = (await newUser(server(), { purpose: 'internal' })) as CreatedUser & UserBody;
    assert.equal(internal.purpose, 'internal');
    assert.equal(internal.authentication_method, 'native');
    const external = (await newUser(server(), { purpose: 'external_api' })) as CreatedUser & UserBody;
    assert.equal(external.authentication_method, 'native');
    const chosen = (await newUser(server(), { authentication_method: 'ldap' })) as CreatedUser & UserBody;
    assert.equal(chosen.authentication_method, 'ldap');
  });

  test('§2.2 POST /users refuses invalid bodies with 400 invalid-data (resource users)', async () => {
    const bodies: unknown[] = [
      { username: 42 },
      { username: `u-${uniqueTag()}`, firstname: 7 },
      { username: `u-${uniqueTag()}`, lastname: ['x'] },
      { username: `u-${uniqueTag()}`, purpose: 'admin' },
      { username: `u-${uniqueTag()}`, authentication_method: 'kerberos' },
      { username: '' },
      { username: 'x'.repeat(257) },
      { username: `u-${uniqueTag()}`, enabled: 'yes' },
      { enabled: 'yes' },
      { username: `u-${uniqueTag()}`, uuid: 'not-a-uuid' },
      { username: `u-${uniqueTag()}`, email_address: 'not an email' },
      { username: `u-${uniqueTag()}`, password: '' },
      { username: `u-${uniqueTag()}`, password: 'short' },
      [],
      [{ username: `u-${uniqueTag()}` }],
      42,
      'a string',
    ];
    for (const body of bodies) {
      const result = await post(server(), body);
      assert.equal(result.status, 400, `${JSON.stringify(body)}: ${result.text}`);
      const error = result.body as ErrorBody;
      assert.equal(error.error_id, 'invalid-data', JSON.stringify(body));
      assert.equal(error.resource, 'users', JSON.stringify(body));
    }
    const token = await adminToken(server());
    for (const rawBody of ['', '{not json', '{"username": "x"']) {
      const result = await request(server(), '/users', {
        method: 'POST',
        token,
        rawBody,
        headers: JSON_CONTENT_TYPE,
      });
      assert.equal(result.status, 400, `${JSON.stringify(rawBody)}: ${result.text}`);
    }
  });

  test('§2.2 POST /users accepts a 256-character username and ignores unknown fields', async () => {
    const long = `${uniqueTag()}${'y'.repeat(248)}`;
    const result = await post(server(), { username: long, unknown_field: 'x', acl: ['#'] });
    assert.equal(result.status, 200, result.text);
    assert.equal((result.body as UserBody).username, long);
    assert.deepEqual(Object.keys(result.body as object).sort(), USER_KEYS);
  });

  test('§2.2 GET /users/{uuid}: unknown-user 404 with details, non-UUID path 404, other subtrees hidden', async () => {
    const token = await adminToken(server());
    const unknown = randomUUID();
    const missing = await request(server(), `/users/${unknown}`, { token });
    assert.equal(missing.status, 404);
    const body = missing.body as ErrorBody;
    assert.equal(body.error_id, 'unknown-user');
    assert.equal(body.resource, 'users');
    assert.deepEqual(body.details, { uuid: unknown });
    assert.equal((await request(server(), '/users/not-a-uuid', { token })).status, 404);

    const sub = await createSubTenant(server());
    const inSub = await newUser(server(), {}, sub);
    assert.equal((await request(server(), `/users/${inSub.uuid}`, { token })).status, 200);
    const topUser = await newUser(server());
    assert.equal((await request(server(), `/users/${topUser.uuid}`, { token, tenant: sub })).status, 404);
  });

  test('§2.2 PUT /users/{uuid} is a full replacement', async () => {
    const user = await newUser(server(), { firstname: 'First', lastname: 'Last', enabled: false });
    assert.equal((user as CreatedUser & UserBody).enabled, false);
    const token = await adminToken(server());
    const newName = `renamed-${uniqueTag()}`;
    const result = await request(server(), `/users/${user.uuid}`, {
      method: 'PUT',
      token,
      body: { username: newName, lastname: 'Other' },
    });
    assert.equal(result.status, 200, result.text);
    const updated = result.body as UserBody;
    assert.equal(updated.username, newName);
    assert.equal(updated.firstname, null);
    assert.equal(updated.lastname, 'Other');
    assert.equal(updated.enabled, true);
    assert.equal(updated.purpose, 'user');
    assert.equal(updated.authentication_method, 'default');
    assert.deepEqual((await request(server(), `/users/${user.uuid}`, { token })).body, updated);

    const unknown = await request(server(), `/users/${randomUUID()}`, {
      method: 'PUT',
      token,
      body: { username: 'x' },
    });
    assert.equal(unknown.status, 404);
    const other = await newUser(server());
    const clash = await request(server(), `/users/${user.uuid}`, {
      method: 'PUT',
      token,
      body: { username: other.username.toUpperCase() },
    });
    assertConflict(clash, 'username');
    const invalid = await request(server(), `/users/${user.uuid}`, {
      method: 'PUT',
      token,
      body: { enabled: 'yes' },
    });
    assert.equal(invalid.status, 400);
    assert.equal((invalid.body as ErrorBody).error_id, 'invalid-data');
  });

  test('D63 disabling a user revokes its tokens and sessions; other edits do not', async () => {
    const user = await newUser(server(), { firstname: 'Before' });
    const first = await login(server(), user.username, user.password);
    const second = await login(server(), user.username, user.password);
    const token = await adminToken(server());
    const rename = await request(server(), `/users/${user.uuid}`, {
      method: 'PUT',
      token,
      body: { username: user.username, firstname: 'After' },
    });
    assert.equal(rename.status, 200);
    assert.equal(await tokenStatus(server(), first.token), 204);
    assert.equal(await tokenStatus(server(), second.token), 204);

    const disable = await request(server(), `/users/${user.uuid}`, {
      method: 'PUT',
      token,
      body: { username: user.username, enabled: false },
    });
    assert.equal(disable.status, 200);
    assert.equal((disable.body as UserBody).enabled, false);
    assert.equal(await tokenStatus(server(), first.token), 404);
    assert.equal(await tokenStatus(server(), second.token), 404);
    const sessions = await request(server(), `/users/${user.uuid}/sessions`, { token });
    assert.deepEqual(sessions.body, { total: 0, filtered: 0, items: [] });
    for (const session of [first.session_uuid, second.session_uuid]) {
      assertSessionDeleted(server(), user, session);
    }
    assert.equal((await postToken(server(), user.username, user.password)).status, 401);
    await request(server(), `/users/${user.uuid}`, {
      method: 'PUT',
      token,
      body: { username: user.username },
    });
    assert.equal((await postToken(server(), user.username, user.password)).status, 200);
  });

  test('§2.2 DELETE /users/{uuid} answers 204 then 404', async () => {
    const user = await newUser(server());
    const token = await adminToken(server());
    assert.equal(
      (await request(server(), `/users/${randomUUID()}`, { method: 'DELETE', token })).status,
      404,
    );
    assert.equal((await request(server(), `/users/${user.uuid}`, { method: 'DELETE', token })).status, 204);
    assert.equal((await request(server(), `/users/${user.uuid}`, { method: 'DELETE', token })).status, 404);
    assert.equal((await request(server(), `/users/${user.uuid}`, { token })).status, 404);
    assert.equal((await postToken(server(), user.username, user.password)).status, 401);
  });

  test('D15 deleting a user ends its sessions at once and removes its refresh tokens', async () => {
    const user = await newUser(server());
    const online = await login(server(), user.username, user.password);
    const offline = await login(server(), user.username, user.password, {
      access_type: 'offline',
      client_id: 'app',
    });
    const db = server().container.storage.db;
    const refreshRows = () =>
      db.selectFrom('auth_refresh_token').select('uuid').where('user_uuid', '=', user.uuid).execute();
    assert.equal((await refreshRows()).length, 1);

    const token = await adminToken(server());
    assert.equal((await request(server(), `/users/${user.uuid}`, { method: 'DELETE', token })).status, 204);
    assert.equal(await tokenStatus(server(), online.token), 404);
    assert.equal(await tokenStatus(server(), offline.token), 404);
    assert.equal((await refreshRows()).length, 0);
    const sessions = await db
      .selectFrom('auth_session')
      .select('uuid')
      .where('user_uuid', '=', user.uuid)
      .execute();
    assert.deepEqual(sessions, []);
    for (const session of [online.session_uuid, offline.session_uuid])
      assert.equal(sessionEvents(server(), 'auth_session_deleted', session).length, 1);
    const refreshed = await postRefreshToken(server(), offline.refresh_token as string, 'app');
    assert.equal(refreshed.status, 401);
  });
});
