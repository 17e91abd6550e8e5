import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { describeEachDialect } from '../testing/dialect-suite.ts';
import {
  adminToken,
  login,
  MOBILE_SESSION,
  postToken,
  request,
  tokenStatus,
} from '../testing/http-client.ts';
import {
  assertInvalidListParam,
  assertSessionDeleted,
  createSubTenant,
  listOf,
  newUser,
  type SessionItem,
  sessionEvents,
  userWithAcl,
  uuidsOf,
} from '../testing/test-fixtures.ts';
import type { TestServer } from '../testing/test-server.ts';

const sessionsOf = (server: TestServer, path: string, tenant?: string) =>
  listOf<SessionItem>(server, path, { tenant });

await describeEachDialect('sessions', {}, ({ server }) => {
  test('D55 revoking a token removes its session from /users/{uuid}/sessions', async () => {
    const user = await newUser(server());
    const kept = await login(server(), user.username, user.password);
    const revoked = await login(server(), user.username, user.password);
    const before = await sessionsOf(server(), `/users/${user.uuid}/sessions`);
    assert.deepEqual(uuidsOf(before).sort(), [kept.session_uuid, revoked.session_uuid].sort());

    const deletion = await request(server(), `/token/${revoked.token}`, { method: 'DELETE' });
    assert.equal(deletion.status, 200);
    const after = await sessionsOf(server(), `/users/${user.uuid}/sessions`);
    assert.deepEqual(uuidsOf(after), [kept.session_uuid]);
    assert.equal(after.total, 1);
  });

  test('§issue-4 session uuids are UUIDv7s (RFC 9562), in the order the sessions were created', async () => {
    const user = await newUser(server());
    const sessions: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      sessions.push((await login(server(), user.username, user.password)).session_uuid);
    }
    for (const uuid of sessions) {
      assert.match(uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
    assert.deepEqual([...sessions].sort(), sessions, 'later sessions sort after earlier ones');
  });

  test('D56 GET /sessions items carry exactly uuid, mobile, tenant_uuid and user_uuid', async () => {
    const tenant = await createSubTenant(server());
    const user = await newUser(server(), {}, tenant);
    const desktop = await login(server(), user.username, user.password);
    const mobile = await login(server(), user.username, user.password, {}, MOBILE_SESSION);
    const list = await sessionsOf(server(), '/sessions', tenant);
    assert.equal(list.total, 2);
    assert.equal(list.filtered, 2);
    const byUuid = new Map(list.items.map((s) => [s.uuid, s]));
    assert.deepEqual(byUuid.get(desktop.session_uuid), {
      uuid: desktop.session_uuid,
      mobile: false,
      tenant_uuid: tenant,
      user_uuid: user.uuid,
    });
    assert.deepEqual(byUuid.get(mobile.session_uuid), {
      uuid: mobile.session_uuid,
      mobile: true,
      tenant_uuid: tenant,
      user_uuid: user.uuid,
    });
  });

  test('D56 GET /sessions filters by Wazo-Tenant, recurse=true includes sub-tenants', async () => {
    const parent = await createSubTenant(server());
    const first = await createSubTenant(server(), parent);
    const second = await createSubTenant(server(), parent);
    const user1 = await newUser(server(), {}, first);
    const user2 = await newUser(server(), {}, second);
    const session1 = (await login(server(), user1.username, user1.password)).session_uuid;
    const session2 = (await login(server(), user2.username, user2.password)).session_uuid;

    const top = await sessionsOf(server(), '/sessions', server().topTenantUuid);
    assert.ok(!uuidsOf(top).includes(session1));
    assert.ok(!uuidsOf(top).includes(session2));
    const parentOnly = await sessionsOf(server(), '/sessions', parent);
    assert.deepEqual(parentOnly, { total: 0, filtered: 0, items: [] });

    const recursive = await sessionsOf(server(), '/sessions?recurse=true', server().topTenantUuid);
    assert.ok(uuidsOf(recursive).includes(session1));
    assert.ok(uuidsOf(recursive).includes(session2));
    const parentRecursive = await sessionsOf(server(), '/sessions?recurse=true', parent);
    assert.equal(parentRecursive.total, 2);
    assert.equal(parentRecursive.filtered, 2);
    assert.deepEqual(uuidsOf(parentRecursive).sort(), [session1, session2].sort());

    const inFirst = await sessionsOf(server(), '/sessions', first);
    assert.equal(inFirst.total, 1);
    assert.equal(inFirst.filtered, 1);
    assert.deepEqual(uuidsOf(inFirst), [session1]);
    const inSecond = await sessionsOf(server(), '/sessions', second);
    assert.equal(inSecond.total, 1);
    assert.equal(inSecond.filtered, 1);
    assert.deepEqual(uuidsOf(inSecond), [session2]);
  });

  test('D56 GET /sessions paginates with limit and offset and sorts by mobile', async () => {
    const tenant = await createSubTenant(server());
    const user = await newUser(server(), {}, tenant);
    for (let i = 0; i < 2; i += 1) await login(server(), user.username, user.password);
    const mobile = await login(server(), user.username, user.password, {}, { 'Wazo-Session-Type': 'MOBILE' });

    const all = await sessionsOf(server(), '/sessions', tenant);
    assert.equal(all.items.length, 3);
    const limited = await sessionsOf(server(), '/sessions?limit=1', tenant);
    assert.equal(limited.total, 3);
    assert.equal(limited.filtered, 3);
    assert.equal(limited.items.length, 1);
    const offset = await sessionsOf(server(), '/sessions?offset=1', tenant);
    assert.equal(offset.total, 3);
    assert.equal(offset.items.length, 2);
    const page = await sessionsOf(server(), '/sessions?limit=1&offset=2', tenant);
    assert.equal(page.items.length, 1);
    const pages = [
      ...(await sessionsOf(server(), '/sessions?limit=1&offset=0', tenant)).items,
      ...(await sessionsOf(server(), '/sessions?limit=1&offset=1', tenant)).items,
      ...page.items,
    ];
    assert.deepEqual(pages.map((s) => s.uuid).sort(), uuidsOf(all).sort());

    const mobileFirst = await sessionsOf(server(), '/sessions?order=mobile&direction=desc', tenant);
    assert.equal(mobileFirst.items[0]?.uuid, mobile.session_uuid);
    const mobileLast = await sessionsOf(server(), '/sessions?order=mobile&direction=asc', tenant);
    assert.equal(mobileLast.items[2]?.uuid, mobile.session_uuid);
  });

  test('D56 bad list parameters on /sessions and /users/{uuid}/sessions give 400 invalid-list-param', async () => {
    const token = await adminToken(server());
    const user = await newUser(server());
    const bad = [
      'limit=-1',
      'limit=abc',
      'offset=-1',
      'offset=x',
      'direction=up',
      'order=uuid',
      'recurse=maybe',
    ];
    for (const path of ['/sessions', `/users/${user.uuid}/sessions`]) {
      for (const query of bad) {
        const result = await request(server(), `${path}?${query}`, { token });
        assertInvalidListParam(result, `${path}?${query}`, 'users');
      }
    }
  });

  test('D57 DELETE /sessions/{uuid} from a sub-tenant admin leaves a top-tenant session alone', async () => {
    const sub = await createSubTenant(server());
    const subToken = (await userWithAcl(server(), ['auth.sessions.#'], { tenant: sub })).token.token;
    const victim = await newUser(server());
    const session = await login(server(), victim.username, victim.password);

    const outOfScope = await request(server(), `/sessions/${session.session_uuid}`, {
      method: 'DELETE',
      token: subToken,
    });
    assert.equal(outOfScope.status, 204);
    const escalation = await request(server(), `/sessions/${session.session_uuid}`, {
      method: 'DELETE',
      token: subToken,
      tenant: server().topTenantUuid,
    });
    assert.equal(escalation.status, 401);
    assert.equal((escalation.body as { error_id: string }).error_id, 'unauthorized-tenant');
    assert.ok(uuidsOf(await sessionsOf(server(), '/sessions')).includes(session.session_uuid));
    assert.equal(await tokenStatus(server(), session.token), 204);

    const token = await adminToken(server());
    const first = await request(server(), `/sessions/${session.session_uuid}`, { method: 'DELETE', token });
    assert.equal(first.status, 204);
    const again = await request(server(), `/sessions/${session.session_uuid}`, { method: 'DELETE', token });
    assert.equal(again.status, 204);
    assert.ok(!uuidsOf(await sessionsOf(server(), '/sessions')).includes(session.session_uuid));
    assert.equal(await tokenStatus(server(), session.token), 404);
  });

  test('D57 DELETE /sessions/{uuid} with an unknown or non-UUID session', async () => {
    const token = await adminToken(server());
    const unknown = await request(server(), `/sessions/${randomUUID()}`, { method: 'DELETE', token });
    assert.equal(unknown.status, 204);
    const malformed = await request(server(), '/sessions/not-a-uuid', { method: 'DELETE', token });
    assert.equal(malformed.status, 404);
    const anonymous = await request(server(), `/sessions/${randomUUID()}`, { method: 'DELETE' });
    assert.equal(anonymous.status, 401);
  });

  test('D58 deleting a session publishes auth_session_deleted', async () => {
    const user = await newUser(server());
    const session = await login(server(), user.username, user.password);
    const result = await request(server(), `/sessions/${session.session_uuid}`, {
      method: 'DELETE',
      token: await adminToken(server()),
    });
    assert.equal(result.status, 204);
    const events = sessionEvents(server(), 'auth_session_deleted', session.session_uuid);
    assert.equal(events.length, 1);
    const [event] = events;
    assert.deepEqual(event?.data, {
      uuid: session.session_uuid,
      user_uuid: user.uuid,
      tenant_uuid: user.tenant_uuid,
    });
    assert.equal(event?.routingKey, `auth.sessions.${session.session_uuid}.deleted`);
    assert.equal(event?.tenantUuid, user.tenant_uuid);
    assert.deepEqual(event?.userUuids, [user.uuid]);
  });

  test('D58 token creation publishes auth_session_created, mobile from Wazo-Session-Type (any case)', async () => {
    const user = await newUser(server());
    const cases: [Record<string, string>, boolean][] = [
      [{ 'Wazo-Session-Type': 'Mobile' }, true],
      [{ 'Wazo-Session-Type': 'MOBILE' }, true],
      [{ 'Wazo-Session-Type': 'mobile' }, true],
      [{ 'Wazo-Session-Type': 'desktop' }, false],
      [{}, false],
    ];
    for (const [headers, mobile] of cases) {
      const session = await login(server(), user.username, user.password, {}, headers);
      const events = sessionEvents(server(), 'auth_session_created', session.session_uuid);
      assert.equal(events.length, 1, JSON.stringify(headers));
      assert.deepEqual(events[0]?.data, {
        uuid: session.session_uuid,
        user_uuid: user.uuid,
        tenant_uuid: user.tenant_uuid,
        mobile,
      });
      assert.equal(events[0]?.routingKey, `auth.sessions.${session.session_uuid}.created`);
      assert.equal(events[0]?.tenantUuid, user.tenant_uuid);
    }
  });

  test('D61 /users/{uuid}/sessions lists only that user, with the mobile flag', async () => {
    const user = await newUser(server());
    const other = await newUser(server());
    await login(server(), other.username, other.password);
    const desktop = await login(server(), user.username, user.password);
    const mobile = await login(server(), user.username, user.password, {}, MOBILE_SESSION);
    const list = await sessionsOf(server(), `/users/${user.uuid}/sessions`);
    assert.equal(list.total, 2);
    assert.equal(list.filtered, 2);
    const expected = [
      { uuid: desktop.session_uuid, mobile: false, tenant_uuid: user.tenant_uuid, user_uuid: user.uuid },
      { uuid: mobile.session_uuid, mobile: true, tenant_uuid: user.tenant_uuid, user_uuid: user.uuid },
    ];
    const sorted = (items: SessionItem[]) => [...items].sort((a, b) => a.uuid.localeCompare(b.uuid));
    assert.deepEqual(sorted(list.items), sorted(expected));
  });

  test('D61 /users/{uuid}/sessions paginates', async () => {
    const user = await newUser(server());
    for (let i = 0; i < 3; i += 1) await login(server(), user.username, user.password);
    const limited = await sessionsOf(server(), `/users/${user.uuid}/sessions?limit=2`);
    assert.equal(limited.total, 3);
    assert.equal(limited.filtered, 3);
    assert.equal(limited.items.length, 2);
    const rest = await sessionsOf(server(), `/users/${user.uuid}/sessions?offset=2`);
    assert.equal(rest.items.length, 1);
    assert.ok(!uuidsOf(limited).includes(rest.items[0]?.uuid ?? ''));
  });

  test('D61 /users/{uuid}/sessions refuses other tenants and unknown users', async () => {
    const user = await newUser(server());
    await login(server(), user.username, user.password);
    const token = await adminToken(server());
    const sub = await createSubTenant(server());
    const fromSub = await request(server(), `/users/${user.uuid}/sessions`, { token, tenant: sub });
    assert.equal(fromSub.status, 404);
    assert.equal((fromSub.body as { error_id: string }).error_id, 'unknown-user');
    const foreign = await request(server(), `/users/${user.uuid}/sessions`, { token, tenant: randomUUID() });
    assert.equal(foreign.status, 401);
    assert.equal((foreign.body as { error_id: string }).error_id, 'unauthorized-tenant');
    const unknown = await request(server(), `/users/${randomUUID()}/sessions`, { token });
    assert.equal(unknown.status, 404);
    assert.equal((unknown.body as { error_id: string }).error_id, 'unknown-user');

    const subToken = (await userWithAcl(server(), ['auth.#'], { tenant: sub })).token.token;
    const up = await request(server(), `/users/${user.uuid}/sessions`, { token: subToken });
    assert.equal(up.status, 404);
    const escalation = await request(server(), `/users/${user.uuid}/sessions`, {
      token: subToken,
      tenant: server().topTenantUuid,
    });
    assert.equal(escalation.status, 401);
  });

  test('D61 DELETE /users/{uuid}/sessions/{session} is idempotent and publishes auth_session_deleted', async () => {
    const user = await newUser(server());
    const session = await login(server(), user.username, user.password);
    const token = await adminToken(server());
    const path = `/users/${user.uuid}/sessions/${session.session_uuid}`;
    assert.equal((await request(server(), path, { method: 'DELETE', token })).status, 204);
    assert.equal((await request(server(), path, { method: 'DELETE', token })).status, 204);
    assert.deepEqual(await sessionsOf(server(), `/users/${user.uuid}/sessions`), {
      total: 0,
      filtered: 0,
      items: [],
    });
    assert.equal(await tokenStatus(server(), session.token), 404);
    assertSessionDeleted(server(), user, session.session_uuid);

    const unknownUser = await request(server(), `/users/${randomUUID()}/sessions/${session.session_uuid}`, {
      method: 'DELETE',
      token,
    });
    assert.equal(unknownUser.status, 404);
  });

  test('Gatehouse: DELETE /users/{u}/sessions/{s} only ends sessions of u', async () => {
    const owner = await newUser(server());
    const other = await newUser(server());
    const session = await login(server(), owner.username, owner.password);
    server().events.clear();
    const result = await request(server(), `/users/${other.uuid}/sessions/${session.session_uuid}`, {
      method: 'DELETE',
      token: await adminToken(server()),
    });
    assert.equal(result.status, 204);
    assert.deepEqual(uuidsOf(await sessionsOf(server(), `/users/${owner.uuid}/sessions`)), [
      session.session_uuid,
    ]);
    assert.equal(await tokenStatus(server(), session.token), 204);
    assert.equal(sessionEvents(server(), 'auth_session_deleted', session.session_uuid).length, 0);
  });

  test('A18 sessions of a user count toward max_user_concurrent_sessions (10)', async () => {
    const user = await newUser(server());
    const sessions: string[] = [];
    for (let i = 0; i < 10; i += 1)
      sessions.push((await login(server(), user.username, user.password)).session_uuid);
    const refused = await postToken(server(), user.username, user.password);
    assert.equal(refused.status, 429);
    assert.deepEqual((refused.body as { reason: string[] }).reason, [
      `User ${user.uuid} has exceeded the maximum number of active sessions`,
    ]);
    assert.equal((await sessionsOf(server(), `/users/${user.uuid}/sessions`)).total, 10);

    const ended = await request(server(), `/users/${user.uuid}/sessions/${sessions[0]}`, {
      method: 'DELETE',
      token: await adminToken(server()),
    });
    assert.equal(ended.status, 204);
    assert.equal((await postToken(server(), user.username, user.password)).status, 200);
    assert.equal((await postToken(server(), user.username, user.password)).status, 429);
  });
});
