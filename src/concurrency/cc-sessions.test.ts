import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DomainEvent } from '../events/event-sink.ts';
import {
  burst,
  type Cluster,
  ccIterations,
  describeClusterEachDialect,
  seededRandom,
} from '../testing/concurrency-harness.ts';
import { login, postRefreshToken, postToken, type TokenData } from '../testing/http-client.ts';
import { newUser, uniqueTag } from '../testing/test-fixtures.ts';
import type { TestServer } from '../testing/test-server.ts';

/**
 * security.md §5.3 CC-6 (the session cap under a login burst) and CC-11 (the expiry job running
 * on every instance at once). The clocks are moved by hand, the same amount on every instance.
 */

const CAP = 10;
const CLEANUP_INTERVAL_SECONDS = 5;

function advanceAll(cluster: Cluster, ms: number): void {
  for (const server of cluster.servers) {
    if (!server.clock) throw new Error('this suite needs manualClock: true');
    server.clock.advance(ms);
  }
}

async function liveSessionUuids(server: TestServer, userUuid: string): Promise<Set<string>> {
  const rows = await server.container.storage.db
    .selectFrom('auth_session')
    .select('uuid')
    .where('user_uuid', '=', userUuid)
    .execute();
  return new Set(rows.map((r) => r.uuid));
}

/** Every event named `name` about `sessionUuid`, across all instances. */
function eventsAbout(cluster: Cluster, name: string, sessionUuid: string): DomainEvent[] {
  return cluster.servers.flatMap((s) => s.events.named(name).filter((e) => e.data.uuid === sessionUuid));
}

/** `count` tokens of one internal user (exempt from the cap), made by cheap refresh logins. */
async function tokensOf(server: TestServer, count: number, expiration: number): Promise<TokenData[]> {
  const user = await newUser(server, { purpose: 'internal' });
  const clientId = `cc11-${uniqueTag()}`;
  const offline = await login(server, user.username, user.password, {
    access_type: 'offline',
    client_id: clientId,
    expiration,
  });
  const made = await burst(count - 1, () =>
    postRefreshToken(server, offline.refresh_token as string, clientId, { expiration }),
  );
  for (const result of made) assert.equal(result.status, 200, result.text);
  return [offline, ...made.map((r) => (r.body as { data: TokenData }).data)];
}

await describeClusterEachDialect(
  'CC-6 CC-11 session cap and expiry job under concurrency',
  {
    manualClock: true,
    config: { max_user_concurrent_sessions: CAP, token_cleanup_interval: CLEANUP_INTERVAL_SECONDS },
  },
  (cluster: () => Cluster) => {
    test(`CC-6 session cap M=${CAP}: 50 concurrent logins give at most ${CAP} successes, the rest 429`, async () => {
      const random = seededRandom('CC-6');
      for (let i = 0; i < ccIterations(1); i += 1) {
        const user = await newUser(cluster().first);
        const results = await burst(50, () =>
          postToken(cluster().pick(random), user.username, user.password),
        );
        const statuses = results.map((r) => r.status);
        const successes = statuses.filter((s) => s === 200).length;
        assert.deepEqual(
          statuses.filter((s) => s !== 200 && s !== 429),
          [],
          'only 200 or 429',
        );
        assert.ok(successes >= 1 && successes <= CAP, `${successes} successes (iteration ${i})`);
        const sessions = await liveSessionUuids(cluster().first, user.uuid);
        assert.ok(sessions.size <= CAP, `${sessions.size} sessions stored`);
      }
    });

    test('CC-11 the expiry job on every instance at once: no deadlock, one event per session, live rows kept', async () => {
      seededRandom('CC-11');
      for (let i = 0; i < ccIterations(1); i += 1) {
        const { first, servers } = cluster();
        const expired = await tokensOf(first, 24, 1);
        const expiringSoon = await tokensOf(first, 12, CLEANUP_INTERVAL_SECONDS);
        const live = await tokensOf(first, 12, 3600);
        advanceAll(cluster(), 2000);
        // Every instance runs the job twice at once, with batches of the configured size.
        await Promise.all(
          servers.flatMap((s) => [s.container.expiryJob.runOnce(), s.container.expiryJob.runOnce()]),
        );

        for (const token of expired) {
          assert.equal(eventsAbout(cluster(), 'auth_session_deleted', token.session_uuid).length, 1);
        }
        for (const token of expiringSoon) {
          assert.equal(eventsAbout(cluster(), 'auth_session_expire_soon', token.session_uuid).length, 1);
          assert.equal(eventsAbout(cluster(), 'auth_session_deleted', token.session_uuid).length, 0);
        }
        for (const token of live) {
          assert.equal(eventsAbout(cluster(), 'auth_session_deleted', token.session_uuid).length, 0);
          assert.equal(eventsAbout(cluster(), 'auth_session_expire_soon', token.session_uuid).length, 0);
        }
        const remaining = await first.container.storage.db
          .selectFrom('auth_session')
          .select('uuid')
          .where(
            'uuid',
            'in',
            [...expired, ...expiringSoon, ...live].map((t) => t.session_uuid),
          )
          .execute();
        assert.deepEqual(
          new Set(remaining.map((r) => r.uuid)),
          new Set([...expiringSoon, ...live].map((t) => t.session_uuid)),
          'exactly the expired sessions are gone',
        );
        // Leave nothing expiring for the next iteration's counts.
        advanceAll(cluster(), 10_000);
        await Promise.all(servers.map((s) => s.container.expiryJob.runOnce()));
      }
    });
  },
);
