import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { rabbitmqUnavailableReason, TestQueue, testExchangeName } from '../events/amqp-test-queue.ts';
import { createTenant, type TenantBody, uniqueDomain, uniqueSlug } from '../tenants/tenant-test-fixtures.ts';
import { adminToken, login, request } from '../testing/http-client.ts';
import { type ListBody, newPassword, uniqueTag } from '../testing/test-fixtures.ts';
import { startTestServer, type TestServer } from '../testing/test-server.ts';
import { UsageError } from './cli-support.ts';
import { type CliOptions, createdUuid, failed, runGatehouse, succeeded } from './cli-test-support.ts';
import { parsePolicyCreate, parsePolicyList } from './policy-args.ts';
import { parseTenantCreate, parseTenantList } from './tenant-args.ts';

/**
 * `gatehouse tenant …` and `gatehouse policy …` run as real processes on the SQLite file of a running
 * test server, whose HTTP API then shows what the commands did. Server and commands share one
 * configuration, so a tenant made by the command can be compared with one made by POST /tenants.
 */
const config = {
  default_policies: { cli_all_users: { acl: ['cli.everyone.read'] }, cli_ops: { acl: ['cli.ops.#'] } },
  all_users_policies: { cli_all_users: true },
  tenant_default_groups: { operators: { policies: { cli_ops: true } } },
};

interface PolicyBody {
  uuid: string;
  tenant_uuid: string;
  name: string;
  slug: string;
  description: string | null;
  acl: string[];
  read_only: boolean;
  shared: boolean;
}

let server: TestServer;
let token: string;
let configFile: string;

function gatehouse(args: string[], options: CliOptions = {}) {
  return runGatehouse(server, args, { ...options, env: { GATEHOUSE_CONFIG: configFile, ...options.env } });
}

async function api(path: string, tenant?: string) {
  const result = await request(server, path, { token, tenant });
  assert.equal(result.status, 200, result.text);
  return result.body;
}

/** The tenant's groups as [slug (own uuid replaced), system_managed, policy slugs]. */
async function groupsOf(tenantUuid: string) {
  const rows = await server.container.storage.db
    .selectFrom('auth_group as g')
    .leftJoin('auth_group_policy as gp', 'gp.group_uuid', 'g.uuid')
    .leftJoin('auth_policy as p', 'p.uuid', 'gp.policy_uuid')
    .select(['g.slug as group', 'g.system_managed', 'p.slug as policy'])
    .where('g.tenant_uuid', '=', tenantUuid)
    .execute();
  return rows
    .map((r) => [r.group.replace(tenantUuid, '<uuid>'), Boolean(r.system_managed), r.policy].join(' '))
    .sort();
}

async function createTenantCli(args: string[], options: CliOptions = {}): Promise<string> {
  return createdUuid('tenant', succeeded(await gatehouse(['tenant', 'create', ...args], options)));
}

describe('gatehouse tenant and policy commands [sqlite]', () => {
  before(async () => {
    server = await startTestServer('sqlite', { config });
    token = await adminToken(server);
    configFile = join(server.database.dataDir, 'cli-config.yml');
    writeFileSync(configFile, JSON.stringify(config)); // JSON is YAML
  });
  after(async () => {
    await server?.close();
  });

  test('§6 --help explains gatehouse tenant, gatehouse policy and their commands; bad usage exits 2', async () => {
    const top = succeeded(await gatehouse(['--help']));
    assert.match(top, /tenant +manage tenants/);
    assert.match(top, /policy +manage policies/);
    for (const noun of ['tenant', 'policy']) {
      assert.match(
        succeeded(await gatehouse([noun, '--help'])),
        new RegExp(`Usage: gatehouse ${noun} <command>`),
      );
      for (const command of ['create', 'list']) {
        const help = succeeded(await gatehouse([noun, command, '--help']));
        assert.match(help, new RegExp(`Usage: gatehouse ${noun} ${command}`));
      }
      failed(await gatehouse([noun]), 2, new RegExp(`Usage: gatehouse ${noun}`));
      failed(await gatehouse([noun, 'frobnicate']), 2, new RegExp(`unknown command: ${noun} frobnicate`));
      failed(await gatehouse([noun, 'create']), 2, /--name is required/);
      failed(await gatehouse([noun, 'create', '--name', 'x', '--bogus']), 2, /--bogus/);
      failed(await gatehouse([noun, 'list', 'extra']), 2, /unexpected argument: extra/);
    }
  });

  test('§6 tenant and policy arguments are checked against the API rules before any database work', async () => {
    const rejects = (parse: () => unknown, message: RegExp) =>
      assert.throws(parse, (error: unknown) => {
        assert.ok(error instanceof UsageError, String(error));
        assert.match(error.message, message);
        return true;
      });
    const tenant =
      (...args: string[]) =>
      () =>
        parseTenantCreate(['--name', 'x', ...args]);
    rejects(() => parseTenantCreate(['--name', 'x'.repeat(129)]), /longer than 128/);
    rejects(tenant('--slug', 'bad-slug'), /--slug must be 1 to 10/);
    rejects(tenant('--slug', 'elevenchars'), /--slug must be 1 to 10/);
    rejects(tenant('--domain-name', 'nodot'), /not a domain name: nodot/);
    rejects(tenant('--domain-name', 'bad_label.example.com'), /not a domain name/);
    rejects(tenant('--parent', 'top'), /--parent must be a tenant uuid/);
    rejects(() => parseTenantList(['--tenant', randomUUID()]), /--tenant/);
    const parent = randomUUID().toUpperCase();
    assert.deepEqual(tenant('--parent', parent, '--domain-name', 'a.example.com', '--slug', 'ok_1')(), {
      name: 'x',
      slug: 'ok_1',
      parent: parent.toLowerCase(),
      domainNames: ['a.example.com'],
    });
    const policy =
      (...args: string[]) =>
      () =>
        parsePolicyCreate(['--name', 'x', ...args]);
    rejects(() => parsePolicyCreate(['--name', 'x'.repeat(81)]), /longer than 80/);
    rejects(policy('--slug', 'has space'), /--slug must be 1 to 80/);
    rejects(policy('--slug', 's'.repeat(81)), /--slug must be 1 to 80/);
    rejects(policy('--acl', ''), /--acl entry must be 1 to 1024/);
    rejects(policy('--acl', 'a'.repeat(1025)), /--acl entry/);
    rejects(policy('--tenant', 'nope'), /--tenant must be a tenant uuid/);
    rejects(() => parsePolicyList(['--tenant', 'nope']), /--tenant must be a tenant uuid/);
    assert.deepEqual(policy('--acl', 'a.b', '--acl', '!a.b.c', '--description', 'd')(), {
      name: 'x',
      slug: null,
      description: 'd',
      acl: ['a.b', '!a.b.c'],
      tenant: null,
    });
  });

  test('§4.3 tenant create gives the tenant the same groups and policies as POST /tenants; the API shows it', async () => {
    const slug = uniqueSlug();
    const domains = [uniqueDomain('b'), uniqueDomain('a')];
    const name = `CLI tenant ${uniqueTag()}`;
    const args = ['--name', name, '--slug', slug, '--domain-name', domains[0] as string];
    const stdout = succeeded(
      await gatehouse(['tenant', 'create', ...args, '--domain-name', domains[1] as string]),
    );
    const uuid = createdUuid('tenant', stdout);
    assert.match(stdout, new RegExp(`with slug ${slug} under ${server.topTenantUuid}`));
    assert.deepEqual(await api(`/tenants/${uuid}`), {
      uuid,
      parent_uuid: server.topTenantUuid,
      name,
      slug,
      contact: null,
      phone: null,
      domain_names: [...domains].sort(),
      default_authentication_method: 'native',
      address: { line_1: null, line_2: null, city: null, state: null, country: null, zip_code: null },
    });
    const viaApi = await createTenant(server, { name: 'via API' });
    const groups = await groupsOf(uuid);
    assert.deepEqual(groups, await groupsOf(viaApi.uuid));
    assert.deepEqual(groups, ['operators false cli_ops', 'wazo-all-users-tenant-<uuid> true cli_all_users']);

    const username = `in-cli-tenant-${uniqueTag()}`;
    const password = newPassword();
    const created = ['user', 'create', '--username', username, '--password', password, '--tenant', uuid];
    succeeded(await gatehouse(created));
    const { acl } = await login(server, username, password);
    assert.ok(acl.includes('cli.everyone.read'), JSON.stringify(acl));
  });

  test('§2.5 tenant create --parent nests the tenant; the slug comes from the name; failures exit 1 and create nothing', async () => {
    const parent = await createTenantCli(['--name', `parent ${uniqueTag()}`]);
    const tag = uniqueTag();
    const child = await createTenantCli(['--name', `K ${tag}`, '--parent', parent.toUpperCase()]);
    const body = (await api(`/tenants/${child}`)) as TenantBody;
    assert.deepEqual([body.parent_uuid, body.slug], [parent, `K${tag}`.slice(0, 10)]);
    const scoped = (await api('/tenants', parent)) as ListBody<TenantBody>;
    assert.deepEqual(scoped.items.map((t) => t.uuid).sort(), [parent, child].sort());

    const domain = uniqueDomain();
    const taken = await createTenantCli(['--name', 'taken', '--slug', uniqueSlug(), '--domain-name', domain]);
    const takenSlug = ((await api(`/tenants/${taken}`)) as TenantBody).slug;
    const loser = `loser ${uniqueTag()}`;
    failed(
      await gatehouse(['tenant', 'create', '--name', loser, '--slug', takenSlug]),
      1,
      /slug: .*already used/,
    );
    failed(
      await gatehouse(['tenant', 'create', '--name', loser, '--domain-name', domain]),
      1,
      /domain_names: /,
    );
    const unknown = randomUUID();
    failed(
      await gatehouse(['tenant', 'create', '--name', loser, '--parent', unknown]),
      1,
      new RegExp(`unknown tenant: ${unknown}`),
    );
    const found = (await api(`/tenants?name=${encodeURIComponent(loser)}`)) as ListBody<TenantBody>;
    assert.equal(found.filtered, 0);
  });

  test('§2.5 tenant list prints a table, --json the API tenant objects of every tenant', async () => {
    const slug = uniqueSlug();
    const domain = uniqueDomain();
    const uuid = await createTenantCli([
      '--name',
      `listed ${uniqueTag()}`,
      '--slug',
      slug,
      '--domain-name',
      domain,
    ]);
    const table = succeeded(await gatehouse(['tenant', 'list']));
    assert.match(table.split('\n')[0] as string, /^UUID +SLUG +PARENT +DOMAINS +NAME$/);
    assert.match(table, new RegExp(`${uuid} +${slug} +${server.topTenantUuid} +${domain} +listed `));
    const json = JSON.parse(succeeded(await gatehouse(['tenant', 'list', '--json'])));
    assert.deepEqual(json, ((await api('/tenants')) as ListBody<TenantBody>).items);
  });

  test('§2.7 policy create: the API shows it; --tenant; its slug gives the ACL to `user create --policy`', async () => {
    const tag = uniqueTag();
    const acl = [`cli.${tag}.read.#`, `!cli.${tag}.read.secret`];
    const args = ['--name', `CLI ${tag}`, '--slug', `cli-${tag}`, '--description', 'made by the CLI'];
    const stdout = succeeded(
      await gatehouse(['policy', 'create', ...args, '--acl', acl[0]!, '--acl', acl[1]!]),
    );
    const uuid = createdUuid('policy', stdout);
    const body = (await api(`/policies/${uuid}`)) as PolicyBody;
    assert.deepEqual(
      { ...body, acl: [...body.acl].sort() },
      {
        uuid,
        tenant_uuid: server.topTenantUuid,
        name: `CLI ${tag}`,
        slug: `cli-${tag}`,
        description: 'made by the CLI',
        acl: [...acl].sort(),
        read_only: false,
        shared: false,
      },
    );

    const tenant = await createTenantCli(['--name', `pol ${tag}`]);
    const inTenant = [
      'policy',
      'create',
      '--name',
      `Auto ${tag}`,
      '--acl',
      `cli.${tag}.tenant`,
      '--tenant',
      tenant,
    ];
    const scopedUuid = createdUuid('policy', succeeded(await gatehouse(inTenant)));
    const scoped = (await api(`/policies/${scopedUuid}`, tenant)) as PolicyBody;
    assert.deepEqual([scoped.tenant_uuid, scoped.slug, scoped.description], [tenant, `Auto${tag}`, null]);
    const username = `pol-${tag}`;
    const password = newPassword();
    const user = ['user', 'create', '--username', username, '--password', password];
    succeeded(await gatehouse([...user, '--tenant', tenant, '--policy', `Auto${tag}`]));
    assert.ok((await login(server, username, password)).acl.includes(`cli.${tag}.tenant`));
  });

  test('§2.7 policy create failures (duplicate name or slug, unknown tenant) exit 1 and create nothing', async () => {
    const tag = uniqueTag();
    succeeded(await gatehouse(['policy', 'create', '--name', `dup ${tag}`, '--slug', `dup-${tag}`]));
    failed(
      await gatehouse(['policy', 'create', '--name', `dup ${tag}`]),
      1,
      /Policy "dup .*" already exists/,
    );
    const other = `other ${tag}`;
    failed(
      await gatehouse(['policy', 'create', '--name', other, '--slug', `dup-${tag}`]),
      1,
      /already exists/,
    );
    const unknown = randomUUID();
    failed(await gatehouse(['policy', 'create', '--name', other, '--tenant', unknown]), 1, /unknown tenant/);
    const found = (await api(
      `/policies?name=${encodeURIComponent(other)}&recurse=true`,
    )) as ListBody<unknown>;
    assert.equal(found.items.length, 0);
  });

  test("§2.7 policy list prints a table, --json the API policy objects; --tenant that tenant's view", async () => {
    const tag = uniqueTag();
    const tenant = await createTenantCli(['--name', `view ${tag}`]);
    const create = ['policy', 'create', '--name', `listed ${tag}`, '--acl', 'x.y', '--tenant', tenant];
    const uuid = createdUuid('policy', succeeded(await gatehouse(create)));
    const table = succeeded(await gatehouse(['policy', 'list']));
    assert.match(table.split('\n')[0] as string, /^UUID +SLUG +TENANT +READ_ONLY +ACL +NAME$/);
    assert.match(table, new RegExp(`${uuid} +listed${tag} +${tenant} +no +1 +listed ${tag}`));
    assert.match(table, /cli_ops +\S+ +yes +1 +cli_ops/);
    const every = JSON.parse(succeeded(await gatehouse(['policy', 'list', '--json'])));
    assert.deepEqual(every, ((await api('/policies?recurse=true')) as ListBody<PolicyBody>).items);
    const view = JSON.parse(succeeded(await gatehouse(['policy', 'list', '--tenant', tenant, '--json'])));
    const viaApi = ((await api('/policies', tenant)) as ListBody<PolicyBody>).items;
    assert.deepEqual(view, viaApi);
    assert.ok(viaApi.some((p) => p.uuid === uuid));
    failed(await gatehouse(['policy', 'list', '--tenant', randomUUID()]), 1, /unknown tenant/);
  });

  test('§6 tenant and policy commands on a database never initialized exit 1 and say to bootstrap first', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'gatehouse-cli-empty-'));
    try {
      const env = {
        GATEHOUSE_DATA_DIR: empty,
        GATEHOUSE_DATABASE_URL: `sqlite:${join(empty, 'gatehouse.db')}`,
      };
      failed(await gatehouse(['tenant', 'list'], { env }), 1, /gatehouse bootstrap/);
      failed(await gatehouse(['tenant', 'create', '--name', 'x'], { env }), 1, /gatehouse bootstrap/);
      failed(await gatehouse(['policy', 'list'], { env }), 1, /gatehouse bootstrap/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

const unavailable = await rabbitmqUnavailableReason();
describe('gatehouse tenant create and the bus [sqlite]', { skip: unavailable ?? false }, () => {
  const exchange = testExchangeName();
  let queue: TestQueue;
  before(async () => {
    server = await startTestServer('sqlite', { config });
    configFile = join(server.database.dataDir, 'cli-config.yml');
    writeFileSync(configFile, JSON.stringify(config));
    queue = await TestQueue.open(exchange, 'auth.tenants.#');
  });
  after(async () => {
    await queue?.close();
    await server?.close();
  });

  test('§3.14 tenant create publishes auth_tenant_added on RabbitMQ when amqp.enabled, and nothing otherwise', async () => {
    const env = { GATEHOUSE_AMQP_EXCHANGE_NAME: exchange };
    const quiet = await createTenantCli(['--name', `quiet ${uniqueTag()}`], { env });
    const slug = uniqueSlug();
    const domain = uniqueDomain();
    const args = ['--name', 'announced', '--slug', slug, '--domain-name', domain];
    const announced = await createTenantCli(args, { env: { ...env, GATEHOUSE_AMQP_ENABLED: 'true' } });
    const [message] = await queue.waitFor(`auth.tenants.${announced}.created`);
    assert.equal(message?.headers.name, 'auth_tenant_added');
    assert.equal(message?.headers.tenant_uuid, announced);
    assert.deepEqual(message?.body.data, {
      uuid: announced,
      name: 'announced',
      slug,
      domain_names: [domain],
    });
    // The bus-less command ran and exited first: had it published, its message would be here by now.
    assert.deepEqual(queue.withKey(`auth.tenants.${quiet}.created`), []);
  });
});
