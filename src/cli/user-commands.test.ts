import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { adminToken, login, postToken, request, tokenStatus } from '../testing/http-client.ts';
import {
  createSubTenant,
  type ListBody,
  newPassword,
  uniqueTag,
  upsertPolicy,
} from '../testing/test-fixtures.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';
import { type CliOptions, type CliResult, failed, runGatehouse, succeeded } from './cli-test-support.ts';

/**
 * `gatehouse user …` run as a real process (bin/gatehouse.js) on the SQLite file of a running test
 * server, whose HTTP API then shows what the command did.
 */
interface UserBody {
  uuid: string;
  username: string;
  purpose: string;
  tenant_uuid: string;
  enabled: boolean;
  authentication_method: string;
}

let server: TestServer;
let token: string;

function gatehouse(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return runGatehouse(server, args, options);
}

/** The created user's uuid, read from `created user "name" (uuid) …`. */
function createdUuid(stdout: string): string {
  const match = /created user "[^"]*" \(([0-9a-f-]{36})\)/.exec(stdout);
  assert.ok(match, stdout);
  return match[1] as string;
}

function printedPassword(stdout: string): string {
  const match = /^password: (\S+)$/m.exec(stdout);
  assert.ok(match, stdout);
  return match[1] as string;
}

async function userByName(username: string, tenant?: string): Promise<UserBody | undefined> {
  const result = await request(server, `/users?username=${encodeURIComponent(username)}&recurse=true`, {
    token,
    tenant,
  });
  assert.equal(result.status, 200, result.text);
  return (result.body as ListBody<UserBody>).items[0];
}

describe('gatehouse user commands [sqlite]', () => {
  before(async () => {
    server = await startTestServer('sqlite');
    token = await adminToken(server);
  });
  after(async () => {
    await server?.close();
  });

  test('§6 --help explains gatehouse user and each of its commands; bad usage exits 2', async () => {
    assert.match(succeeded(await gatehouse(['--help'])), /user +manage users/);
    assert.match(succeeded(await gatehouse(['user', '--help'])), /Usage: gatehouse user <command>/);
    for (const command of ['create', 'list', 'disable', 'set-password']) {
      assert.match(
        succeeded(await gatehouse(['user', command, '--help'])),
        new RegExp(`Usage: gatehouse user ${command}`),
      );
    }
    failed(await gatehouse(['user']), 2, /Usage: gatehouse user/);
    failed(await gatehouse(['user', 'frobnicate']), 2, /unknown command: user frobnicate/);
    failed(await gatehouse(['user', 'create']), 2, /--username is required/);
    failed(await gatehouse(['user', 'create', '--username', 'x'.repeat(257)]), 2, /longer than 256/);
    failed(await gatehouse(['user', 'create', '--username', 'x', '--bogus']), 2, /--bogus/);
    failed(
      await gatehouse(['user', 'create', '--username', 'x', '--password', 'p', '--password-stdin']),
      2,
      /together/,
    );
    failed(
      await gatehouse(['user', 'create', '--username', 'x', '--purpose', 'admin']),
      2,
      /--purpose must be one of/,
    );
    failed(
      await gatehouse(['user', 'create', '--username', 'x', '--tenant', 'top']),
      2,
      /--tenant must be a tenant uuid/,
    );
    failed(await gatehouse(['user', 'list', 'extra']), 2, /unexpected argument: extra/);
    failed(await gatehouse(['user', 'disable']), 2, /exactly one user/);
    failed(await gatehouse(['user', 'set-password', 'a', 'b']), 2, /unexpected argument: b/);
    failed(
      await gatehouse(['user', 'set-password', 'x', '--password-stdin'], { stdin: '' }),
      2,
      /standard input is empty/,
    );
  });

  test('§6 user create --password: the user logs in and joins the all-users group; the password is not printed', async () => {
    const username = `cli-${uniqueTag()}`;
    const password = newPassword();
    const stdout = succeeded(
      await gatehouse(['user', 'create', '--username', username, '--password', password]),
    );
    assert.ok(!stdout.includes(password), 'a given password is never printed');
    const uuid = createdUuid(stdout);
    const user = await userByName(username);
    assert.deepEqual(
      [user?.uuid, user?.purpose, user?.authentication_method, user?.tenant_uuid, user?.enabled],
      [uuid, 'user', 'default', server.topTenantUuid, true],
    );
    assert.equal((await postToken(server, username, password, { expiration: 60 })).status, 200);
    const allUsers = await server.container.repositories.groups.ensureAllUsersGroup(server.topTenantUuid);
    const members = await request(server, `/users?group_uuid=${allUsers}&uuid=${uuid}`, { token });
    assert.equal((members.body as ListBody<UserBody>).filtered, 1);
  });

  test('§6 user create without a password prints a generated one; --password-stdin, --purpose and --policy', async () => {
    const generatedName = `gen-${uniqueTag()}`;
    const stdout = succeeded(await gatehouse(['user', 'create', '--username', generatedName]));
    const generated = printedPassword(stdout);
    assert.equal((await postToken(server, generatedName, generated, { expiration: 60 })).status, 200);

    const tenant = await createSubTenant(server);
    const slugs = [`cli-a-${uniqueTag()}`, `cli-b-${uniqueTag()}`];
    for (const slug of slugs) await upsertPolicy(server, tenant, ['some.acl'], slug);
    const username = `svc-${uniqueTag()}`;
    const password = newPassword();
    const args = ['user', 'create', '--username', username, '--password-stdin', '--purpose', 'internal'];
    const created = await gatehouse(
      [...args, '--tenant', tenant, '--policy', slugs[0] as string, '--policy', slugs[1] as string],
      {
        stdin: `${password}\n`,
      },
    );
    assert.ok(!succeeded(created).includes(password));
    const user = await userByName(username, tenant);
    assert.deepEqual(
      [user?.purpose, user?.authentication_method, user?.tenant_uuid],
      ['internal', 'native', tenant],
    );
    for (const slug of slugs) {
      const holders = await request(server, `/users?policy_slug=${slug}`, { token, tenant });
      assert.deepEqual(
        (holders.body as ListBody<UserBody>).items.map((u) => u.username),
        [username],
      );
    }
    assert.equal(
      (await postToken(server, username, password, { expiration: 60 })).status,
      200,
      'stdin newline dropped',
    );
  });

  test('§6 user create failures exit 1 with a clear message and create nothing', async () => {
    const taken = `taken-${uniqueTag()}`;
    succeeded(await gatehouse(['user', 'create', '--username', taken, '--password', newPassword()]));
    failed(
      await gatehouse(['user', 'create', '--username', taken.toUpperCase(), '--password', newPassword()]),
      1,
      /username: already exists/,
    );
    const name = `nope-${uniqueTag()}`;
    failed(
      await gatehouse(['user', 'create', '--username', name, '--password', 'short']),
      1,
      /password: Length must be between 8 and/,
    );
    const strict = { env: { GATEHOUSE_PASSWORDS_MIN_LENGTH: '16' } };
    failed(
      await gatehouse(['user', 'create', '--username', name, '--password', 'twelve-chars'], strict),
      1,
      /between 16 and/,
    );
    const unknownTenant = randomUUID();
    failed(
      await gatehouse(['user', 'create', '--username', name, '--tenant', unknownTenant]),
      1,
      new RegExp(`unknown tenant: ${unknownTenant}`),
    );
    failed(
      await gatehouse(['user', 'create', '--username', name, '--policy', 'no-such-policy']),
      1,
      /unknown policy .*no-such-policy/,
    );
    assert.equal(await userByName(name), undefined);
  });

  test('§6 user list prints a table, --json the API user objects, --tenant one tenant', async () => {
    const tenant = await createSubTenant(server);
    const username = `listed-${uniqueTag()}`;
    const uuid = createdUuid(
      succeeded(
        await gatehouse([
          'user',
          'create',
          '--username',
          username,
          '--password',
          newPassword(),
          '--tenant',
          tenant,
        ]),
      ),
    );
    const table = succeeded(await gatehouse(['user', 'list']));
    assert.match(table.split('\n')[0] as string, /^UUID +USERNAME +PURPOSE +ENABLED +TENANT$/);
    assert.match(table, new RegExp(`${uuid} +${username} +user +yes +${tenant}`));
    assert.match(table, /admin +internal/);
    const json = JSON.parse(
      succeeded(await gatehouse(['user', 'list', '--tenant', tenant, '--json'])),
    ) as UserBody[];
    const viaApi = await request(server, `/users/${uuid}`, { token });
    assert.deepEqual(json, [viaApi.body]);
    const empty = await createSubTenant(server);
    assert.match(succeeded(await gatehouse(['user', 'list', '--tenant', empty])), /^no users$/m);
    assert.deepEqual(
      JSON.parse(succeeded(await gatehouse(['user', 'list', '--tenant', empty, '--json']))),
      [],
    );
    failed(await gatehouse(['user', 'list', '--tenant', randomUUID()]), 1, /unknown tenant/);
  });

  test('D63 user disable (by username or uuid) ends the sessions and refuses logins; unknown user exits 1', async () => {
    for (const byUsername of [true, false]) {
      const username = `dis-${uniqueTag()}`;
      const password = newPassword();
      const uuid = createdUuid(
        succeeded(await gatehouse(['user', 'create', '--username', username, '--password', password])),
      );
      await login(server, username, password);
      await login(server, username, password);
      const stdout = succeeded(await gatehouse(['user', 'disable', byUsername ? username : uuid]));
      assert.match(stdout, /sessions ended: 2/);
      const sessions = await request(server, `/users/${uuid}/sessions`, { token });
      assert.equal((sessions.body as ListBody<unknown>).total, 0);
      assert.equal(((await request(server, `/users/${uuid}`, { token })).body as UserBody).enabled, false);
      assert.equal((await postToken(server, username, password, { expiration: 60 })).status, 401);
    }
    failed(await gatehouse(['user', 'disable', 'no-such-user']), 1, /No such user: "no-such-user"/);
    failed(await gatehouse(['user', 'disable', randomUUID()]), 1, /No such user/);
  });

  test('§6 user set-password ends the sessions; the old password stops working, the new one works', async () => {
    const username = `pw-${uniqueTag()}`;
    const old = newPassword();
    const uuid = createdUuid(
      succeeded(await gatehouse(['user', 'create', '--username', username, '--password', old])),
    );
    await login(server, username, old);
    const fresh = newPassword();
    const stdout = succeeded(
      await gatehouse(['user', 'set-password', uuid, '--password-stdin'], { stdin: `${fresh}\n` }),
    );
    assert.match(stdout, /sessions ended: 1/);
    assert.ok(!stdout.includes(fresh));
    assert.equal(
      ((await request(server, `/users/${uuid}/sessions`, { token })).body as ListBody<unknown>).total,
      0,
    );
    assert.equal((await postToken(server, username, old, { expiration: 60 })).status, 401);
    assert.equal((await postToken(server, username, fresh, { expiration: 60 })).status, 200);

    const generated = printedPassword(
      succeeded(await gatehouse(['user', 'set-password', username.toUpperCase()])),
    );
    assert.equal((await postToken(server, username, generated, { expiration: 60 })).status, 200);

    failed(
      await gatehouse(['user', 'set-password', username, '--password', 'short']),
      1,
      /password: Length must be between 8/,
    );
    assert.equal((await postToken(server, username, generated, { expiration: 60 })).status, 200, 'unchanged');
    failed(
      await gatehouse(['user', 'set-password', 'no-such-user', '--password', newPassword()]),
      1,
      /No such user/,
    );
  });

  test('D63 a token the running server has cached is refused within 2 s of `gatehouse user disable`', async () => {
    const username = `cached-${uniqueTag()}`;
    const password = newPassword();
    succeeded(await gatehouse(['user', 'create', '--username', username, '--password', password]));
    const { token: userToken } = await login(server, username, password);
    assert.equal(await tokenStatus(server, userToken), 204);
    succeeded(await gatehouse(['user', 'disable', username]));
    // The session row is gone at once; the server's token cache must hear of it promptly too.
    let status = await tokenStatus(server, userToken);
    for (let waited = 0; status !== 404 && waited < 2000; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = await tokenStatus(server, userToken);
    }
    assert.equal(status, 404, 'the running server must not keep the ended session alive');
  });

  test('§6 user commands on a database never initialized exit 1 and say to bootstrap first', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'gatehouse-cli-empty-'));
    try {
      const env = {
        GATEHOUSE_DATA_DIR: empty,
        GATEHOUSE_DATABASE_URL: `sqlite:${join(empty, 'gatehouse.db')}`,
      };
      failed(await gatehouse(['user', 'list'], { env }), 1, /gatehouse bootstrap/);
      failed(await gatehouse(['user', 'create', '--username', 'x'], { env }), 1, /gatehouse bootstrap/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
