import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { digestToken } from '../crypto/token-values.ts';
import { type ReceivedMail, startTestSmtpServer, tokenIn } from '../mail/test-smtp-server.ts';
import { describeEachDialect } from '../testing/dialect-suite.ts';
import { adminRequest, login, postToken, request, tokenStatus } from '../testing/http-client.ts';
import {
  assertApiError,
  assertAuthFailed,
  createSubTenant,
  newPassword,
  newUser,
  uniqueTag,
  userWithAcl,
} from '../testing/test-fixtures.ts';
import type { TestServer } from '../testing/test-server.ts';

const smtp = await startTestSmtpServer();
after(() => smtp.close());

const EXPIRATION_SECONDS = 7200;

/** A user whose main address is confirmed (given at creation), with a known password. */
async function userWithEmail(server: TestServer, fields: Record<string, unknown> = {}) {
  const email = `reset-${uniqueTag()}@example.com`;
  return { ...(await newUser(server, { email_address: email, ...fields })), email };
}

function askReset(server: TestServer, query: string) {
  return request(server, `/users/password/reset?${query}`);
}

/** Requests a reset by username and returns the mail and the token it carries. */
async function resetMail(
  server: TestServer,
  username: string,
  email: string,
): Promise<[ReceivedMail, string]> {
  const before = smtp.to(email).length;
  assert.equal((await askReset(server, `username=${encodeURIComponent(username)}`)).status, 204);
  const mail = (await smtp.waitFor(email, before + 1)).at(-1);
  assert.ok(mail);
  return [mail, tokenIn(mail)];
}

function setPassword(server: TestServer, userUuid: string, body: unknown, token?: string, query = '') {
  return request(server, `/users/password/reset?user_uuid=${userUuid}${query}`, {
    method: 'POST',
    body,
    token,
  });
}

await describeEachDialect(
  'password reset',
  {
    manualClock: true,
    config: {
      smtp: { host: '127.0.0.1', port: smtp.port, from_address: 'reset@stack.example.com' },
      public_url: 'https://stack.example.com/api/auth/',
      password_reset: { expiration_seconds: EXPIRATION_SECONDS, subject: 'Reset for {{ username }}' },
    },
  },
  ({ server }) => {
    test('64 a reset email carries a token that sets a new password; the new one logs in', async () => {
      const user = await userWithEmail(server());
      const [mail, token] = await resetMail(server(), user.username, user.email);
      assert.deepEqual(mail.to, [user.email]);
      assert.equal(mail.from, 'reset@stack.example.com');
      assert.equal(mail.subject, `Reset for ${user.username}`);
      assert.ok(
        mail.text.includes(
          `https://stack.example.com/api/auth/0.1/users/password/reset?user_uuid=${user.uuid}&token=${token}`,
        ),
        mail.text,
      );
      const password = newPassword();
      assert.equal((await setPassword(server(), user.uuid, { password }, token)).status, 204);
      await login(server(), user.username, password);
      assertAuthFailed(await postToken(server(), user.username, user.password));
    });

    test('64 requesting a reset keeps the old password; the link session has user_uuid null and the reset ACL', async () => {
      const user = await userWithEmail(server());
      const [, token] = await resetMail(server(), user.username, user.email);
      await login(server(), user.username, user.password);
      const data = (await request(server(), `/token/${token}`)).body as { data: Record<string, unknown> };
      assert.equal(data.data.auth_id, 'wazo-auth');
      assert.deepEqual(data.data.acl, [`auth.users.password.reset.${user.uuid}.create`]);
      assert.deepEqual(data.data.metadata, {});
      const session = await server()
        .container.storage.db.selectFrom('auth_token as t')
        .innerJoin('auth_session as s', 's.uuid', 't.session_uuid')
        .select(['s.user_uuid', 's.tenant_uuid'])
        .where('t.token_hash', '=', digestToken(token))
        .executeTakeFirstOrThrow();
      assert.deepEqual(session, { user_uuid: null, tenant_uuid: server().topTenantUuid });
      const sessions = await adminRequest(server(), `/users/${user.uuid}/sessions`);
      assert.equal((sessions.body as { total: number }).total, 1, 'only the login above');
    });

    test('64 setting the password ends every session of the user, with auth_session_deleted events', async () => {
      const user = await userWithEmail(server());
      const first = await login(server(), user.username, user.password);
      const second = await login(server(), user.username, user.password);
      const [, token] = await resetMail(server(), user.username, user.email);
      server().events.clear();
      assert.equal((await setPassword(server(), user.uuid, { password: newPassword() }, token)).status, 204);
      assert.equal(await tokenStatus(server(), first.token), 404);
      assert.equal(await tokenStatus(server(), second.token), 404);
      const deleted = server()
        .events.named('auth_session_deleted')
        .map((e) => e.data.uuid);
      for (const session of [first.session_uuid, second.session_uuid]) assert.ok(deleted.includes(session));
    });

    test('64 password null removes the password: native login becomes impossible', async () => {
      const user = await userWithEmail(server());
      const [, token] = await resetMail(server(), user.username, user.email);
      assert.equal((await setPassword(server(), user.uuid, { password: null }, token)).status, 204);
      assertAuthFailed(await postToken(server(), user.username, user.password));
    });

    test('64 the reset token works once: a second use is 401 and changes nothing', async () => {
      const user = await userWithEmail(server());
      const [, token] = await resetMail(server(), user.username, user.email);
      const password = newPassword();
      assert.equal((await setPassword(server(), user.uuid, { password }, token)).status, 204);
      const again = await setPassword(server(), user.uuid, { password: newPassword() }, token);
      assertApiError(again, 401, 'unauthorized');
      await login(server(), user.username, password);
    });

    test('CC-12 ten concurrent resets with one token: exactly one 204, the others 401', async () => {
      const user = await userWithEmail(server());
      const [, token] = await resetMail(server(), user.username, user.email);
      const passwords = Array.from({ length: 10 }, () => newPassword());
      const results = await Promise.all(
        passwords.map((password) => setPassword(server(), user.uuid, { password }, token)),
      );
      const statuses = results.map((r) => r.status).sort();
      assert.deepEqual(statuses, [204, ...Array(9).fill(401)], JSON.stringify(statuses));
      const winner = passwords[results.findIndex((r) => r.status === 204)];
      assert.ok(winner);
      await login(server(), user.username, winner);
    });

    test('64 the token may come as ?token= (which wins over the header) or as X-Auth-Token', async () => {
      const user = await userWithEmail(server());
      const [, token] = await resetMail(server(), user.username, user.email);
      const wrongQuery = await setPassword(
        server(),
        user.uuid,
        { password: newPassword() },
        token,
        `&token=${uniqueTag()}`,
      );
      assertApiError(wrongQuery, 401, 'unauthorized');
      const viaQuery = await setPassword(
        server(),
        user.uuid,
        { password: newPassword() },
        'garbage',
        `&token=${token}`,
      );
      assert.equal(viaQuery.status, 204, viaQuery.text);
      assert.ok(!server().logs.some((line) => line.includes(token)), 'the token never reaches the log');
    });

    test('64 POST reset 401: no token, unknown token, a token for another user, expired token', async () => {
      const user = await userWithEmail(server());
      const other = await userWithEmail(server());
      const body = { password: newPassword() };
      assertApiError(await setPassword(server(), user.uuid, body), 401, 'unauthorized');
      assertApiError(
        await setPassword(server(), user.uuid, body, '00000000-0000-4000-8000-000000000000'),
        401,
        'unauthorized',
      );
      const [, otherToken] = await resetMail(server(), other.username, other.email);
      const details = assertApiError(
        await setPassword(server(), user.uuid, body, otherToken),
        401,
        'unauthorized',
      );
      assert.equal(details.required_access, `auth.users.password.reset.${user.uuid}.create`);
      assert.equal(
        await tokenStatus(server(), otherToken),
        204,
        'a refused request does not spend the token',
      );
      const [, token] = await resetMail(server(), user.username, user.email);
      server().clock?.advance(EXPIRATION_SECONDS * 1000 + 1000);
      assertApiError(await setPassword(server(), user.uuid, body, token), 401, 'unauthorized');
      await login(server(), user.username, user.password);
    });

    test('64 POST reset 400 before the token is spent: missing key, empty body, too short, not a string', async () => {
      const user = await userWithEmail(server());
      const [, token] = await resetMail(server(), user.username, user.email);
      for (const body of [{}, { password: '' }, { password: 'short' }, { password: 12345678 }]) {
        const result = await setPassword(server(), user.uuid, body, token);
        assertApiError(result, 400, 'invalid-data');
      }
      const empty = await request(server(), `/users/password/reset?user_uuid=${user.uuid}`, {
        method: 'POST',
        token,
        rawBody: '',
        headers: { 'Content-Type': 'application/json' },
      });
      assert.equal(empty.status, 400, empty.text);
      assert.equal(await tokenStatus(server(), token), 204);
      assert.equal((await setPassword(server(), user.uuid, { password: newPassword() }, token)).status, 204);
    });

    test('64 POST reset: 405 for a user whose password is managed elsewhere; 404 unknown or foreign user', async () => {
      const admin = await userWithAcl(server(), ['auth.users.password.reset.#']);
      const ldap = await newUser(server(), { authentication_method: 'ldap' });
      const refused = await setPassword(server(), ldap.uuid, { password: newPassword() }, admin.token.token);
      assertApiError(refused, 405, 'password-managed-externally');
      const unknown = await setPassword(
        server(),
        '11111111-2222-4333-8444-555555555555',
        { password: newPassword() },
        admin.token.token,
      );
      assertApiError(unknown, 404, 'unknown-user');
      const sub = await createSubTenant(server(), undefined, { allUsersGroup: true });
      const subAdmin = await userWithAcl(server(), ['auth.#'], { tenant: sub });
      const topUser = await newUser(server());
      const foreign = await setPassword(
        server(),
        topUser.uuid,
        { password: newPassword() },
        subAdmin.token.token,
      );
      assertApiError(foreign, 404, 'unknown-user');
      const subUser = await newUser(server(), {}, sub);
      const own = await setPassword(
        server(),
        subUser.uuid,
        { password: newPassword() },
        subAdmin.token.token,
      );
      assert.equal(own.status, 204, own.text);
      assert.equal(await tokenStatus(server(), subAdmin.token.token), 204, 'an ordinary token is not spent');
    });

    test('A14 GET reset is always 204: unknown login, unconfirmed email, external user send nothing', async () => {
      const unconfirmed = await newUser(server());
      const address = `unconfirmed-${uniqueTag()}@example.com`;
      await adminRequest(server(), `/users/${unconfirmed.uuid}/emails`, {
        method: 'PUT',
        body: { emails: [{ address, main: true }] },
      });
      const ldap = await userWithEmail(server(), { authentication_method: 'ldap' });
      const before = smtp.messages.length;
      for (const query of [
        `username=nobody-${uniqueTag()}`,
        `email=nobody-${uniqueTag()}@example.com`,
        `login=nobody-${uniqueTag()}`,
        `username=${unconfirmed.username}`,
        `email=${address}`,
        `username=${ldap.username}`,
      ]) {
        const result = await askReset(server(), query);
        assert.equal(result.status, 204, `${query}: ${result.text}`);
        assert.equal(result.text, '');
      }
      await server().container.passwordResetService.idle();
      assert.equal(smtp.messages.length, before);
    });

    test('64 GET reset by email and by login (email or username), any case, mails the confirmed address', async () => {
      const user = await userWithEmail(server());
      for (const query of [
        `email=${user.email.toUpperCase()}`,
        `login=${user.email}`,
        `login=${user.username}`,
      ]) {
        const before = smtp.to(user.email).length;
        assert.equal((await askReset(server(), query)).status, 204);
        await smtp.waitFor(user.email, before + 1);
      }
    });

    test('64 GET reset prefers the main confirmed address, else any confirmed one', async () => {
      const user = await newUser(server());
      const main = `main-${uniqueTag()}@example.com`;
      const other = `other-${uniqueTag()}@example.com`;
      const put = await adminRequest(server(), `/admin/users/${user.uuid}/emails`, {
        method: 'PUT',
        body: {
          emails: [
            { address: other, confirmed: true },
            { address: main, main: true, confirmed: true },
          ],
        },
      });
      assert.equal(put.status, 200, put.text);
      await resetMail(server(), user.username, main);
      await adminRequest(server(), `/admin/users/${user.uuid}/emails`, {
        method: 'PUT',
        body: {
          emails: [
            { address: other, confirmed: true },
            { address: main, main: true, confirmed: false },
          ],
        },
      });
      await resetMail(server(), user.username, other);
    });

    test('64 GET reset 400 unless exactly one of username, email, login is given', async () => {
      for (const query of ['', 'username=a&email=b@example.com', 'login=a&username=a', 'username=']) {
        const result = await askReset(server(), query);
        assertApiError(result, 400, 'invalid-data');
        assert.equal((result.body as { resource: string }).resource, 'reset', query);
      }
    });

    test('64 a reset email the SMTP server refuses still answers 204 and leaves no usable token', async () => {
      const user = await newUser(server());
      await adminRequest(server(), `/admin/users/${user.uuid}/emails`, {
        method: 'PUT',
        body: { emails: [{ address: `rejected-${uniqueTag()}@example.com`, main: true, confirmed: true }] },
      });
      assert.equal((await askReset(server(), `username=${user.username}`)).status, 204);
      await server().container.passwordResetService.idle();
      const row = await server()
        .container.storage.db.selectFrom('auth_token')
        .select('token_hash')
        .where('acl', 'like', `%auth.users.password.reset.${user.uuid}.create%`)
        .executeTakeFirst();
      assert.equal(row, undefined);
    });
  },
);
