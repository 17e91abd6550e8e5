import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { describeEachDialect } from '../testing/dialect-suite.ts';
import { adminRequest, request } from '../testing/http-client.ts';
import { sendRaw } from '../testing/raw-http.ts';
import { userWithAcl } from '../testing/test-fixtures.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';

/** The log lines Fastify wrote for requests on this token (the fast path writes none). */
function framework(server: TestServer, token: string): number {
  const suffix = token.slice(-8);
  return server.logs.filter((line) => line.includes('"incoming request"') && line.includes(suffix)).length;
}

function head(server: TestServer, token: string, query = '', headers: Record<string, string> = {}) {
  return request(server, `/token/${token}${query}`, { method: 'HEAD', headers });
}

/** Response headers without the ones that vary by time. */
function stableHeaders(headers: Headers): Record<string, string> {
  return Object.fromEntries([...headers].filter(([name]) => name !== 'date'));
}

const ACL = ['confd.users.*.read', 'calld.#', '!calld.admin.#'];

await describeEachDialect('token check fast path', {}, ({ server }) => {
  test('#4 a cached, granted HEAD check skips the framework and answers exactly like it', async () => {
    const { token } = (await userWithAcl(server(), ACL)).token;
    const first = await head(server(), token, '?scope=confd.users.42.read');
    assert.equal(first.status, 204);
    assert.equal(framework(server(), token), 1, 'the miss goes through Fastify and fills the cache');
    const second = await head(server(), token, '?scope=confd.users.42.read');
    assert.equal(second.status, 204);
    assert.equal(second.text, '');
    assert.equal(framework(server(), token), 1, 'the hit is answered before the framework');
    assert.deepEqual(stableHeaders(second.headers), stableHeaders(first.headers));
    assert.equal((await head(server(), token)).status, 204, 'no scope at all');
    assert.equal(framework(server(), token), 1);
  });

  test('#4 refusals, unknown tokens and unusual queries still get the full path answer', async () => {
    const { token } = (await userWithAcl(server(), ACL)).token;
    await head(server(), token);
    const cases: [string, number][] = [
      ['?scope=calld.admin.calls', 403],
      ['?scope=confd.users.42.write', 403],
      ['?scope=calld.x&scope=calld.y', 400],
      ['?scope=calld%2Ecalls', 204],
      ['?scope=calld.calls&tenant=not-a-tenant', 403],
      ['?other=1', 204],
    ];
    for (const [query, status] of cases) {
      const before = framework(server(), token);
      assert.equal((await head(server(), token, query)).status, status, query);
      assert.equal(framework(server(), token), before + 1, `${query} reaches Fastify`);
    }
    const unknown = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
    assert.equal((await head(server(), unknown)).status, 404);
    assert.equal((await head(server(), unknown)).status, 404, 'a cached unknown is not answered early');
    assert.equal(framework(server(), unknown), 2);
  });

  test('#4 requests the request rules refuse are refused on the fast path too', async () => {
    const { token } = (await userWithAcl(server(), ACL)).token;
    await head(server(), token);
    const path = `/0.1/token/${token}?scope=calld.calls`;
    const twice = `HEAD ${path} HTTP/1.1\r\nHost: x\r\nX-Auth-Token: a\r\nX-Auth-Token: b\r\nConnection: close\r\n\r\n`;
    assert.equal((await sendRaw(server().origin, twice)).status, 400);
    const noHost = `HEAD ${path} HTTP/1.1\r\nConnection: close\r\n\r\n`;
    assert.equal((await sendRaw(server().origin, noHost)).status, 400);
    const plain = `HEAD ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;
    const answered = await sendRaw(server().origin, plain);
    assert.equal(answered.status, 204);
    assert.equal(answered.headers['cache-control'], 'no-store');
  });

  test('#4 a revoked token is never answered from the fast path', async () => {
    const { token } = (await userWithAcl(server(), ACL)).token;
    assert.equal((await head(server(), token, '?scope=calld.calls')).status, 204);
    assert.equal((await head(server(), token, '?scope=calld.calls')).status, 204);
    const revoked = await request(server(), `/token/${token}`, { method: 'DELETE' });
    assert.equal(revoked.status, 200);
    assert.equal((await head(server(), token, '?scope=calld.calls')).status, 404);
  });

  test('#4 a browser request (Origin) goes through the framework for its CORS headers', async () => {
    const { token } = (await userWithAcl(server(), ACL)).token;
    await head(server(), token);
    const before = framework(server(), token);
    const result = await head(server(), token, '', { Origin: 'https://app.example' });
    assert.equal(result.status, 204);
    assert.equal(framework(server(), token), before + 1);
    assert.equal(result.headers.get('access-control-allow-origin'), '*');
  });

  test('#4 fast answers are counted in /metrics as requests and valid checks', async () => {
    const { token } = (await userWithAcl(server(), ACL)).token;
    await head(server(), token);
    const read = async () => (await adminRequest(server(), '/../metrics')).text;
    const valid = (text: string) =>
      Number(/gatehouse_token_checks_total\{result="valid"\} (\d+)/.exec(text)?.[1]);
    const before = valid(await read());
    for (let i = 0; i < 3; i += 1) await head(server(), token);
    assert.equal(framework(server(), token), 1);
    assert.equal(valid(await read()), before + 3);
  });
});

await describeEachDialect(
  'token check fast path behind a prefix',
  { config: { http: { path_prefix: '/api/auth' } } },
  ({ server }) => {
    test('#4 the fast path follows http.path_prefix', async () => {
      const { token } = (await userWithAcl(server(), ACL)).token;
      assert.equal((await head(server(), token, '?scope=calld.calls')).status, 204);
      assert.equal((await head(server(), token, '?scope=calld.calls')).status, 204);
      assert.equal(framework(server(), token), 1);
    });
  },
);

let restricted: TestServer;
before(async () => {
  restricted = await startTestServer('sqlite', {
    config: { http: { cors_allowed_origins: ['https://app.example'] } },
  });
});
after(() => restricted.close());

test('#4 with a CORS origin list the headers depend on the request, so the fast path is off', async () => {
  const { token } = (await userWithAcl(restricted, ACL)).token;
  for (let i = 0; i < 3; i += 1) assert.equal((await head(restricted, token)).status, 204);
  assert.equal(framework(restricted, token), 3);
});
