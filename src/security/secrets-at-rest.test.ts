import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { before, test } from 'node:test';
import { sql } from 'kysely';
import { describeEachDialect } from '../testing/dialect-suite.ts';
import {
  adminToken,
  base64,
  basic,
  createUser,
  login,
  MOBILE_SESSION,
  postRefreshToken,
  postToken,
  request,
  tokenStatus,
} from '../testing/http-client.ts';
import { ADMIN_PASSWORD, ADMIN_USERNAME, type TestServer } from '../testing/test-server.ts';

/**
 * Acceptance of "a database dump after the suite holds no token, refresh token or password in clear,
 * and neither does any captured log line" (architecture §1 "Tokens and secrets at rest", security.md
 * S-SEC-1 and S-SEC-2). A representative flow runs first and records every secret it sent or got.
 */

interface Flow {
  /** Passwords, access tokens and refresh tokens (matched case-insensitively). */
  secrets: string[];
  /** Base64 of every Basic header sent (matched exactly, base64 is case-sensitive). */
  basics: string[];
  /** Access tokens that must still be stored (their sessions were not revoked). */
  liveTokens: string[];
  /** Every refresh token issued, and those still valid at the end of the flow. */
  refreshTokens: string[];
  liveRefreshTokens: string[];
  /** A token looked up through GET /token/{t}, whose redacted form must be in the request log. */
  checkedToken: string;
}

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

async function runFlow(s: TestServer): Promise<Flow> {
  const flow: Flow = {
    secrets: [ADMIN_PASSWORD],
    basics: [],
    liveTokens: [],
    refreshTokens: [],
    liveRefreshTokens: [],
    checkedToken: '',
  };
  const remember = (loginName: string, password: string) => {
    flow.secrets.push(password);
    flow.basics.push(base64(`${loginName}:${password}`));
  };
  const token = async (
    loginName: string,
    password: string,
    body: Record<string, unknown> = {},
    headers = {},
  ) => {
    remember(loginName, password);
    const data = await login(s, loginName, password, body, headers);
    flow.secrets.push(data.token);
    if (data.refresh_token) {
      flow.secrets.push(data.refresh_token);
      flow.refreshTokens.push(data.refresh_token);
    }
    return data;
  };
  remember(ADMIN_USERNAME, ADMIN_PASSWORD);
  const admin = await adminToken(s);
  flow.secrets.push(admin);

  const alice = await createUser(s, { password: `alice-pw-${randomUUID()}` }, { token: admin });
  const bob = await createUser(s, { password: `bob-pw-${randomUUID()}` }, { token: admin });
  flow.secrets.push(alice.password, bob.password);

  const online = await token(alice.username, alice.password, { expiration: 600 });
  const offline = await token(alice.username, alice.password, { access_type: 'offline', client_id: 'desk' });
  const again = await token(alice.username, alice.password, { access_type: 'offline', client_id: 'desk' });
  assert.equal(
    again.refresh_token,
    offline.refresh_token,
    'B23 the non-mobile re-login returns the same value',
  );
  await token(bob.username, bob.password, { access_type: 'offline', client_id: 'phone' }, MOBILE_SESSION);
  const bobMobile = await token(
    bob.username,
    bob.password,
    { access_type: 'offline', client_id: 'phone' },
    MOBILE_SESSION,
  );
  const refreshed = await tokenFromRefresh(s, flow, offline.refresh_token ?? '', 'desk');
  const bobRefreshed = await tokenFromRefresh(s, flow, bobMobile.refresh_token ?? '', 'phone');

  for (const t of [online.token, refreshed, online.token.toUpperCase()]) {
    assert.equal((await request(s, `/token/${t}?scope=auth.users.me.read`)).status, 403);
    assert.equal(await tokenStatus(s, t), 204);
    assert.equal((await request(s, `/token/${t}?token=${t}`)).status, 200);
    const scopes = await request(s, `/token/${t}/scopes/check`, {
      method: 'POST',
      body: { scopes: ['a.b'] },
    });
    assert.equal(scopes.status, 200);
  }
  flow.checkedToken = online.token;
  assert.equal((await request(s, `/users/${bob.uuid}/tokens`, { token: admin })).status, 200);

  const wrong = `wrong-pw-${randomUUID()}`;
  remember(alice.username, wrong);
  assert.equal((await postToken(s, alice.username, wrong)).status, 401);
  const unknownRefresh = randomUUID();
  flow.secrets.push(unknownRefresh);
  const refused = await postRefreshToken(s, unknownRefresh, 'desk');
  assert.equal(refused.status, 401);
  const revoked = await token(bob.username, bob.password);
  assert.equal((await request(s, `/token/${revoked.token}`, { method: 'DELETE' })).status, 200);

  const newPassword = `alice-new-pw-${randomUUID()}`;
  flow.secrets.push(newPassword);
  const change = await request(s, `/users/${alice.uuid}/password`, {
    method: 'PUT',
    token: admin,
    body: { old_password: alice.password, new_password: newPassword },
  });
  assert.equal(change.status, 204);
  const afterChange = await token(alice.username, newPassword, {
    access_type: 'offline',
    client_id: 'laptop',
  });
  flow.liveTokens.push(admin, afterChange.token, bobRefreshed);
  // Refresh tokens survive a password change (§3.4.5); the first mobile one was replaced (§3.4.3).
  flow.liveRefreshTokens.push(
    offline.refresh_token ?? '',
    bobMobile.refresh_token ?? '',
    afterChange.refresh_token ?? '',
  );
  return flow;
}

async function tokenFromRefresh(
  s: TestServer,
  flow: Flow,
  refreshToken: string,
  clientId: string,
): Promise<string> {
  const result = await postRefreshToken(s, refreshToken, clientId, { expiration: 600 });
  assert.equal(result.status, 200, result.text);
  const value = (result.body as { data: { token: string } }).data.token;
  flow.secrets.push(value);
  return value;
}

/** Every row of every table of the test database, as JSON text. */
async function dumpDatabase(s: TestServer): Promise<Map<string, string>> {
  const { db, dialect } = s.container.storage;
  const tables =
    dialect === 'sqlite'
      ? await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(db)
      : await sql<{ name: string }>`select table_name as name from information_schema.tables
          where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(db);
  const dump = new Map<string, string>();
  for (const { name } of tables.rows) {
    const rows = await sql<Record<string, unknown>>`select * from ${sql.table(name)}`.execute(db);
    dump.set(
      name,
      JSON.stringify(rows.rows, (_key, value) => (typeof value === 'bigint' ? String(value) : value)),
    );
  }
  return dump;
}

/** The secrets of the flow found in `text`, in any letter case; base64 Basic values exactly. */
function leaks(text: string, flow: Flow): string[] {
  const lower = text.toLowerCase();
  const found = flow.secrets.filter((secret) => lower.includes(secret.toLowerCase()));
  const hexForms = flow.secrets.filter((s) => /^[0-9a-f-]{36}$/i.test(s)).map((s) => s.replaceAll('-', ''));
  found.push(...hexForms.filter((hex) => lower.includes(hex.toLowerCase())));
  found.push(...flow.basics.filter((basicValue) => text.includes(basicValue)));
  return found;
}

await describeEachDialect('secrets at rest and in logs', {}, ({ server }) => {
  let flow: Flow;

  before(async () => {
    flow = await runFlow(server());
  });

  test('S-SEC-2 a dump of every table holds no password, access token or refresh token in clear', async () => {
    const dump = await dumpDatabase(server());
    for (const table of ['auth_user', 'auth_token', 'auth_refresh_token', 'auth_session']) {
      assert.ok(
        dump.has(table),
        `table ${table} missing from the dump (tables: ${[...dump.keys()].join(', ')})`,
      );
    }
    assert.match(dump.get('auth_user') ?? '', /password_hash/, 'the dump does not show the password column');
    for (const [table, text] of dump) {
      assert.deepEqual(leaks(text, flow), [], `table ${table} holds secrets in clear`);
    }
  });

  test('S-SEC-2 access tokens are stored as the SHA-256 digest of the value, nothing else', async () => {
    const { db } = server().container.storage;
    const rows = await db.selectFrom('auth_token').select('token_hash').execute();
    for (const { token_hash } of rows) assert.match(token_hash, /^[0-9a-f]{64}$/);
    const stored = new Set(rows.map((r) => r.token_hash));
    for (const token of flow.liveTokens)
      assert.ok(stored.has(sha256(token)), `no digest row for a live token`);
  });

  test('S-SEC-2 refresh tokens are stored as the SHA-256 digest and a ciphertext that does not contain them', async () => {
    const { db } = server().container.storage;
    const rows = await db
      .selectFrom('auth_refresh_token')
      .select(['token_hash', 'token_ciphertext'])
      .execute();
    assert.ok(rows.length >= 3, `expected the flow's refresh tokens, found ${rows.length}`);
    for (const { token_hash } of rows) assert.match(token_hash, /^[0-9a-f]{64}$/);
    const stored = new Set(rows.map((r) => r.token_hash));
    for (const value of flow.liveRefreshTokens) {
      assert.ok(value && stored.has(sha256(value)), 'no digest row for a live refresh token');
    }
    for (const { token_ciphertext } of rows) {
      if (token_ciphertext === null) continue;
      for (const value of flow.refreshTokens) {
        for (const form of [
          value,
          value.replaceAll('-', ''),
          base64(value),
          Buffer.from(value).toString('hex'),
        ]) {
          assert.ok(
            !token_ciphertext.toLowerCase().includes(form.toLowerCase()),
            'ciphertext holds the token',
          );
        }
      }
    }
  });

  test('A10 S-SEC-1 captured logs hold no password, token, refresh token or Basic header', () => {
    const logs = server().logs.join('\n');
    assert.ok(server().logs.length > 20, 'no log lines were captured');
    assert.deepEqual(leaks(logs, flow), []);
  });

  test('A10 tokens appear in the logs only redacted to their last 8 characters', () => {
    const logs = server().logs.join('\n');
    const redacted = `XXXXXXXX-XXXX-XXXX-XXXX-XXXX${flow.checkedToken.slice(-8)}`;
    assert.ok(logs.includes(redacted), `redacted token ${redacted} not found in the logs`);
    const urls = server().logs.filter((line) => line.includes(`/token/${redacted}`));
    assert.ok(urls.length > 0, 'the request log does not show /token/{token} with the token redacted');
    assert.ok(logs.includes(`?token=${redacted}`), 'the ?token= query is not shown redacted');
  });

  test('S-SEC-1 published events carry no secret', () => {
    assert.ok(server().events.events.length > 0);
    assert.deepEqual(leaks(JSON.stringify(server().events.events), flow), []);
  });

  test('S-SEC-1 a refused login with a password in the body still logs nothing secret', async () => {
    const secret = `body-pw-${randomUUID()}`;
    const result = await request(server(), '/token', {
      method: 'POST',
      body: { password: secret, refresh_token: secret, client_id: 'c' },
      headers: { Authorization: basic(ADMIN_USERNAME, secret) },
    });
    assert.equal(result.status, 401);
    const logs = server().logs.join('\n');
    assert.ok(!logs.includes(secret), 'a secret sent in the body or the Basic header reached the logs');
    assert.ok(!logs.includes(base64(`${ADMIN_USERNAME}:${secret}`)), 'the Basic header reached the logs');
  });
});
