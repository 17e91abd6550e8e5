import assert from 'node:assert/strict';
import { test } from 'node:test';
import { COUNTER_STATEMENTS } from '../brute-force/login-failure-repository.ts';
import { digestToken } from '../crypto/token-values.ts';
import { ACL_STATEMENTS } from '../policies/policy-repository.ts';
import { describeEachDialect } from '../testing/dialect-suite.ts';
import { createUser, login } from '../testing/http-client.ts';
import { addUserToGroup, createGroup, grantAcl } from '../testing/test-fixtures.ts';
import type { TestServer } from '../testing/test-server.ts';
import { REFRESH_LOGIN_STATEMENTS } from '../tokens/refresh-token-repository.ts';
import { LOGIN_STATEMENTS } from '../tokens/token-repository.ts';
import { USER_STATEMENTS } from '../users/user-repository.ts';
import type { Db } from './database.ts';
import { type ParamOf, PrecompiledQuery } from './precompiled-query.ts';

/**
 * Issue #4: the hot login statements are compiled once and run with new values. Each must send
 * exactly the SQL and parameters of its builder version, and so return the same rows, on both
 * engines. Writes run in a transaction that is rolled back, so both versions see the same data.
 */
interface Case {
  // biome-ignore lint/suspicious/noExplicitAny: each case has its own parameter and row types.
  query: PrecompiledQuery<any, unknown>;
  params: Record<string, unknown>;
}

class Rollback extends Error {}

async function inRolledBackTransaction<T>(db: Db, work: (tx: Db) => Promise<T>): Promise<T> {
  let result: T | undefined;
  await db
    .transaction()
    .execute(async (tx) => {
      result = await work(tx);
      throw new Rollback();
    })
    .catch((error: unknown) => {
      if (!(error instanceof Rollback)) throw error;
    });
  return result as T;
}

async function assertSameAsBuilder(db: Db, name: string, { query, params }: Case): Promise<void> {
  const precompiled = query.compile(db, params);
  const built = query.compileBuilt(db, params);
  assert.equal(precompiled.sql, built.sql, `${name}: SQL`);
  assert.deepEqual(precompiled.parameters, built.parameters, `${name}: parameters`);
  const viaPlan = await inRolledBackTransaction(db, (tx) => query.execute(tx, params));
  const viaBuilder = await inRolledBackTransaction(db, async (tx) => (await tx.executeQuery(built)).rows);
  assert.deepEqual(viaPlan, viaBuilder, `${name}: rows`);
}

async function loginData(server: TestServer) {
  const user = await createUser(server);
  await grantAcl(server, user, ['confd.users.me.read', 'calld.#']);
  const group = await createGroup(server, user.tenant_uuid);
  await addUserToGroup(server, group, user.uuid);
  const offline = await login(server, user.username, user.password, {
    access_type: 'offline',
    client_id: 'precompiled',
  });
  const refresh = await server.container.repositories.refreshTokens.findForLogin(
    digestToken(offline.refresh_token as string),
    'precompiled',
  );
  assert.ok(refresh);
  return { user, refreshUuid: refresh.token.uuid, refreshToken: offline.refresh_token as string };
}

await describeEachDialect('precompiled login statements', {}, ({ server }) => {
  test('§issue-4 every hot login statement sends the SQL, parameters and rows of its builder version', async () => {
    const srv = server();
    const db = srv.container.storage.db;
    const { user, refreshUuid, refreshToken } = await loginData(srv);
    await srv.container.loginGate.recordAddressFailure('192.0.2.7');
    const sessionUuid = crypto.randomUUID();
    const now = Date.now();
    const cases: Record<string, Case> = {
      findForLogin: {
        query: REFRESH_LOGIN_STATEMENTS.FIND_FOR_LOGIN,
        params: { digest: digestToken(refreshToken), clientId: 'precompiled' },
      },
      findForLoginOtherClient: {
        query: REFRESH_LOGIN_STATEMENTS.FIND_FOR_LOGIN,
        params: { digest: digestToken(refreshToken), clientId: 'other' },
      },
      aclWithDefault: {
        query: ACL_STATEMENTS.ACL_WITH_DEFAULT,
        params: { userUuid: user.uuid, defaultPolicySlug: 'none-such' },
      },
      aclWithoutDefault: {
        query: ACL_STATEMENTS.ACL_WITHOUT_DEFAULT,
        params: { userUuid: user.uuid, defaultPolicySlug: '' },
      },
      loginCandidate: { query: USER_STATEMENTS.LOGIN_CANDIDATE, params: { login: user.username } },
      loginCandidateUnknown: { query: USER_STATEMENTS.LOGIN_CANDIDATE, params: { login: 'nobody' } },
      counter: { query: COUNTER_STATEMENTS.GET_COUNTER, params: { key: 'ip:192.0.2.7' } },
      counterPair: {
        query: COUNTER_STATEMENTS.GET_COUNTER_PAIR,
        params: { first: 'ip:192.0.2.7', second: `a:u:${user.uuid}@192.0.2.7` },
      },
      incrementNew: {
        query: COUNTER_STATEMENTS.INCREMENT,
        params: { key: 'ip:192.0.2.8', now, windowMs: 900_000, expiresAtMs: now + 86_400_000 },
      },
      incrementExisting: {
        query: COUNTER_STATEMENTS.INCREMENT,
        params: { key: 'ip:192.0.2.7', now, windowMs: 900_000, expiresAtMs: now + 86_400_000 },
      },
      incrementAfterWindow: {
        query: COUNTER_STATEMENTS.INCREMENT,
        params: { key: 'ip:192.0.2.7', now: now + 900_001, windowMs: 900_000, expiresAtMs: now },
      },
      deleteCounter: { query: COUNTER_STATEMENTS.DELETE_COUNTER, params: { key: 'ip:192.0.2.7' } },
      lockUser: { query: LOGIN_STATEMENTS.LOCK_USER, params: { userUuid: user.uuid } },
      lockGrant: { query: LOGIN_STATEMENTS.LOCK_GRANT, params: { grantUuid: crypto.randomUUID() } },
    };
    const noGuard: Record<string, string | number | null> = {
      guardUserUuid: null,
      guardPasswordHash: null,
      guardRefreshTokenUuid: null,
      guardGrantUuid: null,
      cap: null,
    };
    const session = {
      uuid: sessionUuid,
      tenantUuid: user.tenant_uuid,
      userUuid: user.uuid,
      mobile: true,
      createdAt: now,
      grantUuid: null,
    };
    // Each guard alone, held and failed, so the rows differ between cases.
    const guards: Record<string, Partial<typeof noGuard>> = {
      none: {},
      user: { guardUserUuid: user.uuid },
      'user gone': { guardUserUuid: crypto.randomUUID() },
      'password kept': { guardUserUuid: user.uuid, guardPasswordHash: 'not-the-hash' },
      'refresh token': { guardRefreshTokenUuid: refreshUuid },
      'refresh token gone': { guardRefreshTokenUuid: crypto.randomUUID() },
      'grant gone': { guardGrantUuid: crypto.randomUUID() },
      'cap 0': { cap: 0 },
      'cap 1': { cap: 1 },
      'cap 1000': { cap: 1000 },
    };
    for (const [name, guard] of Object.entries(guards)) {
      cases[`insertSession ${name}`] = {
        query: LOGIN_STATEMENTS.INSERT_SESSION,
        params: { ...session, ...noGuard, ...guard },
      };
      cases[`touch ${name}`] = {
        query: LOGIN_STATEMENTS.TOUCH_REFRESH_TOKEN,
        params: { uuid: refreshUuid, atMs: now, ...noGuard, ...guard },
      };
    }
    for (const [name, testCase] of Object.entries(cases)) await assertSameAsBuilder(db, name, testCase);
    const token = {
      digest: digestToken(crypto.randomUUID()),
      sessionUuid,
      authId: user.uuid,
      pbxUserUuid: user.uuid,
      xivoUuid: null,
      issuedAtMs: now,
      expiresAtMs: now + 60_000,
      metadata: '{}',
      userAgent: 'test',
      remoteAddr: '192.0.2.7',
      acl: '[]',
      refreshTokenUuid: refreshUuid,
      dpopJkt: null,
    };
    // The token row needs its session: compared once without it (no row), then with it.
    await assertSameAsBuilder(db, 'insertToken without session', {
      query: LOGIN_STATEMENTS.INSERT_TOKEN,
      params: token,
    });
    await LOGIN_STATEMENTS.INSERT_SESSION.execute(db, { ...session, ...noGuard } as never);
    await assertSameAsBuilder(db, 'insertToken', { query: LOGIN_STATEMENTS.INSERT_TOKEN, params: token });
  });

  test('§issue-4 a precompiled query binds booleans as the engine wants and refuses a missing value', async () => {
    const db = server().container.storage.db;
    const query = new PrecompiledQuery((d, p: ParamOf<{ flag: boolean; name: string }>) =>
      d
        .selectFrom('auth_user')
        .select('uuid')
        .where('enabled', '=', p('flag'))
        .where('username', '=', p('name')),
    );
    const sqlite = server().dialect === 'sqlite';
    assert.deepEqual(query.compile(db, { flag: true, name: 'x' }).parameters, [sqlite ? 1 : true, 'x']);
    assert.deepEqual(query.compile(db, { flag: false, name: 'y' }).parameters, [sqlite ? 0 : false, 'y']);
    assert.deepEqual(await query.execute(db, { flag: true, name: 'admin' }), [{ uuid: server().adminUuid }]);
    assert.throws(() => query.compile(db, { flag: true } as never), /no value for name/);
  });
});
