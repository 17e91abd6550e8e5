import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { digestToken, newTokenValue } from '../crypto/token-values.ts';
import { describeEachDialect } from '../testing/dialect-suite.ts';
import {
  adminToken,
  login,
  postRefreshToken,
  postToken,
  request,
  tokenStatus,
} from '../testing/http-client.ts';
import { assertSessionDeleted, newUser, sessionEvents } from '../testing/test-fixtures.ts';
import type { TestServer } from '../testing/test-server.ts';

function clockOf(server: TestServer) {
  const { clock } = server;
  if (!clock) throw new Error('this suite needs manualClock: true');
  return clock;
}

async function tokenRows(server: TestServer, sessionUuids: string[]): Promise<number> {
  const row = await server.container.storage.db
    .selectFrom('auth_token')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('session_uuid', 'in', sessionUuids)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

async function sessionRows(server: TestServer, sessionUuids: string[]): Promise<number> {
  const row = await server.container.storage.db
    .selectFrom('auth_session')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('uuid', 'in', sessionUuids)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

await describeEachDialect(
  'expired-token purge',
  { manualClock: true, config: { token_cleanup_interval: 5 } },
  ({ server }) => {
    test('D54 a token with expiration 1 leaves auth_token (and its session) once the purge runs', async () => {
      const user = await newUser(server());
      const token = await login(server(), user.username, user.password, { expiration: 1 });
      assert.equal(await tokenRows(server(), [token.session_uuid]), 1);

      clockOf(server()).advance(2000);
      // Expired but not purged yet: still a row, already refused by every check.
      assert.equal(await tokenRows(server(), [token.session_uuid]), 1);
      assert.equal(await tokenStatus(server(), token.token), 404);

      await server().container.expiryJob.runOnce();
      assert.equal(await tokenRows(server(), [token.session_uuid]), 0);
      assert.equal(await sessionRows(server(), [token.session_uuid]), 0);
      const sessions = await request(server(), `/users/${user.uuid}/sessions`, {
        token: await adminToken(server()),
      });
      assert.deepEqual(sessions.body, { total: 0, filtered: 0, items: [] });
    });

    test('D54 revoking a token removes its session row', async () => {
      const user = await newUser(server());
      const token = await login(server(), user.username, user.password);
      assert.equal(await sessionRows(server(), [token.session_uuid]), 1);
      assert.equal((await request(server(), `/token/${token.token}`, { method: 'DELETE' })).status, 200);
      assert.equal(await sessionRows(server(), [token.session_uuid]), 0);
      assert.equal(await tokenRows(server(), [token.session_uuid]), 0);
    });

    test('D54 the purge leaves live tokens alone', async () => {
      const user = await newUser(server());
      const live = await login(server(), user.username, user.password, { expiration: 600 });
      const expired = await login(server(), user.username, user.password, { expiration: 1 });
      clockOf(server()).advance(2000);
      await server().container.expiryJob.runOnce();
      assert.equal(await tokenRows(server(), [live.session_uuid]), 1);
      assert.equal(await tokenRows(server(), [expired.session_uuid]), 0);
      assert.equal(await tokenStatus(server(), live.token), 204);
    });

    test('D59 a purged session publishes one auth_session_deleted, even when two runs race', async () => {
      const user = await newUser(server());
      const tokens = [];
      for (let i = 0; i < 3; i += 1)
        tokens.push(await login(server(), user.username, user.password, { expiration: 1 }));
      clockOf(server()).advance(2000);
      const job = server().container.expiryJob;
      await Promise.all([job.runOnce(), job.runOnce()]);
      await job.runOnce();
      for (const token of tokens) {
        const event = assertSessionDeleted(server(), user, token.session_uuid);
        assert.equal(event.routingKey, `auth.sessions.${token.session_uuid}.deleted`);
        assert.equal(event.tenantUuid, user.tenant_uuid);
      }
      assert.equal(
        await tokenRows(
          server(),
          tokens.map((t) => t.session_uuid),
        ),
        0,
      );
    });

    test('D59 revoking a token publishes auth_session_deleted', async () => {
      const user = await newUser(server());
      const token = await login(server(), user.username, user.password);
      await request(server(), `/token/${token.token}`, { method: 'DELETE' });
      assertSessionDeleted(server(), user, token.session_uuid);
    });

    test('D59 a token expiring before the next run gets exactly one auth_session_expire_soon', async () => {
      const user = await newUser(server());
      const soon = await login(server(), user.username, user.password, { expiration: 3 });
      const later = await login(server(), user.username, user.password, { expiration: 600 });
      const job = server().container.expiryJob;
      await job.runOnce();
      await job.runOnce();
      const events = sessionEvents(server(), 'auth_session_expire_soon', soon.session_uuid);
      assert.equal(events.length, 1);
      assert.deepEqual(events[0]?.data, {
        uuid: soon.session_uuid,
        user_uuid: user.uuid,
        tenant_uuid: user.tenant_uuid,
      });
      assert.equal(
        events[0]?.routingKey,
        `auth.users.${user.uuid}.sessions.${soon.session_uuid}.expire_soon`,
      );
      assert.equal(events[0]?.tenantUuid, user.tenant_uuid);
      assert.deepEqual(sessionEvents(server(), 'auth_session_expire_soon', later.session_uuid), []);
      // The notice is not a revocation: the token still works until it expires.
      assert.equal(await tokenStatus(server(), soon.token), 204);
    });

    test('D59 racing runs announce each expiring session once', async () => {
      const user = await newUser(server());
      const tokens = [];
      for (let i = 0; i < 4; i += 1)
        tokens.push(await login(server(), user.username, user.password, { expiration: 2 }));
      const job = server().container.expiryJob;
      await Promise.all([job.runOnce(), job.runOnce(), job.runOnce()]);
      for (const token of tokens) {
        assert.equal(
          sessionEvents(server(), 'auth_session_expire_soon', token.session_uuid).length,
          1,
          token.session_uuid,
        );
      }
    });

    test('D59 a token announced as expiring soon is later purged with auth_session_deleted', async () => {
      const user = await newUser(server());
      const token = await login(server(), user.username, user.password, { expiration: 3 });
      const job = server().container.expiryJob;
      await job.runOnce();
      assert.equal(sessionEvents(server(), 'auth_session_expire_soon', token.session_uuid).length, 1);
      assert.equal(sessionEvents(server(), 'auth_session_deleted', token.session_uuid).length, 0);
      clockOf(server()).advance(4000);
      await job.runOnce();
      assert.equal(sessionEvents(server(), 'auth_session_expire_soon', token.session_uuid).length, 1);
      assert.equal(sessionEvents(server(), 'auth_session_deleted', token.session_uuid).length, 1);
      assert.equal(await sessionRows(server(), [token.session_uuid]), 0);
    });

    test('D60 expired server tokens without a user are purged without failing the run', async () => {
      const s = server();
      const sessionUuid = randomUUID();
      const now = clockOf(s).now();
      await s.container.repositories.tokens.insertWithSession(
        { uuid: sessionUuid, tenantUuid: s.topTenantUuid, userUuid: null, mobile: false },
        {
          digest: digestToken(newTokenValue()),
          sessionUuid,
          authId: 'wazo-auth',
          pbxUserUuid: null,
          xivoUuid: null,
          issuedAtMs: now,
          expiresAtMs: now + 1000,
          metadata: {},
          userAgent: 'wazo-auth-internal',
          remoteAddr: '127.0.0.1',
          acl: [],
          refreshTokenUuid: null,
        },
        now,
      );
      clockOf(s).advance(2000);
      await assert.doesNotReject(s.container.expiryJob.runOnce());
      assert.equal(await tokenRows(s, [sessionUuid]), 0);
      assert.equal(await sessionRows(s, [sessionUuid]), 0);
    });

    test('D59 the purge keeps refresh tokens: an expired offline login can still be refreshed', async () => {
      const user = await newUser(server());
      const first = await login(server(), user.username, user.password, {
        expiration: 1,
        access_type: 'offline',
        client_id: 'purge-test',
      });
      assert.ok(first.refresh_token);
      clockOf(server()).advance(2000);
      await server().container.expiryJob.runOnce();
      assert.equal(await tokenRows(server(), [first.session_uuid]), 0);
      const refreshed = await postRefreshToken(server(), first.refresh_token, 'purge-test');
      assert.equal(refreshed.status, 200, refreshed.text);
    });

    test('A18 purged sessions no longer count toward the session cap', async () => {
      const user = await newUser(server());
      for (let i = 0; i < 10; i += 1) await login(server(), user.username, user.password, { expiration: 1 });
      assert.equal((await postToken(server(), user.username, user.password)).status, 429);
      clockOf(server()).advance(2000);
      await server().container.expiryJob.runOnce();
      assert.equal((await postToken(server(), user.username, user.password)).status, 200);
    });
  },
);

await describeEachDialect(
  'expired-token purge in batches',
  { manualClock: true, config: { token_cleanup_interval: 5, token_cleanup_batch_size: 1 } },
  ({ server }) => {
    test('D54 batches of one purge all 5 expired tokens in one run, one event each', async () => {
      const user = await newUser(server());
      const sessions: string[] = [];
      for (let i = 0; i < 5; i += 1) {
        sessions.push((await login(server(), user.username, user.password, { expiration: 1 })).session_uuid);
      }
      clockOf(server()).advance(2000);
      const result = await server().container.expiryJob.runOnce();
      assert.equal(result.purged, 5);
      assert.equal(await tokenRows(server(), sessions), 0);
      assert.equal(await sessionRows(server(), sessions), 0);
      for (const uuid of sessions)
        assert.equal(sessionEvents(server(), 'auth_session_deleted', uuid).length, 1);
    });

    test('D59 batches of one announce all 5 expiring tokens in one run', async () => {
      const user = await newUser(server());
      const sessions: string[] = [];
      for (let i = 0; i < 5; i += 1) {
        sessions.push((await login(server(), user.username, user.password, { expiration: 3 })).session_uuid);
      }
      const result = await server().container.expiryJob.runOnce();
      assert.equal(result.announced, 5);
      for (const uuid of sessions)
        assert.equal(sessionEvents(server(), 'auth_session_expire_soon', uuid).length, 1);
    });
  },
);
