import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { startTestSmtpServer, tokenIn } from '../mail/test-smtp-server.ts';
import { describeEachDialect } from '../testing/dialect-suite.ts';
import { adminRequest, login, postToken, request } from '../testing/http-client.ts';
import {
  assertApiError,
  assertAuthFailed,
  newPassword,
  newUser,
  uniqueTag,
} from '../testing/test-fixtures.ts';
import type { TestServer } from '../testing/test-server.ts';

const smtp = await startTestSmtpServer();
after(() => smtp.close());

interface Registered {
  uuid: string;
  username: string;
  tenant_uuid: string;
  purpose: string;
  authentication_method: string;
  enabled: boolean;
  emails: { uuid: string; address: string; main: boolean; confirmed: boolean }[];
}

function register(server: TestServer, body: unknown) {
  return request(server, '/users/register', { method: 'POST', body });
}

function registration(fields: Record<string, unknown> = {}) {
  const tag = uniqueTag();
  return {
    username: `reg-${tag}`,
    password: newPassword(),
    email_address: `reg-${tag}@example.com`,
    ...fields,
  };
}

await describeEachDialect('user registration disabled', {}, ({ server }) => {
  test('§2.3 POST /users/register is not served unless user_registration_enabled (wazo: plugin off)', async () => {
    const result = await register(server(), registration());
    assertApiError(result, 404, 'not-found');
  });
});

await describeEachDialect(
  'user registration',
  { config: { user_registration_enabled: true, smtp: { host: '127.0.0.1', port: smtp.port } } },
  ({ server }) => {
    test('§2.3 register: a new tenant named after the user, the user with an unconfirmed main email, a mail', async () => {
      const body = registration({ firstname: 'Ada', lastname: 'Lovelace' });
      const result = await register(server(), body);
      assert.equal(result.status, 200, result.text);
      const user = result.body as Registered;
      assert.equal(user.username, body.username);
      assert.equal(user.purpose, 'user');
      assert.equal(user.authentication_method, 'default');
      assert.equal(user.enabled, true);
      assert.equal(user.emails.length, 1);
      assert.deepEqual(
        { ...user.emails[0], uuid: '' },
        { uuid: '', address: body.email_address, main: true, confirmed: false },
      );
      const tenant = await server()
        .container.storage.db.selectFrom('auth_tenant')
        .selectAll()
        .where('uuid', '=', user.tenant_uuid)
        .executeTakeFirstOrThrow();
      assert.equal(tenant.name, body.username);
      assert.equal(tenant.parent_uuid, server().topTenantUuid);
      const group = await server().container.repositories.groups.ensureAllUsersGroup(user.tenant_uuid);
      const member = await server()
        .container.storage.db.selectFrom('auth_user_group')
        .select('user_uuid')
        .where('group_uuid', '=', group)
        .execute();
      assert.deepEqual(member, [{ user_uuid: user.uuid }]);
      await login(server(), body.username, body.password);
      const [mail] = await smtp.waitFor(body.email_address);
      assert.ok(mail);
      const email = user.emails[0];
      assert.ok(email);
      const confirm = await request(server(), `/emails/${email.uuid}/confirm?token=${tokenIn(mail)}`);
      assert.equal(confirm.status, 200, confirm.text);
      await login(server(), body.email_address, body.password);
    });

    test('§2.3 register 409 when the username or the email is already a login; nothing is created', async () => {
      const existing = await newUser(server(), { email_address: `taken-${uniqueTag()}@example.com` });
      const takenEmail = (existing.emails as { address: string }[])[0]?.address;
      const cases = [
        registration({ username: existing.username }),
        registration({ email_address: takenEmail }),
      ];
      for (const body of cases) {
        const result = await register(server(), body);
        assertApiError(result, 409, 'conflict');
      }
      const tenants = await server()
        .container.storage.db.selectFrom('auth_tenant')
        .select('uuid')
        .where(
          'name',
          'in',
          cases.map((c) => c.username),
        )
        .execute();
      assert.deepEqual(tenants, []);
    });

    test('§2.3 register 400: missing fields, bad email, short password, empty body', async () => {
      const full = registration();
      const bodies = [
        { ...full, username: undefined },
        { ...full, password: undefined },
        { ...full, email_address: undefined },
        { ...full, email_address: 'nope' },
        { ...full, password: 'short' },
        { ...full, username: '' },
      ];
      for (const body of bodies) assertApiError(await register(server(), body), 400, 'invalid-data');
      const empty = await request(server(), '/users/register', {
        method: 'POST',
        rawBody: '',
        headers: { 'Content-Type': 'application/json' },
      });
      assert.equal(empty.status, 400, empty.text);
    });

    test('§2.3 when the confirmation mail cannot be sent the user and its tenant are removed and the error stands', async () => {
      const body = registration({ email_address: `rejected-${uniqueTag()}@example.com` });
      const result = await register(server(), body);
      assertApiError(result, 503, 'mail-delivery-failed');
      assertAuthFailed(await postToken(server(), body.username, body.password));
      const users = await adminRequest(server(), `/users?username=${body.username}&recurse=true`);
      assert.equal((users.body as { total: number; filtered: number }).filtered, 0);
      const tenants = await server()
        .container.storage.db.selectFrom('auth_tenant')
        .select('uuid')
        .where('name', '=', body.username)
        .execute();
      assert.deepEqual(tenants, []);
      assert.equal(
        (await register(server(), { ...body, email_address: `ok-${uniqueTag()}@example.com` })).status,
        200,
      );
    });
  },
);
