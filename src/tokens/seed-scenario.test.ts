import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { describeEachDialect } from '../testing/dialect-suite.ts';
import { basic, JSON_CONTENT_TYPE } from '../testing/http-client.ts';
import { ADMIN_PASSWORD, ADMIN_USERNAME } from '../testing/test-server.ts';

/**
 * The 2019 blog post "Refresh tokens" (shared/seed/wazo-refresh-tokens-2019.txt) played step by
 * step with plain fetch calls shaped like its curl commands: only the server URL and the header values
 * (`basic`, `JSON_CONTENT_TYPE`) come from the harness.
 */
type TokenBody = { data: { token: string; refresh_token?: string; metadata: { uuid: string } } };

function scenario(
  title: string,
  options: { config?: Record<string, unknown> },
  expectedSuffix: string,
): Promise<void> {
  return describeEachDialect(title, options, ({ server }) => {
    test(`B22 B24 seed 2019: password, offline, refresh and the refresh/access token rules${expectedSuffix ? ` under ${expectedSuffix}` : ''}`, async () => {
      const api = server().api;
      assert.ok(api.endsWith(expectedSuffix === '' ? '/0.1' : `${expectedSuffix}/0.1`), api);

      // A user with a password, created by the bootstrap admin.
      const admin = await fetch(`${api}/token`, {
        method: 'POST',
        headers: { ...JSON_CONTENT_TYPE, Authorization: basic(ADMIN_USERNAME, ADMIN_PASSWORD) },
        body: JSON.stringify({ expiration: 3600 }),
      });
      assert.equal(admin.status, 200);
      const adminToken = ((await admin.json()) as TokenBody).data.token;
      const username = `seed-${randomUUID().slice(0, 8)}`;
      const password = 'seed-password';
      const created = await fetch(`${api}/users`, {
        method: 'POST',
        headers: { ...JSON_CONTENT_TYPE, 'X-Auth-Token': adminToken },
        body: JSON.stringify({ username, password }),
      });
      assert.equal(created.status, 200);
      const userUuid = ((await created.json()) as { uuid: string }).uuid;

      // curl -u "<username>:<password>" .../token -d '{"expiration": 3600}'
      const first = await fetch(`${api}/token`, {
        method: 'POST',
        headers: { ...JSON_CONTENT_TYPE, Authorization: basic(username, password) },
        body: JSON.stringify({ expiration: 3600 }),
      });
      assert.equal(first.status, 200);
      const firstData = ((await first.json()) as TokenBody).data;
      assert.match(firstData.token, /^[0-9a-f-]{36}$/);
      assert.ok(!('refresh_token' in firstData));
      assert.equal((await fetch(`${api}/token/${firstData.token}`, { method: 'HEAD' })).status, 204);

      // curl -u ... -d '{"client_id": "example", "access_type": "offline"}'
      const offline = await fetch(`${api}/token`, {
        method: 'POST',
        headers: { ...JSON_CONTENT_TYPE, Authorization: basic(username, password) },
        body: JSON.stringify({ client_id: 'example', access_type: 'offline' }),
      });
      assert.equal(offline.status, 200);
      const offlineData = ((await offline.json()) as TokenBody).data;
      const refreshToken = offlineData.refresh_token;
      assert.equal(typeof refreshToken, 'string');
      assert.notEqual(refreshToken, offlineData.token);

      // curl (no -u) -d '{"expiration": 3600, "client_id": "example", "refresh_token": "<rt>"}'
      const refreshed = await fetch(`${api}/token`, {
        method: 'POST',
        headers: JSON_CONTENT_TYPE,
        body: JSON.stringify({ expiration: 3600, client_id: 'example', refresh_token: refreshToken }),
      });
      assert.equal(refreshed.status, 200);
      const refreshedData = ((await refreshed.json()) as TokenBody).data;
      assert.ok(!('refresh_token' in refreshedData), 'a refresh login returns no refresh_token');
      assert.equal(refreshedData.metadata.uuid, userUuid);
      assert.notEqual(refreshedData.token, offlineData.token);
      assert.equal((await fetch(`${api}/token/${refreshedData.token}`, { method: 'HEAD' })).status, 204);

      // "if you use it in a request in an X-Auth-Token header you will always get a 401 error"
      const asAccess = await fetch(`${api}/users/me/tokens`, {
        headers: { 'X-Auth-Token': String(refreshToken) },
      });
      assert.equal(asAccess.status, 401);
      assert.equal(
        ((await asAccess.json()) as { details: { reason: string } }).details.reason,
        'not_found_or_expired',
      );
      const checked = await fetch(`${api}/token/${refreshToken}`);
      assert.equal(checked.status, 404);
      assert.deepEqual(((await checked.json()) as { reason: string[] }).reason, ['No such token']);
      assert.equal((await fetch(`${api}/token/${refreshToken}`, { method: 'HEAD' })).status, 404);

      // "trying to create a new access token using an access token as if it was a refresh token will not work"
      const accessAsRefresh = await fetch(`${api}/token`, {
        method: 'POST',
        headers: JSON_CONTENT_TYPE,
        body: JSON.stringify({ expiration: 3600, client_id: 'example', refresh_token: refreshedData.token }),
      });
      assert.equal(accessAsRefresh.status, 401);
      assert.deepEqual(((await accessAsRefresh.json()) as { reason: string[] }).reason, [
        'Authentication Failed',
      ]);

      // "you will not be able to create a new refresh token without a username and password authentication"
      const offlineFromRefresh = await fetch(`${api}/token`, {
        method: 'POST',
        headers: JSON_CONTENT_TYPE,
        body: JSON.stringify({ client_id: 'example', access_type: 'offline', refresh_token: refreshToken }),
      });
      assert.equal(offlineFromRefresh.status, 400);

      // "The client_id must match the client_id used when creating the refresh token."
      const otherClient = await fetch(`${api}/token`, {
        method: 'POST',
        headers: JSON_CONTENT_TYPE,
        body: JSON.stringify({ expiration: 3600, client_id: 'another-app', refresh_token: refreshToken }),
      });
      assert.equal(otherClient.status, 401);

      // The refresh token "has no expiration and will keep working until it is explicitly deleted".
      const again = await fetch(`${api}/token`, {
        method: 'POST',
        headers: JSON_CONTENT_TYPE,
        body: JSON.stringify({ expiration: 3600, client_id: 'example', refresh_token: refreshToken }),
      });
      assert.equal(again.status, 200);
    });
  });
}

await scenario('seed scenario: refresh tokens (2019 blog post)', {}, '');
await scenario(
  'seed scenario: refresh tokens behind /api/auth',
  { config: { http: { path_prefix: '/api/auth' } } },
  '/api/auth',
);
