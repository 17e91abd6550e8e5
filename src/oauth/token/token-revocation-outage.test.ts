import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  newOAuthClient,
  OAUTH_TOKEN_TEST_CONFIG,
  oauthErrorOf,
  oauthUser,
  postForm,
  refresh,
  tokensByCode,
} from '../../testing/oauth-token-fixtures.ts';
import { TcpFaultProxy } from '../../testing/tcp-fault-proxy.ts';
import { POSTGRES_URL, postgresUnavailableReason } from '../../testing/test-databases.ts';
import { startTestServer, type TestServer } from '../../testing/test-server.ts';

const postgresSkip = await postgresUnavailableReason();

/** security.md B19 (fosite CVE-2020-15223): a revocation that cannot be carried out is never a 200. */
describe('B19 RFC 7009 revocation while PostgreSQL is down [postgres]', {
  skip: postgresSkip ?? false,
}, () => {
  let proxy: TcpFaultProxy | undefined;
  let instance: TestServer | undefined;
  const srv = () => instance as TestServer;

  before(async () => {
    const target = new URL(POSTGRES_URL);
    proxy = await TcpFaultProxy.start({
      targetHost: target.hostname,
      targetPort: Number(target.port || 5432),
    });
    instance = await startTestServer('postgres', {
      databaseUrlOverride: proxy.urlFor(POSTGRES_URL),
      config: { ...OAUTH_TOKEN_TEST_CONFIG, database_timeout_ms: 1000 },
    });
  });
  after(async () => {
    proxy?.resume();
    await instance?.close();
    await proxy?.close();
  });

  test('B19 /oauth2/revoke answers 503 while the database is down, and revokes once it is back', async () => {
    const fault = proxy as TcpFaultProxy;
    const tc = await newOAuthClient(srv());
    const user = await oauthUser(srv());
    const tokens = await tokensByCode(srv(), tc, user.uuid);
    const refreshToken = tokens.refresh_token as string;
    fault.pause();
    try {
      const down = await postForm(srv(), '/oauth2/revoke', { token: refreshToken }, { basic: tc });
      assert.equal(down.status, 503, down.text);
      assert.equal(oauthErrorOf(down), 'temporarily_unavailable');
      assert.ok(down.headers.get('retry-after'));
    } finally {
      fault.resume();
    }
    const deadline = Date.now() + 5000;
    for (;;) {
      const up = await postForm(srv(), '/oauth2/revoke', { token: refreshToken }, { basic: tc });
      if (up.status === 200) break;
      assert.ok(Date.now() < deadline, `still ${up.status} after the database came back`);
      await sleep(20);
    }
    assert.equal(oauthErrorOf(await refresh(srv(), tc, refreshToken)), 'invalid_grant');
  });
});
