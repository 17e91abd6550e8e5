import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  burst,
  type Cluster,
  ccIterations,
  describeClusterEachDialect,
  pause,
  type SeededRandom,
  seededRandom,
  type Timed,
  timed,
} from '../testing/concurrency-harness.ts';
import {
  adminToken,
  type HttpResult,
  login,
  postRefreshToken,
  postToken,
  request,
  type TokenData,
  tokenStatus,
} from '../testing/http-client.ts';
import { grantAcl, newPassword, newUser, uniqueTag } from '../testing/test-fixtures.ts';
import type { TestServer } from '../testing/test-server.ts';

/**
 * security.md §5.3 CC-8 (policy change against login), CC-9 (password change against login) and
 * CC-10 (duplicate usernames and emails created at once). A login "starts after" a change when it
 * was sent after the change's response arrived; those must see the change.
 */

interface Attempt extends Timed<HttpResult> {
  server: TestServer;
}

/** `count` logins made by `send`, staggered over ~60 ms on random instances, with `change` in the middle. */
async function loginsAround(
  cluster: Cluster,
  random: SeededRandom,
  count: number,
  send: (server: TestServer) => Promise<HttpResult>,
  change: () => Promise<HttpResult>,
): Promise<{ attempts: Attempt[]; change: Timed<HttpResult> }> {
  const attempts = burst(count, async () => {
    await pause(random.int(60));
    const server = cluster.pick(random);
    return { server, ...(await timed(() => send(server))) };
  });
  await pause(random.int(30));
  const changed = await timed(change);
  return { attempts: await attempts, change: changed };
}

const after = (attempts: Attempt[], change: Timed<unknown>) =>
  attempts.filter((a) => a.startedAt > change.endedAt);

function assertNo5xx(attempts: Attempt[], label: string): void {
  const failures = attempts
    .filter((a) => a.value.status >= 500)
    .map((a) => `${a.value.status} ${a.value.text}`);
  assert.deepEqual(failures, [], `${label}: no 5xx`);
}

await describeClusterEachDialect(
  'CC-8 CC-9 CC-10 changes racing logins',
  { config: { max_user_concurrent_sessions: 1000 } },
  (cluster: () => Cluster) => {
    test('CC-8 a token created after the policy update answered never holds the removed ACL', async () => {
      const random = seededRandom('CC-8');
      const admin = await adminToken(cluster().first);
      for (let i = 0; i < ccIterations(3); i += 1) {
        const user = await newUser(cluster().first);
        const removed = `cc8.removed.${uniqueTag()}`;
        const kept = `cc8.kept.${uniqueTag()}`;
        const policy = await grantAcl(cluster().first, user, [removed, kept]);
        const clientId = `cc8-${uniqueTag()}`;
        const refresh = (
          await login(cluster().first, user.username, user.password, {
            access_type: 'offline',
            client_id: clientId,
          })
        ).refresh_token as string;
        // Refresh logins recompute the ACL like password logins do, without the cost of a hash.
        const { attempts, change } = await loginsAround(
          cluster(),
          random,
          30,
          (server) => postRefreshToken(server, refresh, clientId),
          () =>
            request(cluster().pick(random), `/policies/${policy}`, {
              method: 'PUT',
              token: admin,
              body: { name: `cc8-${uniqueTag()}`, acl: [kept] },
            }),
        );
        assert.equal(change.value.status, 200, change.value.text);
        assertNo5xx(attempts, 'CC-8');
        for (const attempt of after(attempts, change)) {
          assert.equal(attempt.value.status, 200, attempt.value.text);
          const { acl } = (attempt.value.body as { data: TokenData }).data;
          assert.ok(!acl.includes(removed), `iteration ${i}: a token made after the update holds ${removed}`);
          assert.ok(acl.includes(kept));
        }
      }
    });

    test('CC-9 once the password change returned, the old password never succeeds, and no token made with it survives', async () => {
      const random = seededRandom('CC-9');
      const admin = await adminToken(cluster().first);
      for (let i = 0; i < ccIterations(2); i += 1) {
        const user = await newUser(cluster().first);
        const fresh = newPassword();
        const { attempts, change } = await loginsAround(
          cluster(),
          random,
          12,
          (server) => postToken(server, user.username, user.password),
          () =>
            request(cluster().pick(random), `/users/${user.uuid}/password`, {
              method: 'PUT',
              token: admin,
              body: { old_password: user.password, new_password: fresh },
            }),
        );
        assert.equal(change.value.status, 204, change.value.text);
        assertNo5xx(attempts, 'CC-9');
        for (const attempt of after(attempts, change)) {
          assert.equal(
            attempt.value.status,
            401,
            `iteration ${i}: the old password succeeded after the change`,
          );
        }
        // The change ends every session; a login that raced it must not leave one behind.
        for (const attempt of attempts.filter((a) => a.value.status === 200)) {
          const { token } = (attempt.value.body as { data: TokenData }).data;
          for (const server of cluster().servers) {
            assert.equal(
              await tokenStatus(server, token),
              404,
              `iteration ${i}: a token of the old password`,
            );
          }
        }
        assert.equal((await postToken(cluster().pick(random), user.username, fresh)).status, 200);
      }
    });

    test('CC-10 the same username or email created at once: exactly one 200, the others 409, no 500', async () => {
      const random = seededRandom('CC-10');
      const admin = await adminToken(cluster().first);
      for (let i = 0; i < ccIterations(3); i += 1) {
        const username = `cc10-${uniqueTag()}`;
        const email = `cc10-${uniqueTag()}@example.com`;
        const bodies = [
          (n: number) => ({ username, firstname: `n${n}` }),
          (n: number) => ({ username: `cc10-${uniqueTag()}-${n}`, email_address: email }),
        ];
        for (const body of bodies) {
          const results = await burst(10, (n) =>
            request(cluster().pick(random), '/users', { method: 'POST', token: admin, body: body(n) }),
          );
          const statuses = results.map((r) => r.status).sort();
          assert.deepEqual(
            statuses,
            [200, ...Array(9).fill(409)],
            `iteration ${i}: ${results.filter((r) => r.status !== 200 && r.status !== 409).map((r) => r.text)}`,
          );
        }
      }
    });
  },
);
