import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeEachDialect } from '../testing/dialect-suite.ts';
import {
  type CreatedUser,
  createUser,
  login,
  postRefreshToken,
  tokenStatus,
} from '../testing/http-client.ts';
import { assertAuthFailed, tokenOf, userEvents } from '../testing/test-fixtures.ts';
import type { TestServer } from '../testing/test-server.ts';

const ROTATING = 'rotating-app';
const GRACE_MS = 30_000;

async function offline(srv: TestServer, user: CreatedUser, clientId = ROTATING): Promise<string> {
  const data = await login(srv, user.username, user.password, {
    access_type: 'offline',
    client_id: clientId,
  });
  assert.ok(data.refresh_token);
  return data.refresh_token;
}

async function refreshed(srv: TestServer, rt: string, clientId = ROTATING) {
  return tokenOf(await postRefreshToken(srv, rt, clientId));
}

const reuseLines = (srv: TestServer) => srv.logs.filter((l) => l.includes('refresh token reuse detected'));

await describeEachDialect(
  'refresh-token rotation per client_id (D3)',
  {
    manualClock: true,
    config: { max_user_concurrent_sessions: 100, refresh_tokens: { rotate_client_ids: [ROTATING] } },
  },
  ({ server }) => {
    const clock = () => {
      const c = server().clock;
      if (!c) throw new Error('manual clock expected');
      return c;
    };

    test('§2 B2 each refresh returns a new refresh token; the previous one works within grace only, with the same successor', async () => {
      const user = await createUser(server());
      const first = await offline(server(), user);
      const a = await refreshed(server(), first);
      assert.ok(a.refresh_token);
      assert.notEqual(a.refresh_token, first);
      const retry = await refreshed(server(), first);
      assert.equal(retry.refresh_token, a.refresh_token);
      assert.equal(await tokenStatus(server(), retry.token), 204);
      clock().advance(GRACE_MS + 1);
      assertAuthFailed(await postRefreshToken(server(), first, ROTATING));
      // The previous value after the grace is reuse: the token is gone.
      assertAuthFailed(await postRefreshToken(server(), a.refresh_token, ROTATING));
    });

    test('D2 an offline re-login of a rotating client_id returns the current value', async () => {
      const user = await createUser(server());
      const first = await offline(server(), user);
      const a = await refreshed(server(), first);
      assert.equal(await offline(server(), user), a.refresh_token);
    });

    test('S-RT-3 a value two generations old gives 401 and revokes the refresh token and its sessions', async () => {
      const user = await createUser(server());
      const first = await offline(server(), user);
      const a = await refreshed(server(), first);
      const b = await refreshed(server(), a.refresh_token as string);
      assert.ok(b.refresh_token);
      const linesBefore = reuseLines(server()).length;
      assertAuthFailed(await postRefreshToken(server(), first, ROTATING));
      assertAuthFailed(await postRefreshToken(server(), b.refresh_token, ROTATING));
      assert.equal(await tokenStatus(server(), a.token), 404);
      assert.equal(await tokenStatus(server(), b.token), 404);
      assert.equal(userEvents(server(), 'auth_refresh_token_deleted', user.uuid).length, 1);
      assert.equal(reuseLines(server()).length, linesBefore + 1);
    });

    test('§4 #26 an unknown value revokes nothing', async () => {
      const user = await createUser(server());
      const first = await offline(server(), user);
      const a = await refreshed(server(), first);
      assertAuthFailed(await postRefreshToken(server(), crypto.randomUUID(), ROTATING));
      // The current value under another client_id is unknown too (B12).
      assertAuthFailed(await postRefreshToken(server(), a.refresh_token as string, 'other-app'));
      assert.equal(await tokenStatus(server(), a.token), 204);
      const b = await refreshed(server(), a.refresh_token as string);
      assert.ok(b.refresh_token);
      assert.equal(userEvents(server(), 'auth_refresh_token_deleted', user.uuid).length, 0);
    });

    test('B22 an unlisted client_id does not rotate: no refresh_token in the response, the value keeps working', async () => {
      const user = await createUser(server());
      const rt = await offline(server(), user, 'plain-app');
      const a = await refreshed(server(), rt, 'plain-app');
      assert.equal('refresh_token' in a, false);
      clock().advance(GRACE_MS * 10);
      const b = await refreshed(server(), rt, 'plain-app');
      assert.equal('refresh_token' in b, false);
      assert.equal(await tokenStatus(server(), a.token), 204);
    });

    test('CC-1 10 parallel refreshes of one token all succeed with one successor', async () => {
      const user = await createUser(server());
      const first = await offline(server(), user);
      const results = await Promise.all(
        Array.from({ length: 10 }, () => postRefreshToken(server(), first, ROTATING)),
      );
      const successors = new Set(results.map((r) => tokenOf(r).refresh_token));
      assert.equal(successors.size, 1);
      const [successor] = [...successors];
      assert.ok(successor && successor !== first);
      assert.ok((await refreshed(server(), successor)).refresh_token);
    });
  },
);
