import assert from 'node:assert/strict';
import { test } from 'node:test';
import { digestToken } from '../../crypto/token-values.ts';
import { describeEachDialect } from '../../testing/dialect-suite.ts';
import {
  newOAuthClient,
  normalizeUserCodeForTest,
  OAUTH_TOKEN_TEST_CONFIG,
  oauthErrorOf,
  oauthUser,
  postForm,
  type TestClient,
  type TokenBody,
  tokenRequest,
} from '../../testing/oauth-token-fixtures.ts';
import { DEVICE_CODE_GRANT } from './grant-device-code.ts';

interface Started {
  device_code: string;
  user_code: string;
  interval: number;
  expires_in: number;
}

/** RFC 8628 §3.4–3.5: the polling answers of the device flow. */
await describeEachDialect(
  'RFC 8628 device authorization grant',
  { config: OAUTH_TOKEN_TEST_CONFIG, manualClock: true },
  ({ server }) => {
    const clock = () => server().clock as NonNullable<ReturnType<typeof server>['clock']>;

    async function startFlow(tc: TestClient, scope = 'calls:read'): Promise<Started> {
      const result = await postForm(server(), '/oauth2/device_authorization', {
        client_id: tc.client.clientId,
        scope,
      });
      assert.equal(result.status, 200, result.text);
      assert.equal(result.headers.get('cache-control'), 'no-store');
      return result.body as Started;
    }

    const poll = (tc: TestClient, started: Started) =>
      tokenRequest(server(), tc, { grant_type: DEVICE_CODE_GRANT, device_code: started.device_code });

    test('§3.5 pending, then slow_down when polled too fast (interval + 5 s), then tokens once', async () => {
      const tc = await newOAuthClient(server(), { tokenEndpointAuthMethod: 'none' });
      const user = await oauthUser(server());
      const started = await startFlow(tc);
      assert.equal(started.interval, 5);
      assert.equal(oauthErrorOf(await poll(tc, started)), 'authorization_pending');
      assert.equal(oauthErrorOf(await poll(tc, started)), 'slow_down');
      const { deviceCodes } = server().container.oauth.repositories;
      const stored = await deviceCodes.findByDeviceCodeHash(digestToken(started.device_code));
      assert.equal(stored?.intervalSeconds, 10);
      clock().advance(10_000);
      assert.equal(oauthErrorOf(await poll(tc, started)), 'authorization_pending');
      const now = clock().now();
      const userCode = normalizeUserCodeForTest(started.user_code);
      assert.ok(
        await deviceCodes.decide(userCode, { status: 'approved', userUuid: user.uuid, authTimeMs: now }, now),
      );
      clock().advance(10_000);
      const granted = await poll(tc, started);
      assert.equal(granted.status, 200, granted.text);
      assert.equal((granted.body as TokenBody).scope, 'calls:read');
      clock().advance(10_000);
      assert.equal(oauthErrorOf(await poll(tc, started)), 'invalid_grant');
    });

    test('§3.5 access_denied when the user refuses; expired_token past the lifetime', async () => {
      const tc = await newOAuthClient(server(), { tokenEndpointAuthMethod: 'none' });
      const user = await oauthUser(server());
      const denied = await startFlow(tc);
      const now = clock().now();
      const userCode = normalizeUserCodeForTest(denied.user_code);
      const { deviceCodes } = server().container.oauth.repositories;
      assert.ok(
        await deviceCodes.decide(userCode, { status: 'denied', userUuid: user.uuid, authTimeMs: now }, now),
      );
      assert.equal(oauthErrorOf(await poll(tc, denied)), 'access_denied');
      const expired = await startFlow(tc);
      clock().advance(expired.expires_in * 1000 + 1000);
      assert.equal(oauthErrorOf(await poll(tc, expired)), 'expired_token');
    });

    test('§3.1 the device code belongs to its client; scopes and the grant type are the client’s', async () => {
      const tc = await newOAuthClient(server(), { tokenEndpointAuthMethod: 'none' });
      const started = await startFlow(tc);
      const other = await newOAuthClient(server(), { tokenEndpointAuthMethod: 'none' });
      assert.equal(oauthErrorOf(await poll(other, started)), 'invalid_grant');
      const wide = await postForm(server(), '/oauth2/device_authorization', {
        client_id: tc.client.clientId,
        scope: 'auth:all',
      });
      assert.equal(oauthErrorOf(wide), 'invalid_scope');
      const noDevice = await newOAuthClient(server(), {
        tokenEndpointAuthMethod: 'none',
        grantTypes: ['authorization_code'],
      });
      const refused = await postForm(server(), '/oauth2/device_authorization', {
        client_id: noDevice.client.clientId,
      });
      assert.equal(oauthErrorOf(refused), 'unauthorized_client');
    });
  },
);
