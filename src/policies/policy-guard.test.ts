import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeEachDialect } from '../testing/dialect-suite.ts';
import { type HttpResult, login } from '../testing/http-client.ts';
import { assertApiError, newUser, uniqueTag, userWithAcl } from '../testing/test-fixtures.ts';
import type { TestServer } from '../testing/test-server.ts';
import { call, createPolicy, type PolicyBody, type PolicyListBody, sorted } from './policy-test-helpers.ts';

/** wazo §3.12: a refused grant is a 401 naming the access. */
function assertRefused(result: HttpResult, access: string): void {
  assert.deepEqual(assertApiError(result, 401, 'unauthorized'), {
    invalid_token: null,
    required_access: access,
  });
}

/** The E66/E67 caller: its token holds `auth.#`, `authorized` and `!unauthorized`. */
async function limitedToken(
  server: TestServer,
  acl = ['auth.#', 'authorized', '!unauthorized'],
): Promise<string> {
  return (await userWithAcl(server, acl)).token.token;
}

async function newGroup(server: TestServer): Promise<string> {
  const result = await call(server, '/groups', { method: 'POST', body: { name: `g-${uniqueTag()}` } });
  assert.equal(result.status, 200, result.text);
  return (result.body as { uuid: string }).uuid;
}

await describeEachDialect('policy privilege-escalation guard', {}, ({ server }) => {
  test('E66 creating a policy with an access the token lacks is 401; negatives may always be added', async () => {
    const token = await limitedToken(server());
    const refused = await call(server(), '/policies', {
      method: 'POST',
      token,
      body: { name: `e66-${uniqueTag()}`, acl: ['authorized', 'unauthorized'] },
    });
    assertRefused(refused, 'unauthorized');
    const created = await createPolicy(server(), { acl: ['authorized', '!forbid-access'] }, { token });
    assert.deepEqual(sorted(created.acl), ['!forbid-access', 'authorized']);
  });

  test('E67 PUT /policies/{p}: adding or removing an access the token lacks is 401', async () => {
    const token = await limitedToken(server());
    const policy = await createPolicy(server());
    const adding = await call(server(), `/policies/${policy.uuid}`, {
      method: 'PUT',
      token,
      body: { name: policy.name, acl: ['authorized', 'unauthorized'] },
    });
    assertRefused(adding, 'unauthorized');
    const ok = await call(server(), `/policies/${policy.uuid}`, {
      method: 'PUT',
      token,
      body: { name: policy.name, acl: ['authorized', '!forbid-access'] },
    });
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(sorted((ok.body as PolicyBody).acl), ['!forbid-access', 'authorized']);
    const held = await createPolicy(server(), { acl: ['unauthorized', 'authorized'] });
    const removing = await call(server(), `/policies/${held.uuid}`, {
      method: 'PUT',
      token,
      body: { name: held.name, acl: ['unauthorized'] },
    });
    assert.equal(removing.status, 200, 'unchanged entries are not checked; authorized may be removed');
    const dropping = await call(server(), `/policies/${held.uuid}`, {
      method: 'PUT',
      token,
      body: { name: held.name },
    });
    assertRefused(dropping, 'unauthorized');
    assertRefused(
      await call(server(), `/policies/${held.uuid}`, { method: 'DELETE', token }),
      'unauthorized',
    );
    const mine = await createPolicy(server(), { acl: ['authorized', '!forbid-access'] });
    assertRefused(
      await call(server(), `/policies/${mine.uuid}`, { method: 'DELETE', token }),
      '!forbid-access',
    );
  });

  test('E67 PUT /policies/{p}/acl/{access} and DELETE follow the same guard', async () => {
    const token = await limitedToken(server());
    const policy = await createPolicy(server(), { acl: ['unauthorized', '!authorized', '!other'] });
    const base = `/policies/${policy.uuid}/acl`;
    assertRefused(await call(server(), `${base}/unauthorized`, { method: 'PUT', token }), 'unauthorized');
    assert.equal((await call(server(), `${base}/authorized`, { method: 'PUT', token })).status, 204);
    assert.equal((await call(server(), `${base}/!anything`, { method: 'PUT', token })).status, 204);
    assertRefused(await call(server(), `${base}/unauthorized`, { method: 'DELETE', token }), 'unauthorized');
    assertRefused(await call(server(), `${base}/!other`, { method: 'DELETE', token }), '!other');
    assert.equal((await call(server(), `${base}/!authorized`, { method: 'DELETE', token })).status, 204);
    const final = (await call(server(), `/policies/${policy.uuid}`)).body as PolicyBody;
    assert.deepEqual(sorted(final.acl), sorted(['unauthorized', '!other', 'authorized', '!anything']));
  });

  test('E67 group ↔ policy association needs every access of the policy', async () => {
    const token = await limitedToken(server());
    const group = await newGroup(server());
    const allowed = await createPolicy(server(), { acl: ['authorized', '!forbid-access'] });
    const tooMuch = await createPolicy(server(), { acl: ['authorized', 'unauthorized'] });
    const path = (p: string) => `/groups/${group}/policies/${p}`;
    assert.equal((await call(server(), path(allowed.uuid), { method: 'PUT', token })).status, 204);
    assertRefused(await call(server(), path(tooMuch.uuid), { method: 'PUT', token }), 'unauthorized');
    assertRefused(await call(server(), path(tooMuch.slug), { method: 'PUT', token }), 'unauthorized');
    const list = (await call(server(), `/groups/${group}/policies`)).body as PolicyListBody;
    assert.deepEqual(
      list.items.map((p) => p.uuid),
      [allowed.uuid],
    );
    assert.equal((await call(server(), path(tooMuch.uuid), { method: 'PUT' })).status, 204, 'the admin may');
    assertRefused(await call(server(), path(tooMuch.uuid), { method: 'DELETE', token }), 'unauthorized');
    assertRefused(await call(server(), path(allowed.uuid), { method: 'DELETE', token }), '!forbid-access');
  });

  test('E67 user ↔ policy association needs every access of the policy', async () => {
    const token = await limitedToken(server());
    const user = await newUser(server());
    const allowed = await createPolicy(server(), { acl: ['authorized'] });
    const tooMuch = await createPolicy(server(), { acl: ['authorized', 'unauthorized'] });
    const path = (p: string) => `/users/${user.uuid}/policies/${p}`;
    assert.equal((await call(server(), path(allowed.uuid), { method: 'PUT', token })).status, 204);
    assertRefused(await call(server(), path(tooMuch.slug), { method: 'PUT', token }), 'unauthorized');
    const list = (await call(server(), `/users/${user.uuid}/policies`)).body as PolicyListBody;
    assert.deepEqual(
      list.items.map((p) => p.uuid),
      [allowed.uuid],
    );
    assert.equal((await call(server(), path(tooMuch.uuid), { method: 'PUT' })).status, 204);
    assertRefused(await call(server(), path(tooMuch.uuid), { method: 'DELETE', token }), 'unauthorized');
    assert.equal((await call(server(), path(allowed.slug), { method: 'DELETE', token })).status, 204);
  });

  test('S-ACL-3 a holder of a.# and !a.b.# cannot create, extend or associate a.#', async () => {
    const token = await limitedToken(server(), ['auth.#', 'a.#', '!a.b.#']);
    const create = await call(server(), '/policies', {
      method: 'POST',
      token,
      body: { name: 'x', acl: ['a.#'] },
    });
    assertRefused(create, 'a.#');
    const granted = await createPolicy(server(), { acl: ['a.c.#', 'a.d'] }, { token });
    assertRefused(
      await call(server(), `/policies/${granted.uuid}/acl/${encodeURIComponent('a.#')}`, {
        method: 'PUT',
        token,
      }),
      'a.#',
    );
    assertRefused(
      await call(server(), `/policies/${granted.uuid}/acl/${encodeURIComponent('a.*.x')}`, {
        method: 'PUT',
        token,
      }),
      'a.*.x',
    );
    const wide = await createPolicy(server(), { acl: ['a.#'] });
    assertRefused(
      await call(server(), `/users/${(await newUser(server())).uuid}/policies/${wide.uuid}`, {
        method: 'PUT',
        token,
      }),
      'a.#',
    );
    assertRefused(
      await call(server(), `/groups/${await newGroup(server())}/policies/${wide.uuid}`, {
        method: 'PUT',
        token,
      }),
      'a.#',
    );
    const star = await limitedToken(server(), ['auth.policies.#', 'auth.users.*']);
    assertRefused(
      await call(server(), '/policies', {
        method: 'POST',
        token: star,
        body: { name: 'y', acl: ['auth.users.#'] },
      }),
      'auth.users.#',
    );
  });

  test('A15 a token issued after joining a group that has a policy carries the policy ACL', async () => {
    const user = await newUser(server());
    const group = await newGroup(server());
    const access = `a15.${uniqueTag()}.read`;
    const policy = await createPolicy(server(), { acl: [access] });
    const before = await login(server(), user.username, user.password);
    assert.equal(
      (await call(server(), `/groups/${group}/policies/${policy.uuid}`, { method: 'PUT' })).status,
      204,
    );
    assert.equal(
      (await call(server(), `/groups/${group}/users/${user.uuid}`, { method: 'PUT' })).status,
      204,
    );
    const after = await login(server(), user.username, user.password);
    assert.ok(after.acl.includes(access), JSON.stringify(after.acl));
    assert.ok(!before.acl.includes(access), 'ACLs are snapshots (Z7)');
    assert.equal(
      (await call(server(), `/groups/${group}/users/${user.uuid}`, { method: 'DELETE' })).status,
      204,
    );
    const removed = await login(server(), user.username, user.password);
    assert.ok(!removed.acl.includes(access));
  });
});
