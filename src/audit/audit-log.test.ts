import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { describeEachDialect } from '../testing/dialect-suite.ts';
import {
  adminToken,
  base64,
  type HttpResult,
  login,
  postRefreshToken,
  postToken,
  request,
} from '../testing/http-client.ts';
import { newUser, uniqueTag } from '../testing/test-fixtures.ts';
import { ADMIN_PASSWORD, type TestServer } from '../testing/test-server.ts';

/**
 * Issue #5 item 7, security.md §1.7 L2–L4 and §6.14: one audit line per authentication success
 * and failure, per refused authorization and per administrative change, with the UTC time, the
 * event, the actor, the trusted source IP and the outcome, and never a secret (S-SEC-1 style).
 */

interface AuditLine {
  audit: true;
  msg: string;
  time: string;
  event: string;
  outcome: string;
  actor: string | null;
  source_ip: string;
  [field: string]: unknown;
}

/** Runs `action` and returns the audit lines it produced (they are written before the response). */
async function auditOf(server: TestServer, action: () => Promise<unknown>): Promise<AuditLine[]> {
  const from = server.logs.length;
  await action();
  return server.logs
    .slice(from)
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((entry): entry is AuditLine => entry.audit === true);
}

function assertOneLine(lines: AuditLine[], expected: Partial<AuditLine>): AuditLine {
  assert.equal(lines.length, 1, `exactly one audit line: ${JSON.stringify(lines)}`);
  const [line] = lines as [AuditLine];
  assert.equal(line.msg, 'audit');
  assert.match(line.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'ISO 8601 UTC');
  assert.equal(line.source_ip, '127.0.0.1');
  for (const [field, value] of Object.entries(expected)) assert.deepEqual(line[field], value, field);
  return line;
}

const ok = (result: HttpResult, status = 200) => assert.equal(result.status, status, result.text);

await describeEachDialect('issue-5 audit log', {}, ({ server }) => {
  const secrets: string[] = [ADMIN_PASSWORD];

  test('S-AUDIT authentication success and failure: one line each, with login, method and reason', async () => {
    const s = server();
    const user = await newUser(s);
    secrets.push(
      user.password,
      base64(`${user.username}:${user.password}`),
      base64(`${user.username}:wrong-pw`),
    );
    const failure = await auditOf(s, async () => ok(await postToken(s, user.username, 'wrong-pw'), 401));
    assertOneLine(failure, {
      event: 'authentication',
      outcome: 'failure',
      actor: user.username,
      method: 'password',
      reason: 'unknown login or wrong password',
    });
    let token = '';
    const clientId = `audit-${uniqueTag()}`;
    const success = await auditOf(s, async () => {
      const data = await login(s, user.username, user.password, {
        access_type: 'offline',
        client_id: clientId,
      });
      token = data.token;
      secrets.push(data.token, data.refresh_token as string);
    });
    const line = assertOneLine(success, {
      event: 'authentication',
      outcome: 'success',
      actor: user.username,
      method: 'password',
      client_id: clientId,
      user_uuid: user.uuid,
    });
    assert.equal(
      line.token,
      `XXXXXXXX-XXXX-XXXX-XXXX-XXXX${token.slice(-8)}`,
      'only the last 8 characters (A10)',
    );
    const refreshFailure = await auditOf(s, async () =>
      ok(await postRefreshToken(s, randomUUID(), clientId), 401),
    );
    assertOneLine(refreshFailure, { event: 'authentication', outcome: 'failure', method: 'refresh_token' });
  });

  test('S-AUDIT refused authorizations: 401 without a valid token, 401 without the ACL, 403 on a forbidden act', async () => {
    const s = server();
    const user = await newUser(s);
    const { token } = await login(s, user.username, user.password);
    secrets.push(user.password, token);
    const unknown = randomUUID();
    secrets.push(unknown);
    const noToken = await auditOf(s, async () => ok(await request(s, '/users', { token: unknown }), 401));
    assertOneLine(noToken, {
      event: 'authorization',
      outcome: 'refused',
      actor: null,
      http_method: 'GET',
      route: '/0.1/users',
      status: 401,
      required_acl: 'auth.users.read',
    });
    const noAcl = await auditOf(s, async () =>
      ok(await request(s, `/tenants/${s.topTenantUuid}`, { token }), 401),
    );
    assertOneLine(noAcl, {
      event: 'authorization',
      outcome: 'refused',
      actor: user.uuid,
      route: '/0.1/tenants/:tenant_uuid',
      required_acl: `auth.tenants.${s.topTenantUuid}.read`,
    });
    const admin = await adminToken(s);
    const forbidden = await auditOf(s, async () =>
      ok(await request(s, `/tenants/${s.topTenantUuid}`, { method: 'DELETE', token: admin }), 403),
    );
    assertOneLine(forbidden, { event: 'authorization', outcome: 'refused', actor: s.adminUuid, status: 403 });
  });

  test('S-AUDIT administrative changes: users, emails, groups, policies, tenants and config, one line each', async () => {
    const s = server();
    const admin = await adminToken(s);
    secrets.push(admin);
    const password = `pw-${randomUUID()}`;
    secrets.push(password);
    let userUuid = '';
    let groupUuid = '';
    let policyUuid = '';
    const changes: [string, string, () => Promise<void>][] = [
      [
        'POST',
        '/0.1/users',
        async () => {
          const r = await request(s, '/users', {
            method: 'POST',
            token: admin,
            body: { username: `a-${uniqueTag()}`, password },
          });
          ok(r);
          userUuid = (r.body as { uuid: string }).uuid;
        },
      ],
      [
        'PUT',
        '/0.1/users/:user_uuid',
        async () =>
          ok(
            await request(s, `/users/${userUuid}`, {
              method: 'PUT',
              token: admin,
              body: { username: `b-${uniqueTag()}`, firstname: 'x' },
            }),
          ),
      ],
      [
        'PUT',
        '/0.1/users/:user_uuid/password',
        async () =>
          ok(
            await request(s, `/users/${userUuid}/password`, {
              method: 'PUT',
              token: admin,
              body: { old_password: password, new_password: `${password}-2` },
            }),
            204,
          ),
      ],
      [
        'PUT',
        '/0.1/admin/users/:user_uuid/emails',
        async () =>
          ok(
            await request(s, `/admin/users/${userUuid}/emails`, {
              method: 'PUT',
              token: admin,
              body: { emails: [{ address: `${uniqueTag()}@example.com`, main: true, confirmed: true }] },
            }),
          ),
      ],
      [
        'POST',
        '/0.1/groups',
        async () => {
          const r = await request(s, '/groups', {
            method: 'POST',
            token: admin,
            body: { name: `g-${uniqueTag()}` },
          });
          ok(r);
          groupUuid = (r.body as { uuid: string }).uuid;
        },
      ],
      [
        'PUT',
        '/0.1/groups/:group_uuid/users/:user_uuid',
        async () =>
          ok(
            await request(s, `/groups/${groupUuid}/users/${userUuid}`, { method: 'PUT', token: admin }),
            204,
          ),
      ],
      [
        'POST',
        '/0.1/policies',
        async () => {
          const r = await request(s, '/policies', {
            method: 'POST',
            token: admin,
            body: { name: `p-${uniqueTag()}`, acl: ['a.b'] },
          });
          ok(r);
          policyUuid = (r.body as { uuid: string }).uuid;
        },
      ],
      [
        'DELETE',
        '/0.1/policies/:policy_uuid',
        async () => ok(await request(s, `/policies/${policyUuid}`, { method: 'DELETE', token: admin }), 204),
      ],
      [
        'POST',
        '/0.1/tenants',
        async () =>
          ok(
            await request(s, '/tenants', { method: 'POST', token: admin, body: { slug: `t${uniqueTag()}` } }),
          ),
      ],
      [
        'PATCH',
        '/0.1/config',
        async () =>
          ok(
            await request(s, '/config', {
              method: 'PATCH',
              token: admin,
              body: [{ op: 'replace', path: '/debug', value: false }],
            }),
          ),
      ],
      [
        'DELETE',
        '/0.1/users/:user_uuid',
        async () => ok(await request(s, `/users/${userUuid}`, { method: 'DELETE', token: admin }), 204),
      ],
    ];
    for (const [method, route, change] of changes) {
      const line = assertOneLine(await auditOf(s, change), {
        event: 'admin_change',
        outcome: 'success',
        actor: s.adminUuid,
        http_method: method,
        route,
      });
      assert.equal(line.tenant_uuid, s.topTenantUuid, route);
      if (route.includes(':user_uuid'))
        assert.equal((line.target as Record<string, string>).user_uuid, userUuid);
    }
    // Reads are not changes.
    assert.deepEqual(await auditOf(s, async () => ok(await request(s, '/users', { token: admin }))), []);
  });

  test('S-SEC-1 S-AUDIT no audit line holds a password, token, refresh token or Basic value', () => {
    const lines = server().logs.filter((line) => line.includes('"audit":true'));
    assert.ok(lines.length >= 15, `${lines.length} audit lines`);
    const leaks = secrets.filter((secret) => secret && lines.some((line) => line.includes(secret)));
    assert.deepEqual(leaks, [], 'secrets found in audit lines');
  });
});
