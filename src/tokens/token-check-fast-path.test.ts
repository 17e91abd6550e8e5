import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { newTokenValue } from '../crypto/token-values.ts';
import { insertAccessToken } from '../testing/access-token-fixtures.ts';
import { describeEachDialect } from '../testing/dialect-suite.ts';
import { adminRequest, request } from '../testing/http-client.ts';
import { type RawReply, sendRaw } from '../testing/raw-http.ts';
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

function rawHead(path: string): string {
  return `HEAD ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;
}

/**
 * The same status line and the same header lines in the same order; Date may differ, and so may
 * Content-Length, by the digits of the body's timestamp (seconds, up to 3 decimals).
 */
function assertSameAnswer(fast: RawReply, full: RawReply, status: number, reason: string): void {
  const lines = (reply: RawReply) => reply.raw.split('\r\n\r\n')[0]?.split('\r\n') ?? [];
  const stable = (reply: RawReply) => lines(reply).filter((line) => !/^(date|content-length):/i.test(line));
  const names = (reply: RawReply) => lines(reply).map((line) => line.split(':')[0]?.toLowerCase());
  assert.equal(full.status, status);
  assert.deepEqual(stable(fast), stable(full));
  assert.deepEqual(names(fast), names(full));
  assert.equal(fast.body, '', 'HEAD: no body');
  const withoutTime = JSON.stringify({ reason: [reason], timestamp: [0], status_code: status }).length - 1;
  for (const reply of [fast, full]) {
    const digits = Number(reply.headers['content-length']) - withoutTime;
    assert.ok(
      digits >= 10 && digits <= 14,
      `Content-Length of the wazo body: ${reply.headers['content-length']}`,
    );
  }
}

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

  test('#4 unusual queries and unknown tokens not yet cached still get the full path answer', async () => {
    const { token } = (await userWithAcl(server(), ACL)).token;
    await head(server(), token);
    const cases: [string, number][] = [
      ['?scope=calld.x&scope=calld.y', 400],
      ['?scope=calld%2Ecalls', 204],
      ['?scope=calld.calls&tenant=not-a-tenant', 403],
      ['?scope=calld%2Eadmin.calls', 403],
      ['?other=1', 204],
    ];
    for (const [query, status] of cases) {
      const before = framework(server(), token);
      assert.equal((await head(server(), token, query)).status, status, query);
      assert.equal(framework(server(), token), before + 1, `${query} reaches Fastify`);
    }
    const unknown = newTokenValue();
    assert.equal((await head(server(), unknown, '?scope=calld.calls')).status, 404);
    assert.equal(framework(server(), unknown), 1, 'the first check reads the database');
  });

  test('#4 a cached refusal (403) is answered before the framework, exactly as by it', async () => {
    const { token } = (await userWithAcl(server(), ACL)).token;
    const path = `/0.1/token/${token}?scope=calld.admin.calls`;
    const full = await sendRaw(server().origin, rawHead(path));
    assert.equal(framework(server(), token), 1, 'the miss goes through Fastify');
    const fast = await sendRaw(server().origin, rawHead(path));
    assert.equal(framework(server(), token), 1, 'the cached refusal does not');
    assertSameAnswer(fast, full, 403, 'Unauthorized for calld.admin.calls');
    const denied = await head(server(), token, '?scope=confd.users.42.write');
    assert.equal(denied.status, 403, 'a refusal by a missing entry');
    assert.equal(framework(server(), token), 1);
  });

  test('#4 a cached unknown token (404) is answered before the framework, exactly as by it', async () => {
    const unknown = newTokenValue();
    const path = `/0.1/token/${unknown}?scope=calld.calls`;
    const full = await sendRaw(server().origin, rawHead(path));
    const fast = await sendRaw(server().origin, rawHead(path));
    assert.equal(framework(server(), unknown), 1, 'only the first check reached Fastify');
    assertSameAnswer(fast, full, 404, 'No such token');
    assert.equal((await head(server(), unknown)).status, 404, 'without a scope too');
    assert.equal(framework(server(), unknown), 1);
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
    assert.equal((await head(server(), token, '?scope=calld.admin.calls')).status, 404, 'not 403 either');
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

  test('#4 fast answers are counted in /metrics as requests and as valid, forbidden, unknown checks', async () => {
    const { token } = (await userWithAcl(server(), ACL)).token;
    const unknown = newTokenValue();
    await head(server(), token);
    await head(server(), unknown);
    const counts = async () => {
      const text = (await adminRequest(server(), '/../metrics')).text;
      const read = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? 0);
      return {
        valid: read(/gatehouse_token_checks_total\{result="valid"\} (\d+)/),
        forbidden: read(/gatehouse_token_checks_total\{result="forbidden"\} (\d+)/),
        unknown: read(/gatehouse_token_checks_total\{result="unknown"\} (\d+)/),
        head403: read(
          /gatehouse_http_requests_total\{method="HEAD",route="[^"]*:token",status="403"\} (\d+)/,
        ),
        head404: read(
          /gatehouse_http_requests_total\{method="HEAD",route="[^"]*:token",status="404"\} (\d+)/,
        ),
      };
    };
    const before = await counts();
    for (let i = 0; i < 3; i += 1) await head(server(), token);
    for (let i = 0; i < 2; i += 1) await head(server(), token, '?scope=calld.admin.calls');
    await head(server(), unknown);
    assert.equal(framework(server(), token), 1, 'the refusals of a cached token are answered early too');
    assert.equal(framework(server(), unknown), 1);
    assert.deepEqual(await counts(), {
      valid: before.valid + 3,
      forbidden: before.forbidden + 2,
      unknown: before.unknown + 1,
      head403: before.head403 + 2,
      head404: before.head404 + 1,
    });
  });
});

await describeEachDialect(
  'token check fast path and cache ages',
  // The feed trusts the cache for an hour of manual time: only the entries' own ages matter here.
  { manualClock: true, config: { token_cache: { max_staleness_ms: 3_600_000 } } },
  ({ server }) => {
    test('#4 an unknown token is 404 from the fast path for at most the negative max age', async () => {
      const s = server();
      const value = newTokenValue();
      assert.equal((await head(s, value, '?scope=calld.calls')).status, 404);
      assert.equal(framework(s, value), 1);
      // A token with this value appears afterwards (only an import or a racing check can do this).
      await insertAccessToken(s, { value, acl: ACL });
      assert.equal((await head(s, value, '?scope=calld.calls')).status, 404, 'still the negative entry');
      assert.equal(framework(s, value), 1);
      s.clock?.advance(s.container.config.token_cache.negative_max_age_seconds * 1000 + 1);
      assert.equal((await head(s, value, '?scope=calld.calls')).status, 204, 'read again after the max age');
      assert.equal(framework(s, value), 2);
    });

    test('#4 a cached token past its expiry is 404 from the fast path', async () => {
      const s = server();
      const token = await insertAccessToken(s, { acl: ACL, lifetimeSeconds: 10 });
      assert.equal((await head(s, token, '?scope=calld.calls')).status, 204);
      s.clock?.advance(10_001);
      assert.equal((await head(s, token, '?scope=calld.calls')).status, 404);
      assert.equal((await head(s, token, '?scope=calld.admin.calls')).status, 404);
      assert.equal(framework(s, token), 1, 'the expiry is read from the cached entry');
    });
  },
);

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
