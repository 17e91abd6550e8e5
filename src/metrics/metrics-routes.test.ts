import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeEachDialect } from '../testing/dialect-suite.ts';
import { adminToken, createUser, login, request } from '../testing/http-client.ts';
import { startTestServer } from '../testing/test-server.ts';
import { listenMetrics } from './metrics-routes.ts';

await describeEachDialect('metrics', {}, ({ server }) => {
  test('GET /metrics needs the auth.metrics.read ACL on the main port', async () => {
    const response = await fetch(`${server().origin}/metrics`);
    assert.equal(response.status, 401);
  });

  test('token checks, cache hits and requests are counted by route pattern, never by token', async () => {
    const token = await adminToken(server());
    for (const path of [
      `/token/${token}`,
      `/token/${token}`,
      '/token/00000000-0000-0000-0000-000000000000',
    ]) {
      await request(server(), path, { method: 'HEAD' });
    }
    const user = await createUser(server());
    const userToken = (await login(server(), user.username, user.password)).token;
    await request(server(), `/token/${userToken}?scope=not.granted.at.all`, { method: 'HEAD' });
    const response = await fetch(`${server().origin}/metrics`, { headers: { 'X-Auth-Token': token } });
    assert.equal(response.status, 200);
    const text = await response.text();
    assert.match(text, /gatehouse_token_checks_total\{result="valid"\} [1-9]/);
    assert.match(text, /gatehouse_token_checks_total\{result="unknown"\} [1-9]/);
    assert.match(text, /gatehouse_token_checks_total\{result="forbidden"\} [1-9]/);
    assert.match(text, /gatehouse_token_cache_hits_total [1-9]/);
    assert.match(text, /route="\/0\.1\/token\/:token"/);
    assert.match(text, /gatehouse_password_hash_queue_depth 0/);
    // The user's creation hashed once and its login verified once: both count, neither queued.
    const waits = Number(/^gatehouse_password_hash_wait_seconds_count (\d+)$/m.exec(text)?.[1]);
    assert.ok(waits >= 2, `hash waits counted: ${waits}`);
    assert.ok(!text.includes(token), 'no token in metrics');
  });
});

test('metrics.port serves /metrics alone, without authentication, on a separate port', async () => {
  const server = await startTestServer('sqlite');
  const metricsServer = await listenMetrics(server.container.metrics, '127.0.0.1', 0);
  try {
    const address = metricsServer.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const ok = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.equal(ok.status, 200);
    assert.match(await ok.text(), /gatehouse_http_requests_total/);
    assert.equal((await fetch(`http://127.0.0.1:${port}/other`)).status, 404);
  } finally {
    metricsServer.close();
    await server.close();
  }
});
