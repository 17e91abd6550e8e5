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

/** What every tenant gets (wazo §4.3), so a registered user's tenant can be checked for it. */
const provisioning = {
  default_policies: { reg_all_users: { acl: ['registered.everyone.read'] } },
  all_users_policies: { reg_all_users: true },
  tenant_default_groups: { reg_helpdesk: { policies: { reg_all_users: true } } },
};

/** The events about one tenant, as [name, routing key, data]. */
function tenantEvents(server: TestServer, tenantUuid: string) {
  return server.events.events
    .filter((e) => e.name.startsWith('auth_tenant_') && e.tenantUuid === tenantUuid)
    .map((e) => [e.name, e.routingKey, e.data]);
}

await describeEachDialect(
  'user registration',
  {
    config: {
      ...provisioning,
      user_registration_enabled: true,
      smtp: { host: '127.0.0.1', port: smtp.port },
    },
  },
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
      const { acl } = await login(server(), body.username, body.password);
      assert.ok(acl.includes('registered.everyone.read'), `all_users_policies apply: ${JSON.stringify(acl)}`);
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
      const removed = server()
        .events.named('auth_tenant_added')
        .find((e) => e.data.name === body.username);
      assert.ok(removed, 'the tenant was announced before the mail failed');
      const removedUuid = removed.tenantUuid as string;
      assert.deepEqual(
        tenantEvents(server(), removedUuid).map(([name]) => name),
        ['auth_tenant_added', 'auth_tenant_deleted'],
      );
      assert.equal(
        (await register(server(), { ...body, email_address: `ok-${uniqueTag()}@example.com` })).status,
        200,
      );
    });

    test('§2.3 §4.3 register creates the tenant through the tenant service: default groups and auth_tenant_added', async () => {
      const body = registration();
      const result = await register(server(), body);
      assert.equal(result.status, 200, result.text);
      const tenantUuid = (result.body as Registered).tenant_uuid;
      const tenant = await adminRequest(server(), `/tenants/${tenantUuid}`);
      assert.equal(tenant.status, 200, tenant.text);
      const { slug } = tenant.body as { slug: string };
      assert.match(slug, /^[A-Za-z0-9_]{1,10}$/, 'a tenant slug wazo accepts');
      assert.deepEqual(tenantEvents(server(), tenantUuid), [
        [
          'auth_tenant_added',
          `auth.tenants.${tenantUuid}.created`,
          { uuid: tenantUuid, name: body.username, slug, domain_names: [] },
        ],
      ]);
      const helpdesk = await server()
        .container.storage.db.selectFrom('auth_group as g')
        .innerJoin('auth_group_policy as gp', 'gp.group_uuid', 'g.uuid')
        .innerJoin('auth_policy as p', 'p.uuid', 'gp.policy_uuid')
        .select('p.slug')
        .where('g.tenant_uuid', '=', tenantUuid)
        .where('g.slug', '=', 'reg_helpdesk')
        .execute();
      assert.deepEqual(helpdesk, [{ slug: 'reg_all_users' }]);
    });
  },
);
