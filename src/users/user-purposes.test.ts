import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeEachDialect } from '../testing/dialect-suite.ts';
import { adminToken, createUser, type HttpResult, postToken, request } from '../testing/http-client.ts';
import { createSubTenant, newPassword, uniqueTag } from '../testing/test-fixtures.ts';
import type { TestServer } from '../testing/test-server.ts';

interface UserBody {
  uuid: string;
  username: string | null;
  purpose: string;
  authentication_method: string;
  enabled: boolean;
}

function userOf(result: HttpResult): UserBody {
  assert.equal(result.status, 200, result.text);
  return result.body as UserBody;
}

function assertInvalidField(result: HttpResult, field: string, label: string): void {
  assert.equal(result.status, 400, `${label}: ${result.text}`);
  const body = result.body as { error_id: string; resource: string; details: Record<string, unknown> };
  assert.equal(body.error_id, 'invalid-data', label);
  assert.equal(body.resource, 'users', label);
  assert.ok(
    Object.keys(body.details).some((key) => key.startsWith(field)),
    `${label}: ${result.text}`,
  );
}

/** wazo §2.2: purposes `user|internal|external_api` and the authentication_method defaults and checks. */
await describeEachDialect('users purposes and authentication methods', {}, ({ server }) => {
  let token = '';
  const post = async (body: Record<string, unknown>, tenant?: string) => {
    token ||= await adminToken(server());
    return request(server(), '/users', { method: 'POST', token, tenant, body: { password: null, ...body } });
  };
  const put = async (uuid: string, body: unknown) => {
    token ||= await adminToken(server());
    return request(server(), `/users/${uuid}`, { method: 'PUT', token, body });
  };
  const get = async (uuid: string) => userOf(await request(server(), `/users/${uuid}`, { token }));

  test('§2.2 POST /users keeps an explicit method whatever the purpose', async () => {
    const cases: [string, string][] = [
      ['internal', 'saml'],
      ['external_api', 'default'],
      ['user', 'native'],
      ['user', 'ldap'],
    ];
    for (const [purpose, method] of cases) {
      const user = userOf(
        await post({ username: `u-${uniqueTag()}`, purpose, authentication_method: method }),
      );
      assert.deepEqual([user.purpose, user.authentication_method], [purpose, method]);
    }
  });

  test('§2.2 PUT /users/{uuid} without purpose resets it to user and the method to default', async () => {
    const username = `svc-${uniqueTag()}`;
    const created = userOf(await post({ username, purpose: 'external_api' }));
    assert.deepEqual([created.purpose, created.authentication_method], ['external_api', 'native']);
    const updated = userOf(await put(created.uuid, { username }));
    assert.deepEqual([updated.purpose, updated.authentication_method], ['user', 'default']);
    assert.deepEqual(await get(created.uuid), updated);
  });

  test('§2.2 PUT /users/{uuid}: method defaults by purpose when omitted, an explicit one wins', async () => {
    const username = `u-${uniqueTag()}`;
    const { uuid } = userOf(await post({ username }));
    const steps: [Record<string, unknown>, string, string][] = [
      [{ purpose: 'internal' }, 'internal', 'native'],
      [{ purpose: 'external_api' }, 'external_api', 'native'],
      [{ purpose: 'user' }, 'user', 'default'],
      [{ purpose: 'internal', authentication_method: 'default' }, 'internal', 'default'],
      [{ purpose: 'user', authentication_method: 'saml' }, 'user', 'saml'],
      [{}, 'user', 'default'],
    ];
    for (const [body, purpose, method] of steps) {
      const updated = userOf(await put(uuid, { username, ...body }));
      assert.deepEqual(
        [updated.purpose, updated.authentication_method],
        [purpose, method],
        JSON.stringify(body),
      );
    }
  });

  test('§2.2 an unknown purpose or authentication_method is a 400 invalid-data and changes nothing', async () => {
    const username = `u-${uniqueTag()}`;
    const created = userOf(await post({ username, purpose: 'internal' }));
    const bad: [Record<string, unknown>, string][] = [
      [{ authentication_method: 'kerberos' }, 'authentication_method'],
      [{ authentication_method: 'NATIVE' }, 'authentication_method'],
      [{ authentication_method: '' }, 'authentication_method'],
      [{ authentication_method: null }, 'authentication_method'],
      [{ authentication_method: 7 }, 'authentication_method'],
      [{ purpose: 'admin' }, 'purpose'],
      [{ purpose: 'User' }, 'purpose'],
      [{ purpose: null }, 'purpose'],
    ];
    for (const [body, field] of bad) {
      const label = JSON.stringify(body);
      assertInvalidField(await put(created.uuid, { username, ...body }), field, `PUT ${label}`);
      assertInvalidField(await post({ username: `u-${uniqueTag()}`, ...body }), field, `POST ${label}`);
    }
    assert.deepEqual(await get(created.uuid), created);
    const list = await request(server(), `/users?username=${username}`, { token });
    assert.equal((list.body as { filtered: number }).filtered, 1);
  });

  test('§3.2 D16 the defaults decide logins: service accounts are native, users follow their tenant', async () => {
    const tenant = await createSubTenant(server(), server().topTenantUuid, {
      defaultAuthenticationMethod: 'ldap',
    });
    const loginOf = (s: TestServer, user: { username: string; password: string }) =>
      postToken(s, user.username, user.password, { expiration: 60 });
    const password = newPassword();
    token ||= await adminToken(server());
    const human = await createUser(server(), { password }, { token, tenant });
    assert.equal(human.authentication_method, 'default');
    assert.equal((await loginOf(server(), human)).status, 401, 'a default-method user of an ldap tenant');
    for (const purpose of ['internal', 'external_api']) {
      const service = await createUser(server(), { password, purpose }, { token, tenant });
      assert.equal(service.authentication_method, 'native');
      assert.equal((await loginOf(server(), service)).status, 200, purpose);
    }
    const switched = await put(human.uuid, { username: human.username, authentication_method: 'native' });
    assert.equal(userOf(switched).authentication_method, 'native');
    assert.equal((await loginOf(server(), human)).status, 200, 'after switching the user to native');
  });
});
