import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeEachDialect } from '../testing/dialect-suite.ts';
import { adminRequest, request } from '../testing/http-client.ts';
import { assertApiError, createSubTenant, userWithAcl } from '../testing/test-fixtures.ts';
import { ADMIN_PASSWORD, type TestServer } from '../testing/test-server.ts';

/**
 * GET/PATCH /config (reference §2.12): top-tenant callers holding auth.config.read/update see the
 * running configuration with every secret redacted (wazo-auth leaks them) and can toggle debug
 * logging at runtime; everyone else gets 401.
 */
const AMQP_PASSWORD = 'amqp-pw-never-shown';
const REFRESH_KEY = Buffer.alloc(32, 7).toString('base64');
const SECRETS = [AMQP_PASSWORD, ADMIN_PASSWORD, REFRESH_KEY];

function assertNoSecret(text: string): void {
  for (const secret of SECRETS) assert.equal(text.includes(secret), false, 'a secret was returned');
}

function patch(server: TestServer, body: unknown, token?: string) {
  return adminRequest(server, '/config', { method: 'PATCH', body, ...(token ? { token } : {}) });
}

await describeEachDialect(
  'config',
  { config: { amqp: { uri: `amqp://guest:${AMQP_PASSWORD}@127.0.0.1:5672/` } } },
  ({ server }) => {
    test('§2.12 GET /config returns the running configuration, secrets redacted', async () => {
      const result = await adminRequest(server(), '/config');
      assert.equal(result.status, 200, result.text);
      assertNoSecret(result.text);
      const body = result.body as Record<string, Record<string, unknown>> & Record<string, unknown>;
      assert.equal(body.debug, false);
      assert.equal(body.profiling_enabled, false);
      assert.equal(body.xivo_uuid, 'the-predefined-xivo-uuid');
      assert.equal(body.max_user_concurrent_sessions, 10);
      assert.deepEqual(body.http, { ...server().container.config.http });
      assert.equal(body.amqp?.uri, 'amqp://guest:**redacted**@127.0.0.1:5672/');
      assert.equal(body.amqp?.exchange_name, 'xivo');
      assert.equal(body.bootstrap?.password, '**redacted**');
      assert.equal(body.refresh_tokens?.encryption_key, '**redacted**');
      // The test databases carry no password: the URL is shown as is, its host is useful.
      assert.equal(body.database_url, server().container.config.database_url);
    });

    test('§2.12 GET and PATCH /config without a token, or without the ACL, give 401', async () => {
      assertApiError(await request(server(), '/config'), 401, 'unauthorized');
      assertApiError(await request(server(), '/config', { method: 'PATCH', body: [] }), 401, 'unauthorized');
      const { token } = await userWithAcl(server(), ['auth.users.read']);
      const details = assertApiError(
        await request(server(), '/config', { token: token.token }),
        401,
        'unauthorized',
      );
      assert.equal(details.required_access, 'auth.config.read');
      assertApiError(await patch(server(), [], token.token), 401, 'unauthorized');
    });

    test('§2.12 auth.config.read does not allow PATCH (auth.config.update)', async () => {
      const { token } = await userWithAcl(server(), ['auth.config.read']);
      assert.equal((await request(server(), '/config', { token: token.token })).status, 200);
      const details = assertApiError(
        await patch(server(), [{ op: 'replace', path: '/debug', value: true }], token.token),
        401,
        'unauthorized',
      );
      assert.equal(details.required_access, 'auth.config.update');
      assert.equal(server().container.log.level, 'info');
    });

    test('§2.12 a sub-tenant administrator gets 401 even with both ACLs', async () => {
      const subTenant = await createSubTenant(server());
      const { token } = await userWithAcl(server(), ['auth.config.read', 'auth.config.update'], {
        tenant: subTenant,
      });
      const read = await request(server(), '/config', { token: token.token });
      assertApiError(read, 401, 'unauthorized');
      assertNoSecret(read.text);
      const write = await patch(server(), [{ op: 'replace', path: '/debug', value: true }], token.token);
      assertApiError(write, 401, 'unauthorized');
      assert.equal(server().container.log.level, 'info');
    });

    test('§2.12 a top-tenant caller scoped to a sub-tenant (Wazo-Tenant) still reads the config', async () => {
      const subTenant = await createSubTenant(server());
      const result = await adminRequest(server(), '/config', { tenant: subTenant });
      assert.equal(result.status, 200, result.text);
    });

    test('§2.12 PATCH /debug switches debug logging on and off at runtime', async () => {
      const on = await patch(server(), [{ op: 'replace', path: '/debug', value: true }]);
      assert.equal(on.status, 200, on.text);
      assertNoSecret(on.text);
      assert.equal((on.body as { debug: boolean }).debug, true);
      assert.equal(server().container.log.level, 'debug');
      assert.equal(((await adminRequest(server(), '/config')).body as { debug: boolean }).debug, true);

      const off = await patch(server(), [{ op: 'replace', path: '/debug', value: false }]);
      assert.equal(off.status, 200, off.text);
      assert.equal((off.body as { debug: boolean }).debug, false);
      assert.equal(server().container.log.level, 'info');
    });

    test('§2.12 PATCH /profiling_enabled is accepted and reported; an empty patch changes nothing', async () => {
      const on = await patch(server(), [{ op: 'replace', path: '/profiling_enabled', value: true }]);
      assert.equal(on.status, 200, on.text);
      assert.equal((on.body as { profiling_enabled: boolean }).profiling_enabled, true);
      const empty = await patch(server(), []);
      assert.equal(empty.status, 200, empty.text);
      assert.equal((empty.body as { profiling_enabled: boolean }).profiling_enabled, true);
      const off = await patch(server(), [{ op: 'replace', path: '/profiling_enabled', value: false }]);
      assert.equal((off.body as { profiling_enabled: boolean }).profiling_enabled, false);
      assert.equal(server().container.log.level, 'info');
    });

    test('§2.12 PATCH refuses anything but a boolean replace of /debug or /profiling_enabled (400)', async () => {
      const bad: Array<[string, unknown]> = [
        ['an object', { op: 'replace', path: '/debug', value: true }],
        ['op add', [{ op: 'add', path: '/debug', value: true }]],
        ['op remove', [{ op: 'remove', path: '/debug' }]],
        ['another path', [{ op: 'replace', path: '/log_level', value: 'debug' }]],
        ['a secret path', [{ op: 'replace', path: '/database_url', value: 'sqlite::memory:' }]],
        ['a string value', [{ op: 'replace', path: '/debug', value: 'true' }]],
        ['a number value', [{ op: 'replace', path: '/debug', value: 1 }]],
        ['no value', [{ op: 'replace', path: '/debug' }]],
        [
          'one good, one bad',
          [
            { op: 'replace', path: '/debug', value: true },
            { op: 'replace', path: '/x' },
          ],
        ],
        ['not an operation', ['replace']],
      ];
      for (const [label, body] of bad) {
        const result = await patch(server(), body);
        assert.equal(result.status, 400, `${label}: ${result.text}`);
        assert.equal((result.body as { error_id: string }).error_id, 'invalid-data', label);
      }
      const empty = await adminRequest(server(), '/config', {
        method: 'PATCH',
        rawBody: '',
        headers: { 'Content-Type': 'application/json' },
      });
      assert.equal(empty.status, 400, empty.text);
      const broken = await adminRequest(server(), '/config', {
        method: 'PATCH',
        rawBody: '[{',
        headers: { 'Content-Type': 'application/json' },
      });
      assert.equal(broken.status, 400, broken.text);
      assert.equal(server().container.log.level, 'info');
      assert.equal(((await adminRequest(server(), '/config')).body as { debug: boolean }).debug, false);
    });

    test('§2.12 GET /backends lists wazo_user', async () => {
      const result = await request(server(), '/backends');
      assert.equal(result.status, 200, result.text);
      assert.ok((result.body as { data: string[] }).data.includes('wazo_user'));
    });
  },
);
