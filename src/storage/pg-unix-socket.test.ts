import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { login, request, tokenStatus } from '../testing/http-client.ts';
import { POSTGRES_URL, postgresUnavailableReason } from '../testing/test-databases.ts';
import { ADMIN_PASSWORD, ADMIN_USERNAME, startTestServer, type TestServer } from '../testing/test-server.ts';

/**
 * A PostgreSQL on the same machine can be reached over its Unix socket, with the socket directory
 * as the URL's `host` parameter (`database_url`): cheaper than TCP loopback (issue #4: 2-8% more
 * refresh logins in alternated runs). The whole server must work that way, the revocation feed's
 * LISTEN connection included, not only the pool.
 */
const SOCKET_DIR = process.env.TEST_DATABASE_SOCKET_DIR ?? '/var/run/postgresql';

/** The test database's URL in the documented socket form: no host, the socket directory as `host`. */
function socketUrl(): string {
  const tcp = new URL(POSTGRES_URL);
  const password = tcp.password ? `:${tcp.password}` : '';
  const port = tcp.port || '5432';
  return `postgres://${tcp.username}${password}@${tcp.pathname}?host=${encodeURIComponent(SOCKET_DIR)}&port=${port}`;
}

async function skipReason(): Promise<string | null> {
  const unreachable = await postgresUnavailableReason();
  if (unreachable) return unreachable;
  const socket = join(SOCKET_DIR, `.s.PGSQL.${new URL(POSTGRES_URL).port || '5432'}`);
  return existsSync(socket) ? null : `no PostgreSQL socket at ${socket} (TEST_DATABASE_SOCKET_DIR)`;
}

const skip = await skipReason();

describe('#4 PostgreSQL over its Unix socket [postgres]', { skip: skip ?? false }, () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer('postgres', { databaseUrlOverride: socketUrl() });
  });
  after(() => server?.close());

  test('the pool and the LISTEN connection use the socket; logins, checks and revocations work', async () => {
    const { rows } = await sql<{ address: string | null }>`select inet_client_addr() as address`.execute(
      server.container.storage.db,
    );
    assert.equal(rows[0]?.address, null, 'a socket connection has no client address');
    // The feed is current only once its own NOTIFY heartbeat came back through LISTEN.
    for (let waited = 0; !server.container.feed.isCurrent(Date.now()); waited += 20) {
      assert.ok(waited < 5000, 'the revocation feed heard no heartbeat over the socket');
      await sleep(20);
    }

    const { token } = await login(server, ADMIN_USERNAME, ADMIN_PASSWORD);
    assert.equal(await tokenStatus(server, token), 204);
    const revoked = await request(server, `/token/${token}`, { method: 'DELETE' });
    assert.equal(revoked.status, 200, revoked.text);
    assert.equal(await tokenStatus(server, token), 404);
  });
});
