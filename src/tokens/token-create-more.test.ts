import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { loadConfig } from '../config/config-loader.ts';
import { describeEachDialect } from '../testing/dialect-suite.ts';
import {
  adminRequest,
  type CreatedUser,
  createUser,
  login,
  postToken,
  request,
} from '../testing/http-client.ts';
import {
  addUserToGroup,
  assertAuthFailed,
  assertLegacyError,
  createGroup,
  createSubTenant,
  tokenOf,
  UUID_PATTERN,
  upsertPolicy,
} from '../testing/test-fixtures.ts';
import type { TestServer } from '../testing/test-server.ts';

async function setTenantDefaultMethod(server: TestServer, tenantUuid: string, method: string): Promise<void> {
  await server.container.storage.db
    .updateTable('auth_tenant')
    .set({ default_authentication_method: method })
    .where('uuid', '=', tenantUuid)
    .execute();
}

/** PUT /users/{uuid} is a full replacement, so the username is sent back each time. */
async function updateUser(
  server: TestServer,
  user: CreatedUser,
  fields: Record<string, unknown>,
): Promise<void> {
  const result = await adminRequest(server, `/users/${user.uuid}`, {
    method: 'PUT',
    body: { username: user.username, ...fields },
  });
  assert.equal(result.status, 200, result.text);
}

await describeEachDialect('POST /token: identity, methods and limits', {}, ({ server }) => {
  test('A10 the login is logged on failure and success, the token only redacted', async () => {
    const user = await createUser(server());
    const logs = server().logs;
    const beforeFailure = logs.length;
    assertAuthFailed(await postToken(server(), user.username, 'not-the-password'));
    const failureLines = logs.slice(beforeFailure).filter((line) => line.includes(user.username));
    assert.ok(failureLines.length > 0, 'the failed login is not logged');
    assert.ok(failureLines.some((line) => (JSON.parse(line) as { level: number }).level === 30));

    const beforeSuccess = logs.length;
    const token = await login(server(), user.username, user.password, {}, { 'User-Agent': 'log-test-agent' });
    const successLines = logs.slice(beforeSuccess).filter((line) => line.includes(user.username));
    assert.ok(successLines.length > 0, 'the successful login is not logged');
    assert.ok(successLines.some((line) => (JSON.parse(line) as { level: number }).level === 30));
    assert.ok(
      logs.slice(beforeSuccess).some((line) => line.includes(token.token.slice(-8))),
      'the redacted token (last 8 characters) is not logged',
    );

    assert.equal((await request(server(), `/token/${token.token}`)).status, 200);
    assert.equal((await request(server(), `/token/${token.token}`, { method: 'HEAD' })).status, 204);
    const leaking = logs.filter((line) => line.toLowerCase().includes(token.token.toLowerCase()));
    assert.deepEqual(leaking, [], 'the full token appears in the logs');
    assert.deepEqual(
      logs.filter((line) => line.includes(user.password)),
      [],
      'the password appears in the logs',
    );
  });

  test('A11 the User-Agent and remote address are stored and returned by POST and GET', async () => {
    const user = await createUser(server());
    const agent = 'Gatehouse-Test/1.0 (token-create-more)';
    const token = await login(server(), user.username, user.password, {}, { 'User-Agent': agent });
    assert.equal(token.user_agent, agent);
    assert.equal(token.remote_addr, '127.0.0.1');
    const read = tokenOf(await request(server(), `/token/${token.token}`));
    assert.equal(read.user_agent, agent);
    assert.equal(read.remote_addr, '127.0.0.1');
    assert.equal(read.session_uuid, token.session_uuid);
  });

  test('A12 a registered user token: auth_id, xivo_user_uuid, session_uuid, pbx_user_uuid', async () => {
    const user = await createUser(server());
    const token = await login(server(), user.username, user.password);
    assert.equal(token.auth_id, user.uuid);
    assert.equal(token.xivo_user_uuid, user.uuid);
    assert.match(token.session_uuid, UUID_PATTERN);
    assert.equal(token.metadata.pbx_user_uuid, user.uuid);
    assert.equal('pbx_user_uuid' in token, false);
    assert.equal('refresh_token' in token, false);
    const read = tokenOf(await request(server(), `/token/${token.token}`));
    assert.equal(read.xivo_user_uuid, user.uuid);
    assert.deepEqual(read.metadata, token.metadata);
  });

  test('A13 token metadata per purpose: user, internal, external_api', async () => {
    for (const purpose of ['user', 'internal', 'external_api'] as const) {
      const user = await createUser(server(), { purpose });
      const token = await login(server(), user.username, user.password);
      const pbxUserUuid = purpose === 'user' ? user.uuid : null;
      assert.deepEqual(token.metadata, {
        uuid: user.uuid,
        tenant_uuid: server().topTenantUuid,
        auth_id: user.uuid,
        pbx_user_uuid: pbxUserUuid,
        xivo_uuid: 'the-predefined-xivo-uuid',
        purpose,
      });
      assert.equal(token.xivo_user_uuid, pbxUserUuid, `xivo_user_uuid for purpose ${purpose}`);
      assert.equal(token.auth_id, user.uuid);
    }
  });

  test("A13 the metadata tenant is the user's own tenant", async () => {
    const tenant = await createSubTenant(server(), server().topTenantUuid, { allUsersGroup: true });
    const user = await createUser(server(), {}, { tenant });
    assert.equal(user.tenant_uuid, tenant);
    const token = await login(server(), user.username, user.password);
    assert.equal(token.metadata.tenant_uuid, tenant);
    assert.equal(token.metadata.uuid, user.uuid);
  });

  test('A16 an ldap or saml user cannot log in with a password until set to native', async () => {
    for (const method of ['ldap', 'saml']) {
      const user = await createUser(server(), { authentication_method: method });
      assertAuthFailed(await postToken(server(), user.username, user.password));
      await updateUser(server(), user, { authentication_method: 'native' });
      const token = await login(server(), user.username, user.password);
      assert.equal(token.metadata.uuid, user.uuid);
    }
  });

  test("A16 a default-method user follows its tenant's default_authentication_method", async () => {
    const tenant = await createSubTenant(server(), server().topTenantUuid, { allUsersGroup: true });
    const user = await createUser(server(), { authentication_method: 'default' }, { tenant });
    await login(server(), user.username, user.password);
    await setTenantDefaultMethod(server(), tenant, 'saml');
    assertAuthFailed(await postToken(server(), user.username, user.password));
    await setTenantDefaultMethod(server(), tenant, 'native');
    const token = await login(server(), user.username, user.password);
    assert.equal(token.metadata.uuid, user.uuid);
  });

  test('A16 domain_name, tenant_id or saml_session_id route a native user away from the password method', async () => {
    const user = await createUser(server(), { authentication_method: 'native' });
    const bodies = [
      { domain_name: 'example.com' },
      { tenant_id: server().topTenantUuid },
      { saml_session_id: 'a-saml-session-id' },
    ];
    for (const body of bodies) {
      assertAuthFailed(await postToken(server(), user.username, user.password, body));
    }
    assertLegacyError(
      await postToken(server(), user.username, user.password, { domain_name: 'example.com', tenant_id: 'x' }),
      400,
      `{'_schema': ['"tenant_id" and "domain_name" must be mutually exclusive']}`,
    );
    await login(server(), user.username, user.password);
  });

  test('A18 a user holds at most 10 sessions; the 11th login gets 429', async () => {
    const user = await createUser(server());
    for (let i = 0; i < 10; i += 1) await login(server(), user.username, user.password);
    assertLegacyError(
      await postToken(server(), user.username, user.password),
      429,
      `User ${user.uuid} has exceeded the maximum number of active sessions`,
    );
    const other = await createUser(server());
    await login(server(), other.username, other.password);
  });

  test('A18 an external_api user is limited too', async () => {
    const user = await createUser(server(), { purpose: 'external_api' });
    for (let i = 0; i < 10; i += 1) await login(server(), user.username, user.password);
    assertLegacyError(
      await postToken(server(), user.username, user.password),
      429,
      `User ${user.uuid} has exceeded the maximum number of active sessions`,
    );
  });

  test('A18 an internal user is not limited', async () => {
    const user = await createUser(server(), { purpose: 'internal' });
    for (let i = 0; i < 12; i += 1) await login(server(), user.username, user.password);
  });

  test('A20 a disabled user cannot get a token and loses its sessions', async () => {
    const user = await createUser(server());
    const token = await login(server(), user.username, user.password);
    await updateUser(server(), user, { enabled: false });
    assertAuthFailed(await postToken(server(), user.username, user.password));
    assert.equal((await request(server(), `/token/${token.token}`)).status, 404);
    await updateUser(server(), user, {});
    await login(server(), user.username, user.password);
  });
});

await describeEachDialect(
  'POST /token: effective ACL',
  {
    config: {
      default_policies: {
        // description is optional in wazo-auth; it is given here so that the ACL tests below do not
        // depend on it (the 'A15 default_policies entries need no description' test checks that).
        'my-default': { acl: ['default.user.policy'], description: null },
        'everyone-policy': { acl: ['all.users.policy'], description: null },
      },
      default_user_policy: 'my-default',
      all_users_policies: { 'everyone-policy': true },
    },
  },
  ({ server }) => {
    test('A12 default_user_policy prepends its ACL to every user token', async () => {
      const user = await createUser(server());
      const token = await login(server(), user.username, user.password);
      assert.equal(token.acl[0], 'default.user.policy');
    });

    test('A15 all_users_policies attach to every user of the tenant', async () => {
      const first = await createUser(server());
      const second = await createUser(server(), { purpose: 'external_api' });
      for (const user of [first, second]) {
        const token = await login(server(), user.username, user.password);
        assert.ok(token.acl.includes('all.users.policy'), `acl ${JSON.stringify(token.acl)}`);
      }
    });

    test("A15 a group policy's access appears in the token ACL of the group members", async () => {
      const { policies } = server().container.repositories;
      const tenantUuid = server().topTenantUuid;
      const suffix = randomUUID().slice(0, 8);
      const acl = [`group.${suffix}.read`, `group.${suffix}.#`];
      const policyUuid = await upsertPolicy(server(), tenantUuid, acl, `group-policy-${suffix}`);
      const groupUuid = await createGroup(server(), tenantUuid, `group-${suffix}`);
      await policies.attachToGroup(groupUuid, policyUuid);
      const member = await createUser(server());
      const outsider = await createUser(server());
      await addUserToGroup(server(), groupUuid, member.uuid);

      const memberAcl = (await login(server(), member.username, member.password)).acl;
      assert.ok(memberAcl.includes(`group.${suffix}.read`), `acl ${JSON.stringify(memberAcl)}`);
      assert.ok(memberAcl.includes(`group.${suffix}.#`));
      assert.equal(memberAcl[0], 'default.user.policy');
      assert.ok(memberAcl.includes('all.users.policy'));
      const outsiderAcl = (await login(server(), outsider.username, outsider.password)).acl;
      assert.equal(outsiderAcl.includes(`group.${suffix}.read`), false);
    });

    test('A15 direct user policies come after the default and group policies', async () => {
      const { policies } = server().container.repositories;
      const suffix = randomUUID().slice(0, 8);
      const policyUuid = await upsertPolicy(
        server(),
        server().topTenantUuid,
        [`direct.${suffix}.read`],
        `user-policy-${suffix}`,
      );
      const user = await createUser(server());
      await policies.attachToUser(user.uuid, policyUuid);
      const acl = (await login(server(), user.username, user.password)).acl;
      assert.equal(acl[0], 'default.user.policy');
      assert.equal(acl.at(-1), `direct.${suffix}.read`);
      assert.ok(acl.indexOf('all.users.policy') < acl.indexOf(`direct.${suffix}.read`));
    });

    test('A15 the ACL is a snapshot: policy edits do not change an issued token', async () => {
      const { policies } = server().container.repositories;
      const suffix = randomUUID().slice(0, 8);
      const slug = `snapshot-${suffix}`;
      const policyUuid = await upsertPolicy(server(), server().topTenantUuid, [`before.${suffix}`], slug);
      const user = await createUser(server());
      await policies.attachToUser(user.uuid, policyUuid);
      const token = await login(server(), user.username, user.password);
      await upsertPolicy(server(), server().topTenantUuid, [`after.${suffix}`], slug);
      const read = tokenOf(await request(server(), `/token/${token.token}`));
      assert.ok(read.acl.includes(`before.${suffix}`));
      assert.equal(read.acl.includes(`after.${suffix}`), false);
      const fresh = await login(server(), user.username, user.password);
      assert.ok(fresh.acl.includes(`after.${suffix}`));
    });
  },
);

test('A15 default_policies entries need no description (wazo: `slug: {acl: [...], description?}`)', () => {
  const config = loadConfig(
    {},
    {
      default_policies: { 'my-default': { acl: ['default.user.policy'] } },
      default_user_policy: 'my-default',
      all_users_policies: { 'my-default': true },
    },
  );
  assert.deepEqual(config.default_policies['my-default']?.acl, ['default.user.policy']);
});
