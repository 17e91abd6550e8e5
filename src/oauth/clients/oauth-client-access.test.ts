import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeEachDialect } from '../../testing/dialect-suite.ts';
import { tokenStatus } from '../../testing/http-client.ts';
import {
  type ClientBody,
  CONFIG,
  call,
  createClient,
  issueThrough,
  WEB,
} from '../../testing/oauth-client-fixtures.ts';
import { assertApiError, createSubTenant, type ListBody, userWithAcl } from '../../testing/test-fixtures.ts';
import { startTestServer } from '../../testing/test-server.ts';

/** Issue #6 §2: who may see and change OAuth clients, and what deleting one ends. */

await describeEachDialect('OAuth clients: tenants, ACL guard, deletion', { config: CONFIG }, ({ server }) => {
  test('§2 tenant scoping: created in the Wazo-Tenant, invisible (404) from another tenant', async () => {
    const tenantA = await createSubTenant(server());
    const tenantB = await createSubTenant(server());
    const mine = await createClient(server(), WEB, { tenant: tenantA });
    assert.equal(mine.tenant_uuid, tenantA);
    const adminOfB = (await userWithAcl(server(), ['auth.oauth.#'], { tenant: tenantB })).token.token;
    for (const [method, suffix] of [
      ['GET', ''],
      ['PUT', ''],
      ['DELETE', ''],
      ['POST', '/secret'],
    ] as const) {
      const body = method === 'PUT' ? { name: 'x', ...WEB } : undefined;
      const result = await call(server(), `/${mine.uuid}${suffix}`, { method, token: adminOfB, body });
      assertApiError(result, 404, 'unknown-oauth-client');
    }
    const listOfB = await call(server(), '', { token: adminOfB });
    assert.deepEqual((listOfB.body as ListBody<ClientBody>).items, []);
    const listOfA = (await call(server(), '', { tenant: tenantA })).body as ListBody<ClientBody>;
    assert.deepEqual(
      listOfA.items.map((c) => c.uuid),
      [mine.uuid],
    );
    const top = (await call(server(), `?recurse=true&client_id=${mine.client_id}`))
      .body as ListBody<ClientBody>;
    assert.deepEqual([top.items.map((c) => c.uuid), top.filtered], [[mine.uuid], 1]);
    assert.equal((await call(server(), `/${mine.uuid}`)).status, 200, 'an ancestor sees it');
  });

  test('§2 the ACL is behind the policies grant guard: an access the caller lacks is 401', async () => {
    const token = (await userWithAcl(server(), ['auth.oauth.#', 'calld.#', '!calld.admin.#'])).token.token;
    const body = { ...WEB, grant_types: ['client_credentials'] };
    const refused = await call(server(), '', {
      method: 'POST',
      token,
      body: { name: 'n', ...body, acl: ['calld.#'] },
    });
    assert.deepEqual(assertApiError(refused, 401, 'unauthorized'), {
      invalid_token: null,
      required_access: 'calld.#',
    });
    const client = await createClient(server(), { ...body, acl: ['calld.calls.read', '!x'] }, { token });
    assert.deepEqual(client.acl, ['calld.calls.read', '!x']);
    const held = await createClient(server(), { ...body, acl: ['confd.#'] });
    const removing = await call(server(), `/${held.uuid}`, {
      method: 'PUT',
      token,
      body: { name: 'n', ...body },
    });
    assertApiError(removing, 401, 'unauthorized');
    assertApiError(await call(server(), `/${held.uuid}`, { method: 'DELETE', token }), 401, 'unauthorized');
    const noAcl = (await userWithAcl(server(), ['auth.oauth.clients.read'])).token.token;
    assertApiError(
      await call(server(), '', { method: 'POST', token: noAcl, body: { name: 'n', ...WEB } }),
      401,
      'unauthorized',
    );
    assert.equal((await call(server(), '', { token: noAcl })).status, 200);
  });

  test('§2 DELETE ends the sessions of tokens issued to the client, and only those', async () => {
    const client = await createClient(server());
    const other = await createClient(server());
    const issued = await issueThrough(server(), client.client_id);
    const unrelated = await issueThrough(server(), other.client_id);
    assert.equal(await tokenStatus(server(), issued), 204);
    const deleted = await call(server(), `/${client.uuid}`, { method: 'DELETE' });
    assert.equal(deleted.status, 204, deleted.text);
    assert.equal(await tokenStatus(server(), issued), 404);
    assert.equal(await tokenStatus(server(), unrelated), 204);
    assert.equal(server().events.named('auth_session_deleted').length > 0, true);
    assertApiError(await call(server(), `/${client.uuid}`), 404, 'unknown-oauth-client');
    assertApiError(
      await call(server(), `/${client.uuid}`, { method: 'DELETE' }),
      404,
      'unknown-oauth-client',
    );
    const grants = await server()
      .container.storage.db.selectFrom('auth_oauth_grant')
      .select('uuid')
      .where('client_id', '=', client.client_id)
      .execute();
    assert.deepEqual(grants, []);
  });

  test('§2 T6 DELETE on one instance ends the token on another instance sharing the database', async () => {
    const other = await startTestServer(server().dialect, { shareDatabaseWith: server(), config: CONFIG });
    try {
      const client = await createClient(server());
      const issued = await issueThrough(server(), client.client_id);
      assert.equal(await tokenStatus(other, issued), 204, 'cached on the other instance');
      assert.equal((await call(server(), `/${client.uuid}`, { method: 'DELETE' })).status, 204);
      const deadline = Date.now() + other.container.config.token_cache.max_staleness_ms + 1000;
      while ((await tokenStatus(other, issued)) !== 404) {
        assert.ok(Date.now() < deadline, 'still valid on the other instance past the staleness bound');
        await sleep(20);
      }
    } finally {
      await other.close();
    }
  });
});
