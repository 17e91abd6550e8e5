import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { digestClientSecret } from '../crypto/client-credentials.ts';
import { adminToken, request } from '../testing/http-client.ts';
import { createSubTenant, uniqueTag } from '../testing/test-fixtures.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';
import { failed, runGatehouse, succeeded } from './cli-test-support.ts';

/**
 * `gatehouse oauth-client …` and `gatehouse oauth-scope …` run as real processes on the SQLite file of
 * a running test server, whose API then shows what they did (issue #6 §2, §3).
 */
let server: TestServer;
let token: string;

interface Printed {
  uuid: string;
  client_id: string;
  tenant_uuid: string;
  client_secret?: string;
  [key: string]: unknown;
}

async function gatehouseJson<T>(args: string[]): Promise<T> {
  return JSON.parse(succeeded(await runGatehouse(server, args))) as T;
}

async function secretHash(uuid: string): Promise<string | null> {
  const row = await server.container.storage.db
    .selectFrom('auth_oauth_client')
    .select('secret_hash')
    .where('uuid', '=', uuid)
    .executeTakeFirstOrThrow();
  return row.secret_hash;
}

describe('gatehouse oauth-client and oauth-scope commands [sqlite]', () => {
  before(async () => {
    server = await startTestServer('sqlite');
    token = await adminToken(server);
  });
  after(async () => {
    await server?.close();
  });

  test('§2 oauth-client create prints the client and its secret once; show, list, rotate-secret, delete', async () => {
    const tenant = await createSubTenant(server);
    const clientId = `cli-${uniqueTag()}`;
    const created = await gatehouseJson<Printed>([
      'oauth-client',
      'create',
      '--name',
      'CLI app',
      '--type',
      'confidential',
      '--client-id',
      clientId,
      '--redirect-uri',
      'https://cli.example.com/cb',
      '--grant',
      'authorization_code',
      '--grant',
      'client_credentials',
      '--acl',
      'confd.users.read',
      '--access-token-lifetime',
      '300',
      '--tenant',
      tenant,
    ]);
    assert.deepEqual(
      [created.client_id, created.tenant_uuid, created.access_token_lifetime_seconds],
      [clientId, tenant, 300],
    );
    const secret = created.client_secret as string;
    assert.equal(await secretHash(created.uuid), digestClientSecret(secret));
    const { client_secret: _, ...shown } = created;
    const viaApi = await request(server, `/oauth/clients/${created.uuid}`, { token });
    assert.deepEqual(viaApi.body, shown);
    assert.deepEqual(await gatehouseJson(['oauth-client', 'show', clientId]), shown);
    const listed = await gatehouseJson<Printed[]>(['oauth-client', 'list', '--tenant', tenant]);
    assert.deepEqual(
      listed.map((c) => c.uuid),
      [created.uuid],
    );
    const rotated = await gatehouseJson<Printed>(['oauth-client', 'rotate-secret', created.uuid]);
    assert.ok(rotated.client_secret && rotated.client_secret !== secret);
    assert.equal(await secretHash(created.uuid), digestClientSecret(rotated.client_secret));
    await gatehouseJson(['oauth-client', 'delete', clientId]);
    assert.equal((await request(server, `/oauth/clients/${created.uuid}`, { token })).status, 404);
  });

  test('§2 oauth-client: bad usage exits 2, a refused registration exits 1 naming the field', async () => {
    failed(await runGatehouse(server, ['oauth-client', 'create', '--name', 'x']), 2, /client_type/);
    failed(
      await runGatehouse(server, [
        'oauth-client',
        'create',
        '--name',
        'x',
        '--type',
        'public',
        '--grant',
        'password',
      ]),
      2,
      /grant_types/,
    );
    failed(
      await runGatehouse(server, [
        'oauth-client',
        'create',
        '--name',
        'x',
        '--type',
        'public',
        '--redirect-uri',
        'http://evil.example/cb',
      ]),
      1,
      /redirect_uris: .*loopback/,
    );
    failed(await runGatehouse(server, ['oauth-client', 'show', 'no-such-client']), 1, /no such OAuth client/);
    failed(await runGatehouse(server, ['oauth-client', 'show']), 2, /expected the uuid/);
  });

  test('§3 oauth-scope create, list and delete', async () => {
    const tenant = await createSubTenant(server);
    const name = `cli.${uniqueTag()}`;
    const scope = await gatehouseJson<{ uuid: string; name: string; acl: string[] }>([
      'oauth-scope',
      'create',
      '--name',
      name,
      '--acl',
      'calld.calls.read',
      '--tenant',
      tenant,
    ]);
    assert.deepEqual([scope.name, scope.acl], [name, ['calld.calls.read']]);
    const listed = await gatehouseJson<{ name: string; source: string }[]>([
      'oauth-scope',
      'list',
      '--tenant',
      tenant,
    ]);
    assert.deepEqual(
      listed.filter((s) => s.source === 'tenant').map((s) => s.name),
      [name],
    );
    assert.ok(listed.some((s) => s.name === 'openid' && s.source === 'protocol'));
    failed(await runGatehouse(server, ['oauth-scope', 'create', '--name', 'openid']), 1, /reserved/);
    await gatehouseJson(['oauth-scope', 'delete', scope.uuid, '--tenant', tenant]);
    assert.equal((await request(server, `/oauth/scopes/${scope.uuid}`, { token })).status, 404);
  });
});
