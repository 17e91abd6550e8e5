import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { describeEachDialect } from '../testing/dialect-suite.ts';
import {
  adminRequest,
  base64,
  createUser,
  login,
  postRefreshToken,
  postToken,
  tokenStatus,
} from '../testing/http-client.ts';
import { createSubTenant, grantAcl, tokenOf } from '../testing/test-fixtures.ts';

/**
 * security.md §5.5 properties not owned by a feature suite: refresh-token misuse (S-RT), request
 * fields that could widen an ACL (S-ACL-4), expiration caps (S-EXP-1), re-created identities
 * (S-TEN-3), and, over everything this suite did, secrets absent from the logs (S-SEC-1).
 */
const MAX_LIFETIME = 7200;

await describeEachDialect(
  'security properties',
  { config: { max_token_lifetime_seconds: MAX_LIFETIME } },
  ({ server }) => {
    const secrets: string[] = [];
    const remember = (...values: (string | undefined)[]) => {
      for (const value of values) if (value) secrets.push(value);
    };

    async function offlineUser(clientId: string, acl: string[] = []) {
      const user = await createUser(server());
      remember(user.password, base64(`${user.username}:${user.password}`));
      const policyUuid = acl.length > 0 ? await grantAcl(server(), user, acl) : null;
      const issued = await login(server(), user.username, user.password, {
        access_type: 'offline',
        client_id: clientId,
      });
      remember(issued.token, issued.refresh_token);
      return { user, policyUuid, issued, refreshToken: issued.refresh_token as string };
    }

    async function refresh(refreshToken: string, clientId: string, body: Record<string, unknown> = {}) {
      const result = await postRefreshToken(server(), refreshToken, clientId, body);
      if (result.status === 200) remember(tokenOf(result).token);
      return result;
    }

    test('S-RT-1 a wrong client_id gives 401 and does not burn the refresh token', async () => {
      const { refreshToken } = await offlineUser('app-rt1');
      assert.equal((await refresh(refreshToken, 'another-app')).status, 401);
      assert.equal((await refresh(refreshToken, 'app-rt1')).status, 200);
    });

    test('S-RT-2 a deleted refresh token gives 401 and its access tokens end', async () => {
      const { user, refreshToken } = await offlineUser('app-rt2');
      const minted = tokenOf(await refresh(refreshToken, 'app-rt2')).token;
      assert.equal(await tokenStatus(server(), minted), 204);
      const deleted = await adminRequest(server(), `/users/${user.uuid}/tokens/app-rt2`, {
        method: 'DELETE',
      });
      assert.equal(deleted.status, 204);
      assert.equal((await refresh(refreshToken, 'app-rt2')).status, 401);
      assert.equal(await tokenStatus(server(), minted), 404);
    });

    test('S-RT-4 a removed policy is gone at the next refresh; a disabled user cannot refresh', async () => {
      const { user, policyUuid, refreshToken } = await offlineUser('app-rt4', ['calld.rt4.#']);
      assert.ok(tokenOf(await refresh(refreshToken, 'app-rt4')).acl.includes('calld.rt4.#'));
      const detached = await adminRequest(server(), `/users/${user.uuid}/policies/${policyUuid}`, {
        method: 'DELETE',
      });
      assert.equal(detached.status, 204);
      assert.ok(!tokenOf(await refresh(refreshToken, 'app-rt4')).acl.includes('calld.rt4.#'));
      const disabled = await adminRequest(server(), `/users/${user.uuid}`, {
        method: 'PUT',
        body: { username: user.username, enabled: false },
      });
      assert.equal(disabled.status, 200, disabled.text);
      assert.equal((await refresh(refreshToken, 'app-rt4')).status, 401);
    });

    test("S-RT-6 after A logs out, B's login with the same client_id never answers A's token", async () => {
      const alice = await offlineUser('shared-app', ['auth.users.me.tokens.#']);
      const removed = await request(alice.issued.token, `/users/me/tokens/shared-app`, 'DELETE');
      assert.equal(removed, 204);
      const bob = await offlineUser('shared-app');
      assert.notEqual(bob.refreshToken, alice.refreshToken);
      assert.equal((await refresh(alice.refreshToken, 'shared-app')).status, 401);
      assert.equal(tokenOf(await refresh(bob.refreshToken, 'shared-app')).auth_id, bob.user.uuid);
    });

    test('S-ACL-4 no field of the login request widens the ACL the token receives', async () => {
      const user = await createUser(server());
      remember(user.password);
      await grantAcl(server(), user, ['confd.users.me.read']);
      const others = { scopes: ['#'], metadata: { acl: ['#'] }, purpose: 'internal' };
      // `acl` and its alias `scope` narrow a token (issue #6); sent together they are a 400.
      for (const narrowing of [{ acl: ['#'] }, { scope: ['#'] }]) {
        const result = await postToken(server(), user.username, user.password, { ...narrowing, ...others });
        const token = tokenOf(result);
        remember(token.token);
        assert.ok(!token.acl.includes('#'), JSON.stringify(token.acl));
        const check = await adminRequest(server(), `/token/${token.token}?scope=auth.users.create`, {
          method: 'HEAD',
        });
        assert.equal(check.status, 403);
      }
    });

    test('S-EXP-1 expiration above the cap is 400, at the cap 200, zero or below 400', async () => {
      const user = await createUser(server());
      remember(user.password);
      const status = async (expiration: number) => {
        const result = await postToken(server(), user.username, user.password, { expiration });
        if (result.status === 200) remember(tokenOf(result).token);
        return result.status;
      };
      assert.equal(await status(MAX_LIFETIME + 1), 400);
      assert.equal(await status(MAX_LIFETIME), 200);
      assert.equal(await status(0), 400);
      assert.equal(await status(-1), 400);
    });

    test('S-TEN-3 a user re-created with its old uuid in another tenant is a new identity there', async () => {
      const first = await createSubTenant(server());
      const second = await createSubTenant(server());
      const uuid = randomUUID();
      const user = await createUser(server(), { uuid }, { tenant: first });
      remember(user.password);
      const oldToken = (await login(server(), user.username, user.password)).token;
      remember(oldToken);
      assert.equal((await adminRequest(server(), `/users/${uuid}`, { method: 'DELETE' })).status, 204);
      const again = await createUser(server(), { uuid }, { tenant: second });
      remember(again.password);
      assert.equal(await tokenStatus(server(), oldToken), 404, 'the old identity stays ended');
      assert.equal((await adminRequest(server(), `/users/${uuid}`, { tenant: first })).status, 404);
      const seen = await adminRequest(server(), `/users/${uuid}`, { tenant: second });
      assert.equal(seen.status, 200);
      assert.equal((seen.body as { tenant_uuid: string }).tenant_uuid, second);
    });

    test('S-SEC-1 nothing this suite sent or received as a secret appears in the logs', () => {
      assert.ok(secrets.length > 20, `collected ${secrets.length} secrets`);
      const logs = server().logs.join('\n');
      const leaked = secrets.filter((secret) => logs.includes(secret));
      assert.deepEqual(leaked.map(redacted), []);
    });

    async function request(token: string, path: string, method: string): Promise<number> {
      return (await adminRequest(server(), path, { method, token })).status;
    }
  },
);

function redacted(secret: string): string {
  return `${secret.slice(0, 2)}…(${secret.length} chars)`;
}
