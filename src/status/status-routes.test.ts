import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeEachDialect } from '../testing/dialect-suite.ts';
import { request } from '../testing/http-client.ts';

await describeEachDialect('status and backends', {}, ({ server }) => {
  test('HEAD /status is 200 when the database answers', async () => {
    const result = await request(server(), '/status', { method: 'HEAD' });
    assert.equal(result.status, 200);
  });

  test('GET /status reports the database', async () => {
    const result = await request(server(), '/status');
    assert.equal(result.status, 200);
    assert.deepEqual(result.body, { status: 'ok', database: { status: 'ok' } });
  });

  test('GET /backends lists wazo_user', async () => {
    const result = await request(server(), '/backends');
    assert.deepEqual(result.body, { data: ['wazo_user'] });
  });

  test('GET /api/api.yml serves the OpenAPI document', async () => {
    const result = await request(server(), '/api/api.yml');
    assert.equal(result.status, 200);
    assert.match(result.headers.get('content-type') ?? '', /yaml/);
    assert.match(result.text, /openapi: 3/);
    assert.match(result.text, /\/token\/\{token\}/);
  });
});
