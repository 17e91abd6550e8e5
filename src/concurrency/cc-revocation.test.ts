import assert from 'node:assert/strict';
import { test } from 'node:test';
import { writeRunner } from '../storage/group-commit.ts';
import {
  assertRevokedAfter,
  assertRevokedWithin,
  type Cluster,
  ccIterations,
  describeClusterEachDialect,
  raceChecks,
  seededRandom,
} from '../testing/concurrency-harness.ts';
import { adminToken, login, postRefreshToken, request, tokenStatus } from '../testing/http-client.ts';
import { newUser, uniqueTag } from '../testing/test-fixtures.ts';
import type { TestServer } from '../testing/test-server.ts';
import { SessionRevoker } from '../tokens/session-revoker.ts';
import { TokenCache } from '../tokens/token-cache.ts';
import { TokenCheckService } from '../tokens/token-check-service.ts';
import { TokenRepository } from '../tokens/token-repository.ts';

/**
 * security.md §5.3 CC-7: `DELETE /token/T` alongside 100 validations. On the instance that
 * answered the DELETE, every validation starting after its response is 404. Another instance
 * hears of it through LISTEN/NOTIFY, so there the bound is the documented staleness,
 * `token_cache.max_staleness_ms` (its cache is trusted only while its own heartbeat is that fresh).
 */

await describeClusterEachDialect('CC-7 revocation racing validations', {}, (cluster: () => Cluster) => {
  test('CC-7 DELETE /token/T alongside 100 validations: every check starting after the response is 404', async () => {
    const random = seededRandom('CC-7');
    const staleness = cluster().first.container.config.token_cache.max_staleness_ms;
    const user = await newUser(cluster().first);
    let stale = 0;
    for (let i = 0; i < ccIterations(4); i += 1) {
      const token = (await login(cluster().pick(random), user.username, user.password)).token;
      // Half the iterations start with warm caches (hits), half cold (reads racing the delete).
      if (random.next() < 0.5)
        for (const s of cluster().servers) assert.equal(await tokenStatus(s, token), 204);
      const race = await raceChecks({
        cluster: cluster(),
        random,
        tokens: [token],
        total: 100,
        action: (server) => request(server, `/token/${token}`, { method: 'DELETE' }),
      });
      assert.equal(race.action.value.status, 200, race.action.value.text);
      stale += assertRevokedAfter(race, staleness, `CC-7 iteration ${i}`);
      for (const server of cluster().servers) {
        await assertRevokedWithin(server, token, race.action.endedAt, staleness);
      }
    }
    console.log(
      `CC-7 [${cluster().dialect}]: ${stale} stale answers from the other instance, within the bound`,
    );
  });
});

/** The real token repository, whose next read waits for `release` after reading (a slow query). */
class HeldRead extends TokenRepository {
  #held: Promise<void> | null = null;
  release: () => void = () => {};

  holdNextRead(): void {
    this.#held = new Promise((resolve) => {
      this.release = resolve;
    });
  }

  override async findByDigest(digest: string) {
    const held = this.#held;
    this.#held = null;
    const row = await super.findByDigest(digest);
    await held;
    return row;
  }
}

/** A token check over the real database of `server`, with its own cache, revoker and held reads. */
function checkWithHeldReads(server: TestServer) {
  const { container } = server;
  const tokens = new HeldRead(container.storage.db, writeRunner(container.storage.db, container.storage));
  const cache = new TokenCache({ maxEntries: 100, maxAgeMs: 60_000, negativeMaxAgeMs: 5000 });
  const revoker = new SessionRevoker({
    db: container.storage.db,
    feed: container.feed,
    evictLocally: (uuids) => cache.evictSessions(uuids),
    events: container.events,
  });
  const { users, tenants } = container.repositories;
  const check = new TokenCheckService({
    tokens,
    tokensOnFreshConnection: tokens,
    users,
    tenants,
    revoker,
    cache,
    feed: container.feed,
    now: Date.now,
  });
  return { check, tokens };
}

await describeClusterEachDialect('CC-7 S-REV S-CONF revocation rules', {}, (cluster: () => Cluster) => {
  test('CC-7 a check starting after a revocation answered never reuses a read begun before it', async () => {
    const user = await newUser(cluster().first);
    const { token } = await login(cluster().first, user.username, user.password);
    const { check, tokens } = checkWithHeldReads(cluster().first);
    tokens.holdNextRead();
    // This read sees the row and is held, as a slow query would be, while the revocation commits.
    const before = check.find(token);
    await check.revoke(token);
    const after = check.find(token);
    tokens.release();
    assert.ok(await before, 'the check that started first may still see the token');
    assert.equal(await after, null, 'the check that started after the revocation is 404');
  });

  test('S-REV-1 token delete, session delete and user delete revoke user, external_api and internal tokens alike', async () => {
    const random = seededRandom('S-REV-1');
    const admin = await adminToken(cluster().first);
    for (const purpose of ['user', 'external_api', 'internal']) {
      const user = await newUser(cluster().first, { purpose });
      const tokens = [];
      for (let i = 0; i < 3; i += 1)
        tokens.push(await login(cluster().pick(random), user.username, user.password));
      const [byToken, bySession, byUser] = tokens as [
        (typeof tokens)[0],
        (typeof tokens)[0],
        (typeof tokens)[0],
      ];
      for (const t of tokens) assert.equal(await tokenStatus(cluster().pick(random), t.token), 204);

      const on = () => cluster().first;
      assert.equal(
        (await request(on(), `/token/${byToken.token}`, { method: 'DELETE' })).status,
        200,
        'DELETE /token answers 200 (wazo)',
      );
      assert.equal(await tokenStatus(on(), byToken.token), 404, `${purpose}: DELETE /token`);
      const sessionDelete = await request(on(), `/sessions/${bySession.session_uuid}`, {
        method: 'DELETE',
        token: admin,
      });
      assert.equal(sessionDelete.status, 204, sessionDelete.text);
      assert.equal(await tokenStatus(on(), bySession.token), 404, `${purpose}: DELETE /sessions`);
      assert.equal(await tokenStatus(on(), byUser.token), 204, `${purpose}: the third token is untouched`);
      const userDelete = await request(on(), `/users/${user.uuid}`, { method: 'DELETE', token: admin });
      assert.equal(userDelete.status, 204, userDelete.text);
      assert.equal(await tokenStatus(on(), byUser.token), 404, `${purpose}: DELETE /users`);
    }
  });

  test('S-REV-2 revocation criteria applied at once in random combinations: the most restrictive wins', async () => {
    const random = seededRandom('S-REV-2');
    const admin = await adminToken(cluster().first);
    for (let i = 0; i < ccIterations(4); i += 1) {
      const user = await newUser(cluster().first);
      const clientId = `srev2-${uniqueTag()}`;
      const plain = await login(cluster().first, user.username, user.password);
      const offline = await login(cluster().first, user.username, user.password, {
        access_type: 'offline',
        client_id: clientId,
      });
      const refresh = offline.refresh_token as string;
      const fromRefresh = (await postRefreshToken(cluster().first, refresh, clientId)).body as {
        data: { token: string; session_uuid: string };
      };
      const criteria = {
        tokenDelete: random.next() < 0.5,
        sessionDelete: random.next() < 0.5,
        refreshDelete: random.next() < 0.5,
        userDelete: random.next() < 0.3,
      };
      const as = (path: string) => request(cluster().pick(random), path, { method: 'DELETE', token: admin });
      const runs: Promise<{ status: number; text: string }>[] = [];
      if (criteria.tokenDelete)
        runs.push(request(cluster().pick(random), `/token/${plain.token}`, { method: 'DELETE' }));
      if (criteria.sessionDelete) runs.push(as(`/sessions/${fromRefresh.data.session_uuid}`));
      if (criteria.refreshDelete) runs.push(as(`/users/${user.uuid}/tokens/${clientId}`));
      if (criteria.userDelete) runs.push(as(`/users/${user.uuid}`));
      const answers = await Promise.all(runs);
      assert.deepEqual(
        answers.filter((a) => a.status >= 500).map((a) => a.text),
        [],
        'no 5xx',
      );

      const label = `iteration ${i} ${JSON.stringify(criteria)}`;
      const revokedAt = performance.now();
      const expect = async (token: string, revoked: boolean, what: string) => {
        for (const s of cluster().servers) {
          if (revoked) await assertRevokedWithin(s, token, revokedAt, staleOf(s));
          else assert.equal(await tokenStatus(s, token), 204, `${what}: ${label}`);
        }
      };
      await expect(plain.token, criteria.tokenDelete || criteria.userDelete, 'plain token');
      await expect(
        fromRefresh.data.token,
        criteria.sessionDelete || criteria.refreshDelete || criteria.userDelete,
        'token from the refresh token',
      );
      // The offline login's own token was made with the refresh token: it ends with it.
      await expect(offline.token, criteria.refreshDelete || criteria.userDelete, 'offline token');
      const again = await postRefreshToken(cluster().pick(random), refresh, clientId);
      assert.equal(
        again.status,
        criteria.refreshDelete || criteria.userDelete ? 401 : 200,
        `refresh: ${label}`,
      );
    }
  });

  test('S-CONF-1 a refresh token is not an access token (404), an access token not a refresh token (401)', async () => {
    const user = await newUser(cluster().first);
    const clientId = `sconf-${uniqueTag()}`;
    const offline = await login(cluster().first, user.username, user.password, {
      access_type: 'offline',
      client_id: clientId,
    });
    const refresh = offline.refresh_token as string;
    for (const server of cluster().servers) {
      assert.equal(await tokenStatus(server, refresh), 404);
      assert.equal((await request(server, `/token/${refresh}`)).status, 404);
      assert.equal((await request(server, `/users/${user.uuid}`, { token: refresh })).status, 401);
      const asRefresh = await postRefreshToken(server, offline.token, clientId);
      assert.equal(asRefresh.status, 401, asRefresh.text);
    }
  });
});

const staleOf = (server: TestServer) => server.container.config.token_cache.max_staleness_ms;
