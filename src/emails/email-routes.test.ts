import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeEachDialect } from '../testing/dialect-suite.ts';
import { adminRequest, adminToken, JSON_CONTENT_TYPE, login, request } from '../testing/http-client.ts';
import {
  assertApiError,
  createSubTenant,
  newUser,
  UUID_PATTERN,
  uniqueTag,
  userWithAcl,
} from '../testing/test-fixtures.ts';
import type { TestServer } from '../testing/test-server.ts';

interface EmailItem {
  uuid: string;
  address: string;
  main: boolean;
  confirmed: boolean;
}

const address = (tag: string) => `${tag}-${uniqueTag()}@example.com`;

function putEmails(server: TestServer, userUuid: string, emails: unknown, token?: string, admin = false) {
  const path = `${admin ? '/admin' : ''}/users/${userUuid}/emails`;
  return adminRequest(server, path, { method: 'PUT', body: { emails }, token });
}

function byAddress(items: EmailItem[], wanted: string): EmailItem {
  const found = items.find((e) => e.address === wanted);
  assert.ok(found, `${wanted} not in ${JSON.stringify(items)}`);
  return found;
}

await describeEachDialect('user emails', {}, ({ server }) => {
  test('§2.4 PUT /users/{u}/emails replaces the list: kept addresses keep uuid and confirmed, new ones unconfirmed', async () => {
    const kept = address('kept');
    const user = await newUser(server(), { email_address: kept });
    const [original] = (user.emails as EmailItem[]) ?? [];
    assert.equal(original?.confirmed, true);
    const added = address('added');
    const result = await putEmails(server(), user.uuid, [
      { address: kept, main: false },
      { address: added, main: true },
    ]);
    assert.equal(result.status, 200, result.text);
    const items = result.body as EmailItem[];
    assert.equal(items.length, 2);
    assert.deepEqual(byAddress(items, kept), {
      uuid: original?.uuid,
      address: kept,
      main: false,
      confirmed: true,
    });
    const fresh = byAddress(items, added);
    assert.match(fresh.uuid, UUID_PATTERN);
    assert.deepEqual({ ...fresh, uuid: '' }, { uuid: '', address: added, main: true, confirmed: false });
    const shown = await adminRequest(server(), `/users/${user.uuid}`);
    assert.deepEqual(
      [...(shown.body as { emails: EmailItem[] }).emails].sort((a, b) => a.address.localeCompare(b.address)),
      [...items].sort((a, b) => a.address.localeCompare(b.address)),
    );
    const emptied = await putEmails(server(), user.uuid, []);
    assert.equal(emptied.status, 200, emptied.text);
    assert.deepEqual(emptied.body, []);
  });

  test('§2.4 an address removed then added again comes back unconfirmed; only confirmed emails log in (B8)', async () => {
    const password = `pw-${uniqueTag()}-long`;
    const mail = address('relogin');
    const user = await newUser(server(), { username: null, email_address: mail, password });
    await login(server(), mail, password);
    assert.equal((await putEmails(server(), user.uuid, [])).status, 200);
    const back = await putEmails(server(), user.uuid, [{ address: mail, main: true }]);
    assert.equal((back.body as EmailItem[])[0]?.confirmed, false);
    await assert.rejects(login(server(), mail, password), /401/);
  });

  test('§2.4 PUT emails 400: two mains, no main, same address twice, bad address, missing key, empty body', async () => {
    const user = await newUser(server());
    const a = address('a');
    const b = address('b');
    const cases: [string, unknown][] = [
      [
        'two mains',
        {
          emails: [
            { address: a, main: true },
            { address: b, main: true },
          ],
        },
      ],
      ['no main', { emails: [{ address: a }, { address: b, main: false }] }],
      ['duplicate', { emails: [{ address: a, main: true }, { address: a.toUpperCase() }] }],
      ['bad address', { emails: [{ address: 'not-an-email', main: true }] }],
      ['not a list', { emails: 'x' }],
      ['missing emails', {}],
    ];
    for (const [label, body] of cases) {
      const result = await adminRequest(server(), `/users/${user.uuid}/emails`, { method: 'PUT', body });
      assert.equal(result.status, 400, `${label}: ${result.text}`);
      assert.equal((result.body as { error_id: string }).error_id, 'invalid-data', label);
      assert.equal((result.body as { resource: string }).resource, 'emails', label);
    }
    const empty = await adminRequest(server(), `/users/${user.uuid}/emails`, {
      method: 'PUT',
      rawBody: '',
      headers: JSON_CONTENT_TYPE,
    });
    assert.equal(empty.status, 400, empty.text);
    const admin = await adminRequest(server(), `/admin/users/${user.uuid}/emails`, {
      method: 'PUT',
      body: { emails: [{ address: a, main: true, confirmed: 'yes' }] },
    });
    assert.equal(admin.status, 400, admin.text);
  });

  test('§2.4 PUT emails 409 when the address is another user login (email or username), any case', async () => {
    const taken = address('taken');
    await newUser(server(), { email_address: taken });
    const named = await newUser(server(), { username: address('named') });
    const user = await newUser(server());
    for (const used of [taken.toUpperCase(), named.username]) {
      const result = await putEmails(server(), user.uuid, [{ address: used, main: true }]);
      const details = assertApiError(result, 409, 'conflict');
      assert.ok('email_address' in details, result.text);
    }
    const own = await newUser(server(), { email_address: address('own') });
    const again = await putEmails(server(), own.uuid, own.emails as EmailItem[]);
    assert.equal(again.status, 200, 'an address of the same user is not a conflict');
  });

  test('§2.4 PUT emails 401 without token, with a bad token, and without the ACL', async () => {
    const user = await newUser(server());
    const body = { emails: [{ address: address('x'), main: true }] };
    const none = await request(server(), `/users/${user.uuid}/emails`, { method: 'PUT', body });
    assertApiError(none, 401, 'unauthorized');
    const bad = await request(server(), `/users/${user.uuid}/emails`, {
      method: 'PUT',
      body,
      token: '00000000-0000-0000-0000-000000000000',
    });
    assertApiError(bad, 401, 'unauthorized');
    const self = await login(server(), user.username, user.password);
    const refused = await putEmails(server(), user.uuid, body.emails, self.token);
    const details = assertApiError(refused, 401, 'unauthorized');
    assert.equal(details.required_access, `auth.users.${user.uuid}.emails.update`);
    const allowed = await userWithAcl(server(), [`auth.users.${user.uuid}.emails.update`]);
    assert.equal((await putEmails(server(), user.uuid, body.emails, allowed.token.token)).status, 200);
    const adminRoute = await putEmails(server(), user.uuid, body.emails, allowed.token.token, true);
    assertApiError(adminRoute, 401, 'unauthorized');
  });

  test('§2.4 S-TEN-1 PUT emails 404 for an unknown user and for a user outside the caller tenant', async () => {
    const emails = [{ address: address('y'), main: true }];
    for (const admin of [false, true]) {
      const unknown = await putEmails(
        server(),
        '11111111-2222-4333-8444-555555555555',
        emails,
        undefined,
        admin,
      );
      assertApiError(unknown, 404, 'unknown-user');
    }
    const sub = await createSubTenant(server(), undefined, { allUsersGroup: true });
    const subAdmin = await userWithAcl(server(), ['auth.#'], { tenant: sub });
    const topUser = await newUser(server());
    for (const admin of [false, true]) {
      const foreign = await putEmails(server(), topUser.uuid, emails, subAdmin.token.token, admin);
      assertApiError(foreign, 404, 'unknown-user');
    }
    const subUser = await newUser(server(), {}, sub);
    assert.equal((await putEmails(server(), subUser.uuid, emails, subAdmin.token.token)).status, 200);
    const viaHeader = await adminRequest(server(), `/users/${topUser.uuid}/emails`, {
      method: 'PUT',
      body: { emails },
      tenant: sub,
    });
    assertApiError(viaHeader, 404, 'unknown-user');
  });

  test('§2.4 PUT /admin/users/{u}/emails sets confirmed; null or absent keeps the flag (false for new ones)', async () => {
    const kept = address('kept');
    const user = await newUser(server(), { email_address: kept });
    const confirmedNew = address('confirmed');
    const plainNew = address('plain');
    const result = await putEmails(
      server(),
      user.uuid,
      [
        { address: kept, main: true, confirmed: null },
        { address: confirmedNew, confirmed: true },
        { address: plainNew },
      ],
      await adminToken(server()),
      true,
    );
    assert.equal(result.status, 200, result.text);
    const items = result.body as EmailItem[];
    assert.equal(byAddress(items, kept).confirmed, true);
    assert.equal(byAddress(items, confirmedNew).confirmed, true);
    assert.equal(byAddress(items, plainNew).confirmed, false);
    const unconfirm = await putEmails(
      server(),
      user.uuid,
      [{ address: kept, main: true, confirmed: false }],
      undefined,
      true,
    );
    assert.equal(byAddress(unconfirm.body as EmailItem[], kept).confirmed, false);
    const userRoute = await putEmails(server(), user.uuid, [
      { address: plainNew, main: true, confirmed: true },
    ]);
    assert.equal(userRoute.status, 200, 'the user route drops `confirmed` as an unknown field');
    assert.equal((userRoute.body as EmailItem[])[0]?.confirmed, false);
  });
});
