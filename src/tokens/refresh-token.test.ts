import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DomainEvent } from '../events/event-sink.ts';
import { describeEachDialect } from '../testing/dialect-suite.ts';
import {
  adminRequest,
  adminToken,
  type CreatedUser,
  createUser,
  login,
  MOBILE_SESSION,
  postRefreshToken,
  postToken,
  request,
  type TokenData,
  tokenStatus,
} from '../testing/http-client.ts';
import {
  assertAuthFailed,
  grantAcl,
  listOf,
  tokenOf,
  UUID_PATTERN,
  userEvents,
} from '../testing/test-fixtures.ts';
import type { TestServer } from '../testing/test-server.ts';

type Hdrs = Record<string, string>;
const offlineBody = (clientId: string) => ({ access_type: 'offline', client_id: clientId });

function offline(srv: TestServer, user: CreatedUser, clientId: string, headers: Hdrs = {}) {
  return login(srv, user.username, user.password, offlineBody(clientId), headers);
}

function refresh(srv: TestServer, rt: string, clientId: string, headers: Hdrs = {}) {
  return postRefreshToken(srv, rt, clientId, {}, headers);
}

const list = (srv: TestServer, path: string) => listOf<Record<string, unknown>>(srv, path);
const clientIdsOf = async (srv: TestServer, user: CreatedUser) =>
  (await list(srv, `/users/${user.uuid}/tokens`)).items.map((i) => i.client_id).sort();
const sessionsOf = async (srv: TestServer, user: CreatedUser) =>
  (await list(srv, `/users/${user.uuid}/sessions`)).items;

function rtEvent(suffix: 'created' | 'deleted', user: CreatedUser, clientId: string, mobile: boolean) {
  const escaped = clientId.replaceAll('.', '__DOT__');
  return {
    name: `auth_refresh_token_${suffix}`,
    routingKey: `auth.users.${user.uuid}.tokens.${escaped}.${suffix}`,
    data: { client_id: clientId, user_uuid: user.uuid, tenant_uuid: user.tenant_uuid, mobile },
    tenantUuid: user.tenant_uuid,
  };
}

function sessionEvent(user: CreatedUser, sessionUuid: string) {
  return {
    name: 'auth_session_deleted',
    routingKey: `auth.sessions.${sessionUuid}.deleted`,
    data: { uuid: sessionUuid, user_uuid: user.uuid, tenant_uuid: user.tenant_uuid },
    tenantUuid: user.tenant_uuid,
  };
}

const byDataUuid = (x: { data: Record<string, unknown> }, y: { data: Record<string, unknown> }) =>
  String(x.data.uuid).localeCompare(String(y.data.uuid));

function mobileOffline(srv: TestServer, user: CreatedUser, clientId: string) {
  return postToken(srv, user.username, user.password, offlineBody(clientId), MOBILE_SESSION);
}

function deleteAsAdmin(srv: TestServer, path: string) {
  return adminRequest(srv, path, { method: 'DELETE' });
}

const pick = ({ name, routingKey, data, tenantUuid }: DomainEvent) => ({
  name,
  routingKey,
  data,
  tenantUuid,
});

await describeEachDialect('refresh tokens', {}, ({ server }) => {
  test('B22 offline login returns a UUID-shaped refresh token; a refresh login has no refresh_token key', async () => {
    const user = await createUser(server());
    const first = await offline(server(), user, 'b22-app');
    assert.match(first.refresh_token ?? '', UUID_PATTERN);
    assert.notEqual(first.refresh_token, first.token);
    const online = await login(server(), user.username, user.password);
    assert.equal('refresh_token' in online, false);
    const renewed = tokenOf(await refresh(server(), first.refresh_token as string, 'b22-app'));
    assert.equal('refresh_token' in renewed, false);
    assert.equal(renewed.auth_id, user.uuid);
    assert.notEqual(renewed.token, first.token);
    assert.notEqual(renewed.session_uuid, first.session_uuid);
    assert.equal(await tokenStatus(server(), renewed.token), 204);
  });

  test('B23 non-mobile offline logins with the same client_id return the same refresh token', async () => {
    const user = await createUser(server());
    const a = await offline(server(), user, 'b23-app');
    const b = await offline(server(), user, 'b23-app');
    const other = await offline(server(), user, 'b23-other');
    assert.equal(a.refresh_token, b.refresh_token);
    assert.notEqual(other.refresh_token, a.refresh_token);
    assert.deepEqual(await clientIdsOf(server(), user), ['b23-app', 'b23-other']);
  });

  test('B23 10 concurrent offline logins share one refresh token and publish one created event', async () => {
    const user = await createUser(server());
    const body = { access_type: 'offline', client_id: 'b23-race' };
    const results = await Promise.all(
      Array.from({ length: 10 }, () => postToken(server(), user.username, user.password, body)),
    );
    const values = new Set(results.map((r) => tokenOf(r).refresh_token));
    assert.equal(values.size, 1);
    assert.match([...values][0] ?? '', UUID_PATTERN);
    assert.equal(userEvents(server(), 'auth_refresh_token_created', user.uuid).length, 1);
    assert.deepEqual(await clientIdsOf(server(), user), ['b23-race']);
  });

  test('B24 a refresh token with another client_id is refused like a bad password', async () => {
    const user = await createUser(server());
    const { refresh_token } = await offline(server(), user, 'b24-app');
    assertAuthFailed(await refresh(server(), refresh_token as string, 'b24-other'));
  });

  test('B25 schema: client_id required, offline with refresh_token forbidden, online accepted', async () => {
    const user = await createUser(server());
    const { refresh_token } = await offline(server(), user, 'b25-app');
    const rt = refresh_token as string;
    const bad = [
      { access_type: 'offline' },
      { refresh_token: rt },
      { refresh_token: rt, client_id: 'b25-app', access_type: 'offline' },
      { refresh_token: rt, client_id: 'b25-app', saml_session_id: 'abc' },
      { tenant_id: user.tenant_uuid, domain_name: 'example.com' },
    ];
    for (const body of bad) {
      const result = await postToken(server(), user.username, user.password, body);
      assert.equal(result.status, 400, JSON.stringify(body));
      assert.equal((result.body as { status_code: number }).status_code, 400);
    }
    const online = await request(server(), '/token', {
      method: 'POST',
      body: { refresh_token: rt, client_id: 'b25-app', access_type: 'online' },
    });
    assert.equal(online.status, 200, online.text);
  });

  test('B26 first offline login publishes auth_refresh_token_created', async () => {
    const user = await createUser(server());
    await offline(server(), user, 'b26-app');
    assert.deepEqual(userEvents(server(), 'auth_refresh_token_created', user.uuid).map(pick), [
      rtEvent('created', user, 'b26-app', false),
    ]);
  });

  test('B27 B35 a re-login publishes no created event; delete publishes auth_refresh_token_deleted', async () => {
    const user = await createUser(server());
    await offline(server(), user, 'b27-app');
    await offline(server(), user, 'b27-app');
    assert.equal(userEvents(server(), 'auth_refresh_token_created', user.uuid).length, 1);
    const del = await deleteAsAdmin(server(), `/users/${user.uuid}/tokens/b27-app`);
    assert.equal(del.status, 204, del.text);
    assert.equal(userEvents(server(), 'auth_refresh_token_created', user.uuid).length, 1);
    assert.deepEqual(userEvents(server(), 'auth_refresh_token_deleted', user.uuid).map(pick), [
      rtEvent('deleted', user, 'b27-app', false),
    ]);
  });

  test('B28 the mobile flag follows Wazo-Session-Type (case-insensitive) at creation', async () => {
    const user = await createUser(server());
    const m = await offline(server(), user, 'b28-mobile', { 'Wazo-Session-Type': 'MoBiLe' });
    await offline(server(), user, 'b28-desktop', { 'Wazo-Session-Type': 'desktop' });
    await offline(server(), user, 'b28-plain');
    const items = (await list(server(), `/users/${user.uuid}/tokens?order=client_id`)).items;
    const flags = items.map((i) => `${i.client_id}:${i.mobile}`);
    assert.deepEqual(flags, ['b28-desktop:false', 'b28-mobile:true', 'b28-plain:false']);
    const created = userEvents(server(), 'auth_refresh_token_created', user.uuid).map(pick);
    assert.deepEqual(created[0], rtEvent('created', user, 'b28-mobile', true));
    const session = (await sessionsOf(server(), user)).find((s) => s.uuid === m.session_uuid);
    assert.equal(session?.mobile, true);
  });

  test('B29 B33 a mobile offline login ends the incumbent mobile client of another client_id', async () => {
    const user = await createUser(server());
    const a = await offline(server(), user, 'b29-a', MOBILE_SESSION);
    const result = await mobileOffline(server(), user, 'b29-b');
    const b = tokenOf(result);
    assert.equal(result.headers.get('wazo-sessions-revoked'), '1');
    assert.deepEqual(userEvents(server(), 'auth_refresh_token_deleted', user.uuid).map(pick), [
      rtEvent('deleted', user, 'b29-a', true),
    ]);
    assert.deepEqual(userEvents(server(), 'auth_session_deleted', user.uuid).map(pick), [
      sessionEvent(user, a.session_uuid),
    ]);
    assert.deepEqual(await clientIdsOf(server(), user), ['b29-b']);
    assert.deepEqual(await sessionsOf(server(), user), [
      { uuid: b.session_uuid, mobile: true, tenant_uuid: user.tenant_uuid, user_uuid: user.uuid },
    ]);
    assert.equal(await tokenStatus(server(), a.token), 404);
    assertAuthFailed(await refresh(server(), a.refresh_token as string, 'b29-a'));
  });

  test('B30 B33 a mobile re-login with the same client_id gets a fresh refresh token and session', async () => {
    const user = await createUser(server());
    const first = await offline(server(), user, 'b30-app', MOBILE_SESSION);
    const result = await mobileOffline(server(), user, 'b30-app');
    const second = tokenOf(result);
    assert.equal(result.headers.get('wazo-sessions-revoked'), '1');
    assert.notEqual(second.refresh_token, first.refresh_token);
    assert.notEqual(second.session_uuid, first.session_uuid);
    assert.deepEqual(userEvents(server(), 'auth_refresh_token_created', user.uuid).map(pick), [
      rtEvent('created', user, 'b30-app', true),
      rtEvent('created', user, 'b30-app', true),
    ]);
    assert.deepEqual(userEvents(server(), 'auth_refresh_token_deleted', user.uuid).map(pick), [
      rtEvent('deleted', user, 'b30-app', true),
    ]);
    assert.deepEqual(await clientIdsOf(server(), user), ['b30-app']);
    const sessions = await sessionsOf(server(), user);
    assert.deepEqual(
      sessions.map((s) => s.uuid),
      [second.session_uuid],
    );
    assertAuthFailed(await refresh(server(), first.refresh_token as string, 'b30-app'));
    tokenOf(await refresh(server(), second.refresh_token as string, 'b30-app'));
  });

  test('B31 mobile and non-mobile refresh tokens never end each other', async () => {
    const user = await createUser(server());
    const desktop = await offline(server(), user, 'b31-desktop');
    const result = await mobileOffline(server(), user, 'b31-mobile');
    const mobile = tokenOf(result);
    assert.equal(result.headers.get('wazo-sessions-revoked'), '0');
    const desktop2 = await offline(server(), user, 'b31-desktop2');
    assert.deepEqual(await clientIdsOf(server(), user), ['b31-desktop', 'b31-desktop2', 'b31-mobile']);
    for (const t of [desktop, mobile, desktop2]) assert.equal(await tokenStatus(server(), t.token), 204);
    assert.equal(userEvents(server(), 'auth_refresh_token_deleted', user.uuid).length, 0);
  });

  test('B32 mobile purges are per user', async () => {
    const [alice, bob] = [await createUser(server()), await createUser(server())];
    const a = await offline(server(), alice, 'b32-app', MOBILE_SESSION);
    await offline(server(), bob, 'b32-app', MOBILE_SESSION);
    await offline(server(), bob, 'b32-other', MOBILE_SESSION);
    assert.deepEqual(await clientIdsOf(server(), alice), ['b32-app']);
    assert.equal(await tokenStatus(server(), a.token), 204);
    tokenOf(await refresh(server(), a.refresh_token as string, 'b32-app'));
  });

  test('D15 deleting a refresh token ends the sessions made from it', async () => {
    const user = await createUser(server());
    const made = await offline(server(), user, 'd15-app');
    const madeAgain = await offline(server(), user, 'd15-app');
    const renewed = tokenOf(await refresh(server(), made.refresh_token as string, 'd15-app'));
    const online = await login(server(), user.username, user.password);
    const otherClient = await offline(server(), user, 'd15-other');
    const del = await deleteAsAdmin(server(), `/users/${user.uuid}/tokens/d15-app`);
    assert.equal(del.status, 204, del.text);
    for (const t of [made, madeAgain, renewed]) assert.equal(await tokenStatus(server(), t.token), 404);
    for (const t of [online, otherClient]) assert.equal(await tokenStatus(server(), t.token), 204);
    const ended = userEvents(server(), 'auth_session_deleted', user.uuid).map(pick).sort(byDataUuid);
    const expected = [made, madeAgain, renewed]
      .map((t) => sessionEvent(user, t.session_uuid))
      .sort(byDataUuid);
    assert.deepEqual(ended, expected);
    const left = (await sessionsOf(server(), user)).map((s) => s.uuid).sort();
    assert.deepEqual(left, [online.session_uuid, otherClient.session_uuid].sort());
    assertAuthFailed(await refresh(server(), made.refresh_token as string, 'd15-app'));
  });

  test('D15 B38 deleting my refresh token with a token made from it ends that token too', async () => {
    const user = await createUser(server());
    await grantAcl(server(), user, ['auth.users.me.tokens.*.delete']);
    const made = await offline(server(), user, 'd15-me');
    const renewed = tokenOf(await refresh(server(), made.refresh_token as string, 'd15-me'));
    const del = await request(server(), '/users/me/tokens/d15-me', {
      method: 'DELETE',
      token: renewed.token,
    });
    assert.equal(del.status, 204, del.text);
    assert.equal(await tokenStatus(server(), made.token), 404);
    assert.equal(await tokenStatus(server(), renewed.token), 404);
    const ended = userEvents(server(), 'auth_session_deleted', user.uuid).map((e) => e.data.uuid);
    assert.deepEqual(ended.sort(), [made.session_uuid, renewed.session_uuid].sort());
    assert.deepEqual(userEvents(server(), 'auth_refresh_token_deleted', user.uuid).map(pick), [
      rtEvent('deleted', user, 'd15-me', false),
    ]);
  });

  test('B43 D15 deleting a user ends its sessions and its refresh tokens stop working', async () => {
    const user = await createUser(server());
    const made = await offline(server(), user, 'b43-app');
    const online = await login(server(), user.username, user.password);
    assert.equal((await deleteAsAdmin(server(), `/users/${user.uuid}`)).status, 204);
    assert.equal(await tokenStatus(server(), made.token), 404);
    assert.equal(await tokenStatus(server(), online.token), 404);
    const ended = userEvents(server(), 'auth_session_deleted', user.uuid).map((e) => e.data.uuid);
    assert.deepEqual(ended.sort(), [made.session_uuid, online.session_uuid].sort());
    assertAuthFailed(await refresh(server(), made.refresh_token as string, 'b43-app'));
  });

  test('B43 an unknown or malformed refresh token fails', async () => {
    assertAuthFailed(await refresh(server(), '01234567-89ab-4cde-8f01-23456789abcd', 'b43-app'));
    assertAuthFailed(await refresh(server(), 'not-a-token', 'b43-app'));
  });

  test('3.5 a refresh token is never an access token, nor an access token a refresh token', async () => {
    const user = await createUser(server());
    await grantAcl(server(), user, ['auth.users.me.tokens.read']);
    const made = await offline(server(), user, 'rt-vs-at');
    const rt = made.refresh_token as string;
    const asAuth = await request(server(), '/users/me/tokens', { token: rt });
    assert.equal(asAuth.status, 401);
    assert.equal((asAuth.body as { details: { reason: string } }).details.reason, 'not_found_or_expired');
    assert.equal((await request(server(), '/users/me/tokens', { token: made.token })).status, 200);
    assert.equal(await tokenStatus(server(), rt), 404);
    const get = await request(server(), `/token/${rt}`);
    assert.equal(get.status, 404);
    assert.deepEqual((get.body as { reason: string[] }).reason, ['No such token']);
    assertAuthFailed(await refresh(server(), made.token, 'rt-vs-at'));
  });

  test('3.4.4 a refresh login gets the ACL computed now, not at the offline login', async () => {
    const user = await createUser(server());
    const made = await offline(server(), user, 'acl-app');
    assert.equal(made.acl.includes('rt.new.access.read'), false);
    await grantAcl(server(), user, ['rt.new.access.read']);
    const renewed = tokenOf(await refresh(server(), made.refresh_token as string, 'acl-app'));
    assert.ok(renewed.acl.includes('rt.new.access.read'), JSON.stringify(renewed.acl));
    const old = await request(server(), `/token/${made.token}`);
    assert.equal((old.body as { data: TokenData }).data.acl.includes('rt.new.access.read'), false);
  });

  test('3.4.4 a refresh login with Wazo-Session-Type mobile gives a mobile session and purges nothing', async () => {
    const user = await createUser(server());
    const desktop = await offline(server(), user, 'rl-desktop');
    const phone = await offline(server(), user, 'rl-phone', MOBILE_SESSION);
    const result = await refresh(server(), desktop.refresh_token as string, 'rl-desktop', MOBILE_SESSION);
    const renewed = tokenOf(result);
    assert.equal(result.headers.get('wazo-sessions-revoked'), '0');
    const sessions = await sessionsOf(server(), user);
    assert.equal(sessions.find((s) => s.uuid === renewed.session_uuid)?.mobile, true);
    assert.equal(sessions.find((s) => s.uuid === desktop.session_uuid)?.mobile, false);
    assert.equal(sessions.length, 3);
    assert.equal(await tokenStatus(server(), phone.token), 204);
    assert.deepEqual(await clientIdsOf(server(), user), ['rl-desktop', 'rl-phone']);
    assert.equal(userEvents(server(), 'auth_refresh_token_deleted', user.uuid).length, 0);
    const items = (await list(server(), `/users/${user.uuid}/tokens?client_id=rl-desktop`)).items;
    assert.equal(items[0]?.mobile, false);
  });

  test('3.4.4 a disabled user cannot refresh; the refresh token works again once re-enabled', async () => {
    const user = await createUser(server());
    const { refresh_token } = await offline(server(), user, 'dis-app');
    const admin = await adminToken(server());
    const put = (enabled: boolean) =>
      request(server(), `/users/${user.uuid}`, {
        method: 'PUT',
        token: admin,
        body: { username: user.username, enabled },
      });
    assert.equal((await put(false)).status, 200);
    assertAuthFailed(await refresh(server(), refresh_token as string, 'dis-app'));
    assert.equal((await put(true)).status, 200);
    tokenOf(await refresh(server(), refresh_token as string, 'dis-app'));
  });

  test('3.4.5 a refresh token keeps working after a password change', async () => {
    const user = await createUser(server());
    const made = await offline(server(), user, 'pw-app');
    const admin = await adminToken(server());
    const change = await request(server(), `/users/${user.uuid}/password`, {
      method: 'PUT',
      token: admin,
      body: { old_password: user.password, new_password: 'a-brand-new-password' },
    });
    assert.equal(change.status, 204, change.text);
    assert.equal(await tokenStatus(server(), made.token), 404);
    const renewed = tokenOf(await refresh(server(), made.refresh_token as string, 'pw-app'));
    assert.equal(renewed.auth_id, user.uuid);
  });

  test('3.4.4 the session limit applies to refresh logins', async () => {
    const user = await createUser(server());
    const made = await offline(server(), user, 'cap-app');
    for (let i = 1; i < 10; i += 1) tokenOf(await refresh(server(), made.refresh_token as string, 'cap-app'));
    assert.equal((await refresh(server(), made.refresh_token as string, 'cap-app')).status, 429);
  });

  test('B41 a refresh login carries the same metadata as the offline login', async () => {
    const user = await createUser(server());
    const made = await offline(server(), user, 'meta-app');
    const renewed = tokenOf(await refresh(server(), made.refresh_token as string, 'meta-app'));
    assert.deepEqual(renewed.metadata, made.metadata);
    const items = (await list(server(), `/users/${user.uuid}/tokens`)).items;
    assert.deepEqual(items[0]?.metadata, {});
  });
});
