import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  assertSameRefusal,
  BRUTE_FORCE_TEST_CONFIG,
  failLogins,
  from,
  loginFrom,
  newAddress,
} from '../testing/brute-force-fixtures.ts';
import { describeEachDialect } from '../testing/dialect-suite.ts';
import {
  adminRequest,
  type CreatedUser,
  type HttpResult,
  postRefreshToken,
  postToken,
} from '../testing/http-client.ts';
import { newUser } from '../testing/test-fixtures.ts';
import type { TestServer } from '../testing/test-server.ts';

const CLIENT_ID = 'gate-client';

interface Subject {
  user: CreatedUser;
  refreshToken: string;
  ip: string;
}

/**
 * The states of security.md A2 a login must be refused in, whatever the pathway. A disabled tenant
 * is not among them: tenants have no enabled flag in wazo-auth's API nor here (nothing to disable).
 */
const STATES: Array<{ name: string; apply: (server: TestServer, subject: Subject) => Promise<void> }> = [
  {
    name: 'disabled user',
    apply: async (server, { user }) => {
      const put = await adminRequest(server, `/users/${user.uuid}`, {
        method: 'PUT',
        body: { username: user.username, enabled: false },
      });
      assert.equal(put.status, 200, put.text);
    },
  },
  {
    name: 'locked user',
    apply: (server, { user, ip }) => failLogins(server, ip, user.username, 11),
  },
  {
    name: 'authentication method not allowed (ldap)',
    apply: async (server, { user }) => {
      const put = await adminRequest(server, `/users/${user.uuid}`, {
        method: 'PUT',
        body: { username: user.username, authentication_method: 'ldap' },
      });
      assert.equal(put.status, 200, put.text);
    },
  },
];

const PATHWAYS: Array<{
  name: string;
  attempt: (server: TestServer, subject: Subject) => Promise<HttpResult>;
}> = [
  {
    name: 'Basic password',
    attempt: (server, { user, ip }) => loginFrom(server, ip, user.username, user.password),
  },
  {
    name: 'refresh_token',
    attempt: (server, { refreshToken, ip }) =>
      postRefreshToken(server, refreshToken, CLIENT_ID, {}, from(ip)),
  },
];

/** A fresh user with a refresh token obtained while it could still log in. */
async function subject(server: TestServer): Promise<Subject> {
  const user = await newUser(server);
  const ip = newAddress();
  const offline = await postToken(
    server,
    user.username,
    user.password,
    { access_type: 'offline', client_id: CLIENT_ID },
    from(ip),
  );
  assert.equal(offline.status, 200, offline.text);
  const refreshToken = (offline.body as { data: { refresh_token: string } }).data.refresh_token;
  return { user, refreshToken, ip };
}

await describeEachDialect(
  'one gate for every login pathway',
  { config: BRUTE_FORCE_TEST_CONFIG },
  ({ server }) => {
    for (const state of STATES) {
      test(`S-GATE-1 ${state.name}: Basic password and refresh_token both get the one 401`, async () => {
        const reference = await loginFrom(server(), newAddress(), 'nobody-at-all', 'guess');
        const prepared = await subject(server());
        // Both pathways work before the state changes, so the refusal below is the state's doing.
        for (const pathway of PATHWAYS) {
          const before = await pathway.attempt(server(), prepared);
          assert.equal(before.status, 200, `${pathway.name} before: ${before.text}`);
        }
        await state.apply(server(), prepared);
        for (const pathway of PATHWAYS) {
          const refused = await pathway.attempt(server(), prepared);
          assertSameRefusal(refused, reference, `${state.name} × ${pathway.name}`);
        }
      });
    }

    test('S-GATE-1 a lock is per address on the refresh_token pathway too', async () => {
      const prepared = await subject(server());
      await failLogins(server(), prepared.ip, prepared.user.username, 11);
      const elsewhere = await postRefreshToken(
        server(),
        prepared.refreshToken,
        CLIENT_ID,
        {},
        from(newAddress()),
      );
      assert.equal(elsewhere.status, 200, elsewhere.text);
    });
  },
);
