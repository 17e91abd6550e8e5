import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeEachDialect } from '../testing/dialect-suite.ts';
import {
  adminRequest,
  type CreatedUser,
  createUser,
  login,
  MOBILE_SESSION,
  postRefreshToken,
  postToken,
  request,
  type TokenData,
} from '../testing/http-client.ts';
import {
  assertAuthFailed,
  assertLegacyError,
  grantAcl,
  listOf,
  tokenOf,
  userEvents,
} from '../testing/test-fixtures.ts';
import type { TestServer } from '../testing/test-server.ts';

/**
 * Issue #6, part 1: scope-limited refresh tokens on wazo's POST /token. Entries are under `sr.` so
 * that no default policy of the test server overlaps them.
 */
const HELD = ['sr.users.me.read', 'sr.calls.#', 'sr.other.thing'];
const SCOPE = ['sr.users.#', 'sr.calls.read', 'sr.not.held'];
/** What both HELD and SCOPE grant: the user's own entry inside `sr.users.#`, and `sr.calls.read`. */
const BOTH = ['sr.calls.read', 'sr.users.me.read'];

interface ListedToken {
  client_id: string;
  user_uuid: string;
  acl: string[] | null;
}

async function userHolding(srv: TestServer, acl: readonly string[]) {
  const user = await createUser(srv);
  const policyUuid = await grantAcl(srv, user, acl);
  // Negations of the default policies travel with every scoped token; positives outside `sr.` do not.
  const negations = (await login(srv, user.username, user.password)).acl.filter((e) => e.startsWith('!'));
  return { user, policyUuid, negations };
}

function offline(srv: TestServer, user: CreatedUser, clientId: string, extra: Record<string, unknown> = {}) {
  return postToken(srv, user.username, user.password, {
    access_type: 'offline',
    client_id: clientId,
    ...extra,
  });
}

async function refresh(srv: TestServer, rt: string, clientId: string, extra: Record<string, unknown> = {}) {
  return tokenOf(await postRefreshToken(srv, rt, clientId, extra));
}

/** HEAD /token/{t}?scope=…: 204 granted, 403 not granted. */
async function check(srv: TestServer, token: string, scope: string): Promise<number> {
  return (await request(srv, `/token/${token}?scope=${encodeURIComponent(scope)}`, { method: 'HEAD' }))
    .status;
}

const sorted = (list: readonly string[]) => [...list].sort();
const positives = (token: TokenData) => sorted(token.acl.filter((e) => !e.startsWith('!')));

async function listedScope(srv: TestServer, user: CreatedUser, clientId: string) {
  const list = await listOf<ListedToken>(srv, `/users/${user.uuid}/tokens?client_id=${clientId}`);
  assert.equal(list.items.length, 1, clientId);
  return list.items[0]?.acl;
}

await describeEachDialect('scope-limited refresh tokens (#6)', {}, ({ server }) => {
  test('§3.4 the offline login and every refresh get the intersection of the scope and the user ACL', async () => {
    const { user, negations } = await userHolding(server(), HELD);
    const first = tokenOf(await offline(server(), user, 'sr-app', { acl: SCOPE }));
    assert.deepEqual(positives(first), BOTH);
    assert.deepEqual(sorted(first.acl.filter((e) => e.startsWith('!'))), sorted(negations));
    const renewed = await refresh(server(), first.refresh_token as string, 'sr-app');
    assert.deepEqual(positives(renewed), BOTH);
    assert.equal(await check(server(), renewed.token, 'sr.calls.read'), 204);
    assert.equal(await check(server(), renewed.token, `sr.users.${user.uuid}.read`), 204);
    for (const outside of ['sr.calls.delete', 'sr.other.thing', 'sr.not.held', `sr.users.${user.uuid}.x`]) {
      assert.equal(await check(server(), renewed.token, outside), 403, outside);
    }
  });

  test('§3.4 the intersection is recomputed at each refresh: a removed policy is gone, an added right comes in', async () => {
    const { user, policyUuid } = await userHolding(server(), HELD);
    const rt = tokenOf(await offline(server(), user, 'sr-policy', { acl: SCOPE })).refresh_token as string;
    const before = await refresh(server(), rt, 'sr-policy');
    assert.deepEqual(positives(before), BOTH);
    const detached = await adminRequest(server(), `/users/${user.uuid}/policies/${policyUuid}`, {
      method: 'DELETE',
    });
    assert.equal(detached.status, 204, detached.text);
    const after = await refresh(server(), rt, 'sr-policy');
    assert.deepEqual(positives(after), []);
    assert.equal(await check(server(), after.token, 'sr.calls.read'), 403);
    // D8: the token issued before the change keeps its snapshot, as every wazo token does.
    assert.equal(await check(server(), before.token, 'sr.calls.read'), 204);
    await grantAcl(server(), user, ['sr.users.#', 'sr.calls.read']);
    assert.deepEqual(positives(await refresh(server(), rt, 'sr-policy')), ['sr.calls.read', 'sr.users.#']);
  });

  test('§3.4.4 a refresh request may narrow its token; the stored scope stays', async () => {
    const { user } = await userHolding(server(), HELD);
    const rt = tokenOf(await offline(server(), user, 'sr-narrow', { acl: SCOPE })).refresh_token as string;
    const narrowed = await refresh(server(), rt, 'sr-narrow', { scope: ['sr.calls.read'] });
    assert.deepEqual(positives(narrowed), ['sr.calls.read']);
    assert.equal(await check(server(), narrowed.token, `sr.users.${user.uuid}.read`), 403);
    assert.deepEqual(positives(await refresh(server(), rt, 'sr-narrow')), BOTH);
    assert.deepEqual(await listedScope(server(), user, 'sr-narrow'), SCOPE);
  });

  test('§3.4.4 a refresh request can never widen: entries outside the stored scope are dropped', async () => {
    const { user } = await userHolding(server(), HELD);
    const rt = tokenOf(await offline(server(), user, 'sr-widen', { acl: ['sr.calls.read'] })).refresh_token;
    const asked = ['#', 'sr.other.thing', 'sr.calls.#', 'sr.calls.read'];
    const widened = await refresh(server(), rt as string, 'sr-widen', { acl: asked });
    assert.deepEqual(positives(widened), ['sr.calls.read']);
    for (const outside of ['sr.other.thing', 'sr.calls.delete', 'anything']) {
      assert.equal(await check(server(), widened.token, outside), 403, outside);
    }
    assert.equal(await check(server(), widened.token, 'sr.calls.read'), 204);
  });

  test('§3.2 an online login with acl gets the intersection; unknown entries are dropped, not refused', async () => {
    const { user } = await userHolding(server(), HELD);
    const online = tokenOf(await postToken(server(), user.username, user.password, { acl: SCOPE }));
    assert.deepEqual(positives(online), BOTH);
    assert.equal('refresh_token' in online, false);
    const none = tokenOf(await postToken(server(), user.username, user.password, { scope: ['sr.not.held'] }));
    assert.deepEqual(positives(none), []);
  });

  test('§3.4.2 without acl nothing changes: full ACL, listed acl null', async () => {
    const { user } = await userHolding(server(), HELD);
    const full = sorted((await login(server(), user.username, user.password)).acl);
    const first = tokenOf(await offline(server(), user, 'sr-plain'));
    assert.deepEqual(sorted(first.acl), full);
    assert.deepEqual(sorted((await refresh(server(), first.refresh_token as string, 'sr-plain')).acl), full);
    assert.equal(await listedScope(server(), user, 'sr-plain'), null);
  });

  test('B36 B37 B39 the listings show each refresh token’s scope as acl', async () => {
    const { user } = await userHolding(server(), [...HELD, 'auth.users.me.tokens.read']);
    tokenOf(await offline(server(), user, 'sr-list-scoped', { acl: SCOPE }));
    tokenOf(await offline(server(), user, 'sr-list-plain'));
    const expected = [
      ['sr-list-plain', null],
      ['sr-list-scoped', SCOPE],
    ];
    const pairs = (items: ListedToken[]) => items.map((i) => [i.client_id, i.acl]).sort();
    const ofUser = await listOf<ListedToken>(server(), `/users/${user.uuid}/tokens`);
    assert.deepEqual(pairs(ofUser.items), expected);
    const all = await listOf<ListedToken>(server(), '/tokens?search=sr-list&recurse=true&limit=1000');
    assert.deepEqual(pairs(all.items.filter((i) => i.user_uuid === user.uuid)), expected);
    // A scoped token that keeps the listing right can read its own listing.
    const scoped = tokenOf(
      await offline(server(), user, 'sr-list-me', { acl: ['auth.users.me.tokens.read'] }),
    );
    const own = await listOf<ListedToken>(server(), '/users/me/tokens', { token: scoped.token });
    assert.deepEqual(pairs(own.items), [...expected, ['sr-list-me', ['auth.users.me.tokens.read']]].sort());
  });

  test('§3.4.2 a re-login with the same acl reuses the refresh token; another acl replaces it', async () => {
    const { user } = await userHolding(server(), HELD);
    const first = tokenOf(await offline(server(), user, 'sr-relogin', { acl: SCOPE }));
    const same = tokenOf(await offline(server(), user, 'sr-relogin', { scope: [...SCOPE].reverse() }));
    assert.equal(same.refresh_token, first.refresh_token);
    assert.equal(userEvents(server(), 'auth_refresh_token_created', user.uuid).length, 1);

    const other = await offline(server(), user, 'sr-relogin', { acl: ['sr.calls.read'] });
    const replaced = tokenOf(other);
    assert.notEqual(replaced.refresh_token, first.refresh_token);
    assert.equal(other.headers.get('wazo-sessions-revoked'), '2');
    assertAuthFailed(await postRefreshToken(server(), first.refresh_token as string, 'sr-relogin'));
    assert.equal(await check(server(), first.token, 'sr.calls.read'), 404, 'old sessions end with it');
    assert.deepEqual(await listedScope(server(), user, 'sr-relogin'), ['sr.calls.read']);
    assert.equal(userEvents(server(), 'auth_refresh_token_deleted', user.uuid).length, 1);
    assert.equal(userEvents(server(), 'auth_refresh_token_created', user.uuid).length, 2);

    const unscoped = tokenOf(await offline(server(), user, 'sr-relogin'));
    assert.notEqual(unscoped.refresh_token, replaced.refresh_token);
    assert.equal(await listedScope(server(), user, 'sr-relogin'), null);
  });

  test('§3.4.3 a mobile offline login stores its scope too', async () => {
    const { user } = await userHolding(server(), HELD);
    const body = { access_type: 'offline', client_id: 'sr-mobile', acl: SCOPE };
    const first = tokenOf(await postToken(server(), user.username, user.password, body, MOBILE_SESSION));
    assert.deepEqual(positives(first), BOTH);
    assert.deepEqual(await listedScope(server(), user, 'sr-mobile'), SCOPE);
    const renewed = await refresh(server(), first.refresh_token as string, 'sr-mobile');
    assert.deepEqual(positives(renewed), BOTH);
  });

  test('A6 malformed acl or scope is a 400 with the Python-repr reason', async () => {
    const user = await createUser(server());
    const cases: [Record<string, unknown>, string][] = [
      [{ acl: 'sr.calls.read' }, "{'acl': ['Not a valid list.']}"],
      [{ scope: null }, "{'scope': ['Field may not be null.']}"],
      [{ acl: ['ok', 7] }, "{'acl': {1: ['Not a valid string.']}}"],
      [{ acl: [''] }, "{'acl': {0: ['Length must be between 1 and 1024.']}}"],
      [{ acl: ['x'.repeat(1025)] }, "{'acl': {0: ['Length must be between 1 and 1024.']}}"],
      [
        { acl: Array.from({ length: 129 }, (_, i) => `a${i}`) },
        "{'acl': ['Longer than maximum length 128.']}",
      ],
      [{ acl: ['a'], scope: ['a'] }, `{'_schema': ['"acl" and "scope" must be mutually exclusive']}`],
    ];
    for (const [body, reason] of cases) {
      const result = await postToken(server(), user.username, user.password, {
        access_type: 'offline',
        client_id: 'sr-bad',
        ...body,
      });
      assertLegacyError(result, 400, reason);
    }
    assert.equal((await listOf(server(), `/users/${user.uuid}/tokens`)).total, 0);
  });
});
