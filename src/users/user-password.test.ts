import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { hashLikeWazo } from '../crypto/password-hasher.ts';
import { describeEachDialect } from '../testing/dialect-suite.ts';
import {
  adminRequest,
  adminToken,
  type HttpResult,
  JSON_CONTENT_TYPE,
  login,
  MOBILE_SESSION,
  postRefreshToken,
  postToken,
  request,
  tokenStatus,
} from '../testing/http-client.ts';
import {
  assertAuthFailed,
  assertSessionDeleted,
  createSubTenant,
  grantAcl,
  newPassword,
  newUser,
} from '../testing/test-fixtures.ts';
import type { TestServer } from '../testing/test-server.ts';

async function changePassword(
  server: TestServer,
  userUuid: string,
  body: unknown,
  token?: string,
): Promise<HttpResult> {
  return adminRequest(server, `/users/${userUuid}/password`, { method: 'PUT', token, body });
}

async function storedPassword(server: TestServer, userUuid: string) {
  return server.container.storage.db
    .selectFrom('auth_user')
    .select(['password_hash', 'password_salt'])
    .where('uuid', '=', userUuid)
    .executeTakeFirstOrThrow();
}

/** Replaces the user's password by a legacy wazo PBKDF2 hash of `password`; returns the hash. */
async function storeLegacyHash(server: TestServer, userUuid: string, password: string) {
  const legacy = await hashLikeWazo(password);
  await server.container.storage.db
    .updateTable('auth_user')
    .set({ password_hash: legacy.hash, password_salt: legacy.salt })
    .where('uuid', '=', userUuid)
    .execute();
  return legacy;
}

await describeEachDialect('user password change', {}, ({ server }) => {
  test('D62 a wrong old password gives 401 Authentication Failed and changes nothing', async () => {
    const user = await newUser(server());
    const session = await login(server(), user.username, user.password);
    const result = await changePassword(server(), user.uuid, {
      old_password: 'wrong',
      new_password: newPassword(),
    });
    assertAuthFailed(result);
    assert.equal(await tokenStatus(server(), session.token), 204);
    assert.equal((await postToken(server(), user.username, user.password)).status, 200);
  });

  test('D62 a missing field gives 400, an unknown user 404', async () => {
    const user = await newUser(server());
    const unknown = randomUUID();
    const bodies = [
      { new_password: newPassword() },
      { old_password: user.password },
      { old_password: '', new_password: newPassword() },
      { old_password: user.password, new_password: '' },
      { old_password: user.password, new_password: 42 },
      {},
    ];
    for (const body of bodies) {
      const known = await changePassword(server(), user.uuid, body);
      assert.equal(known.status, 400, `${JSON.stringify(body)}: ${known.text}`);
      const missing = await changePassword(server(), unknown, body);
      assert.equal(missing.status, 400, `unknown user, ${JSON.stringify(body)}: ${missing.text}`);
    }
    const empty = await request(server(), `/users/${user.uuid}/password`, {
      method: 'PUT',
      token: await adminToken(server()),
      rawBody: '',
      headers: JSON_CONTENT_TYPE,
    });
    assert.equal(empty.status, 400);

    const result = await changePassword(server(), unknown, {
      old_password: 'wrong',
      new_password: newPassword(),
    });
    assert.equal(result.status, 404);
    assert.equal((result.body as { error_id: string }).error_id, 'unknown-user');
    assert.equal((await postToken(server(), user.username, user.password)).status, 200);
  });

  test('D62 success ends every session, publishes auth_session_deleted, and swaps the passwords', async () => {
    const user = await newUser(server());
    const first = await login(server(), user.username, user.password);
    const second = await login(server(), user.username, user.password, {}, MOBILE_SESSION);
    const next = newPassword();
    const result = await changePassword(server(), user.uuid, {
      old_password: user.password,
      new_password: next,
    });
    assert.equal(result.status, 204, result.text);
    assert.equal(result.text, '');

    assert.equal(await tokenStatus(server(), first.token), 404);
    assert.equal(await tokenStatus(server(), second.token), 404);
    const sessions = await request(server(), `/users/${user.uuid}/sessions`, {
      token: await adminToken(server()),
    });
    assert.deepEqual(sessions.body, { total: 0, filtered: 0, items: [] });
    for (const session of [first.session_uuid, second.session_uuid])
      assertSessionDeleted(server(), user, session);
    assert.equal((await postToken(server(), user.username, next)).status, 200);
    assert.equal((await postToken(server(), user.username, user.password)).status, 401);
  });

  test('D62 refresh tokens stay valid after a password change', async () => {
    const user = await newUser(server());
    const offline = await login(server(), user.username, user.password, {
      access_type: 'offline',
      client_id: 'pw',
    });
    const changed = await changePassword(server(), user.uuid, {
      old_password: user.password,
      new_password: newPassword(),
    });
    assert.equal(changed.status, 204);
    assert.equal(await tokenStatus(server(), offline.token), 404);
    const refreshed = await postRefreshToken(server(), offline.refresh_token as string, 'pw');
    assert.equal(refreshed.status, 200, refreshed.text);
  });

  test('D62 works for a user whose login is its confirmed main email', async () => {
    const address = `only-mail-${randomUUID().slice(0, 8)}@example.com`;
    const password = newPassword();
    const created = await request(server(), '/users', {
      method: 'POST',
      token: await adminToken(server()),
      body: { email_address: address, password },
    });
    assert.equal(created.status, 200, created.text);
    const user = created.body as { uuid: string; username: string | null };
    assert.equal(user.username, null);
    const session = await login(server(), address, password);

    const wrong = await changePassword(server(), user.uuid, {
      old_password: 'nope-nope',
      new_password: newPassword(),
    });
    assert.equal(wrong.status, 401);
    const next = newPassword();
    const result = await changePassword(server(), user.uuid, { old_password: password, new_password: next });
    assert.equal(result.status, 204, result.text);
    assert.equal(await tokenStatus(server(), session.token), 404);
    assert.equal((await postToken(server(), address, next)).status, 200);
    assert.equal((await postToken(server(), address, password)).status, 401);
  });

  test('D62 fails (401) for a user with no username and no confirmed email', async () => {
    const password = newPassword();
    const created = await request(server(), '/users', {
      method: 'POST',
      token: await adminToken(server()),
      body: { password },
    });
    assert.equal(created.status, 200, created.text);
    const nameless = (created.body as { uuid: string }).uuid;
    const result = await changePassword(server(), nameless, {
      old_password: password,
      new_password: newPassword(),
    });
    assert.equal(result.status, 401);

    const address = `unconfirmed-${randomUUID().slice(0, 8)}@example.com`;
    const withMail = await request(server(), '/users', {
      method: 'POST',
      token: await adminToken(server()),
      body: { email_address: address, password },
    });
    const unconfirmed = (withMail.body as { uuid: string }).uuid;
    await server()
      .container.storage.db.updateTable('auth_email')
      .set({ confirmed: false })
      .where('user_uuid', '=', unconfirmed)
      .execute();
    const refused = await changePassword(server(), unconfirmed, {
      old_password: password,
      new_password: newPassword(),
    });
    assert.equal(refused.status, 401);
  });

  test('D62 405 password-managed-externally for saml and ldap users, also through the tenant default', async () => {
    for (const method of ['saml', 'ldap']) {
      const user = await newUser(server(), { authentication_method: method });
      const result = await changePassword(server(), user.uuid, {
        old_password: user.password,
        new_password: newPassword(),
      });
      assert.equal(result.status, 405, `${method}: ${result.text}`);
      assert.equal((result.body as { error_id: string }).error_id, 'password-managed-externally');
    }
    const tenant = await createSubTenant(server(), server().topTenantUuid, {
      defaultAuthenticationMethod: 'saml',
    });
    const user = await newUser(server(), {}, tenant);
    const result = await changePassword(server(), user.uuid, {
      old_password: user.password,
      new_password: newPassword(),
    });
    assert.equal(result.status, 405);
  });

  test('D11 a new password shorter than 8 characters is refused with 400', async () => {
    const user = await newUser(server());
    const session = await login(server(), user.username, user.password);
    const result = await changePassword(server(), user.uuid, {
      old_password: user.password,
      new_password: 'short7!',
    });
    assert.equal(result.status, 400, result.text);
    assert.equal(await tokenStatus(server(), session.token), 204);
    assert.equal((await postToken(server(), user.username, user.password)).status, 200);
    assert.equal((await postToken(server(), user.username, 'short7!')).status, 401);
    const eight = await changePassword(server(), user.uuid, {
      old_password: user.password,
      new_password: 'eight-ch',
    });
    assert.equal(eight.status, 204, eight.text);
  });

  test('C53 auth.users.me.password.# lets a user change its own password, not another one', async () => {
    const user = await newUser(server());
    const other = await newUser(server());
    const bare = await login(server(), user.username, user.password);
    const denied = await changePassword(
      server(),
      user.uuid,
      { old_password: user.password, new_password: newPassword() },
      bare.token,
    );
    assert.equal(denied.status, 401);

    await grantAcl(server(), user, ['auth.users.me.password.#']);
    const token = (await login(server(), user.username, user.password)).token;
    const foreign = await changePassword(
      server(),
      other.uuid,
      { old_password: other.password, new_password: newPassword() },
      token,
    );
    assert.equal(foreign.status, 401);
    assert.equal((foreign.body as { error_id: string }).error_id, 'unauthorized');
    assert.equal((await postToken(server(), other.username, other.password)).status, 200);

    const next = newPassword();
    const own = await changePassword(
      server(),
      user.uuid,
      { old_password: user.password, new_password: next },
      token,
    );
    assert.equal(own.status, 204, own.text);
    assert.equal(await tokenStatus(server(), token), 404);
    assert.equal((await postToken(server(), user.username, next)).status, 200);
  });

  test('§5 legacy wazo PBKDF2 hashes log in and are rehashed to argon2id', async () => {
    const user = await newUser(server());
    const legacyPassword = `légacy-${randomUUID()}`;
    const legacy = await storeLegacyHash(server(), user.uuid, legacyPassword);
    assert.equal((await postToken(server(), user.username, 'wrong-password')).status, 401);
    assert.deepEqual(await storedPassword(server(), user.uuid), {
      password_hash: legacy.hash,
      password_salt: legacy.salt,
    });

    assert.equal((await postToken(server(), user.username, legacyPassword)).status, 200);
    const upgraded = await storedPassword(server(), user.uuid);
    assert.match(upgraded.password_hash ?? '', /^\$argon2id\$/);
    assert.equal(upgraded.password_salt, null);
    assert.equal((await postToken(server(), user.username, legacyPassword)).status, 200);
    assert.equal((await postToken(server(), user.username, 'wrong-password')).status, 401);
  });

  test('§5 D62 a password change works from a legacy wazo PBKDF2 hash', async () => {
    const user = await newUser(server());
    const legacyPassword = `legacy-${randomUUID()}`;
    await storeLegacyHash(server(), user.uuid, legacyPassword);
    const next = newPassword();
    const result = await changePassword(server(), user.uuid, {
      old_password: legacyPassword,
      new_password: next,
    });
    assert.equal(result.status, 204, result.text);
    const stored = await storedPassword(server(), user.uuid);
    assert.match(stored.password_hash ?? '', /^\$argon2id\$/);
    assert.equal(stored.password_salt, null);
    assert.equal((await postToken(server(), user.username, next)).status, 200);
    assert.equal((await postToken(server(), user.username, legacyPassword)).status, 401);
  });
});
