import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { createTenant } from '../tenants/tenant-test-fixtures.ts';
import { describeEachDialect } from '../testing/dialect-suite.ts';
import { adminToken, createUser, type HttpResult, login, request } from '../testing/http-client.ts';
import { createGroup, grantAcl, uniqueTag } from '../testing/test-fixtures.ts';
import type { TestServer } from '../testing/test-server.ts';

/**
 * S-TEN-2 (security.md §5.5) over every kind of object: random tenant trees (≤ 8 tenants, depth ≤ 4),
 * users, groups, policies, sessions and refresh tokens owned by random tenants, and a caller with
 * ACL `#` in a random tenant. An object is visible — in the lists and by id — iff its tenant is the
 * scoping tenant or one of its descendants. Policies are the documented exception (wazo §2.7):
 * config-managed policies and the shared policies of the scoping tenant's ancestors are also visible,
 * read-only. The same holds when Wazo-Tenant narrows the scope, and for `?tenant=` on GET /token.
 */

const MAX_TENANTS = 8;
const MAX_DEPTH = 4;
const CONFIG_POLICY = 'sten2-config-policy';

/** Entry i names the parent of tenant i: -1 for the top tenant, else an earlier tenant; depth ≤ MAX_DEPTH. */
const treeArbitrary = fc.array(fc.nat(), { minLength: 1, maxLength: MAX_TENANTS }).map((raw) => {
  const parents: number[] = [];
  const depths: number[] = [];
  raw.forEach((r, i) => {
    const candidate = (r % (i + 1)) - 1;
    const depth = candidate < 0 ? 1 : (depths[candidate] as number) + 1;
    parents.push(depth > MAX_DEPTH ? -1 : candidate);
    depths.push(depth > MAX_DEPTH ? 1 : depth);
  });
  return parents;
});

const ownershipArbitrary = fc.record({
  users: fc.array(fc.nat(), { maxLength: 6 }),
  groups: fc.array(fc.nat(), { maxLength: 5 }),
  policies: fc.array(fc.record({ owner: fc.nat(), shared: fc.boolean() }), { maxLength: 5 }),
  sessions: fc.array(fc.nat(), { maxLength: 3 }),
  caller: fc.nat(),
  narrow: fc.nat(),
});

/** A tracked object: its id as the API shows it and the index of its tenant in the generated tree. */
interface Owned {
  id: string;
  tenant: number;
}

interface World {
  tenants: string[];
  parents: number[];
  users: Owned[];
  groups: Owned[];
  policies: (Owned & { shared: boolean })[];
  sessions: Owned[];
  clients: Owned[];
}

/** Creates the tree through the API (each tenant once its parent exists), as the existing S-TEN-2 test. */
async function buildTree(server: TestServer, parents: number[], admin: string): Promise<string[]> {
  const created = new Map<number, Promise<string>>();
  const tenantOf = (i: number): Promise<string> => {
    let promise = created.get(i);
    if (!promise) {
      const parent = parents[i] as number;
      promise = (parent < 0 ? Promise.resolve(undefined) : tenantOf(parent)).then(
        async (tenant) => (await createTenant(server, {}, { token: admin, tenant })).uuid,
      );
      created.set(i, promise);
    }
    return promise;
  };
  return Promise.all(parents.map((_, i) => tenantOf(i)));
}

type Ownership = { users: number[]; groups: number[]; policies: { owner: number; shared: boolean }[] };

/** Users, groups and policies are plain rows (the property is about reads); sessions are real logins. */
async function buildWorld(server: TestServer, parents: number[], own: Ownership & { sessions: number[] }) {
  const admin = await adminToken(server);
  const tenants = await buildTree(server, parents, admin);
  const at = (seed: number) => seed % tenants.length;
  const db = server.container.storage.db;
  const users = own.users.map((seed) => ({ id: randomUUID(), tenant: at(seed) }));
  if (users.length > 0) {
    await db
      .insertInto('auth_user')
      .values(users.map((u) => userRow(u.id, tenants[u.tenant] as string)))
      .execute();
  }
  const groups = await Promise.all(
    own.groups.map(async (seed) => ({
      id: await createGroup(server, tenants[at(seed)] as string),
      tenant: at(seed),
    })),
  );
  const policies = own.policies.map((p) => ({ id: randomUUID(), tenant: at(p.owner), shared: p.shared }));
  if (policies.length > 0) {
    await db
      .insertInto('auth_policy')
      .values(policies.map((p) => policyRow(p.id, tenants[p.tenant] as string, p.shared)))
      .execute();
  }
  const sessions: Owned[] = [];
  const clients: Owned[] = [];
  for (const seed of own.sessions) {
    const tenant = at(seed);
    const user = await createUser(server, {}, { token: admin, tenant: tenants[tenant] });
    const clientId = `sten2-${uniqueTag()}`;
    const data = await login(server, user.username, user.password, {
      access_type: 'offline',
      client_id: clientId,
    });
    sessions.push({ id: data.session_uuid, tenant });
    clients.push({ id: clientId, tenant });
  }
  return { tenants, parents, users, groups, policies, sessions, clients };
}

function userRow(uuid: string, tenantUuid: string) {
  return {
    uuid,
    username: `sten2-${uuid}`,
    password_hash: null,
    password_salt: null,
    firstname: null,
    lastname: null,
    enabled: true,
    tenant_uuid: tenantUuid,
    purpose: 'user',
    authentication_method: 'default',
    created_at: Date.now(),
  };
}

function policyRow(uuid: string, tenantUuid: string, shared: boolean) {
  const slug = `sten2-${uuid.slice(0, 8)}`;
  return {
    uuid,
    name: slug,
    slug,
    description: null,
    tenant_uuid: tenantUuid,
    config_managed: false,
    shared,
  };
}

/** Whether tenant `candidate` is `root` or one of its descendants, walking up the generated tree. */
function inSubtree(world: World, root: number, candidate: number): boolean {
  for (let i = candidate; i >= 0; i = world.parents[i] as number) if (i === root) return true;
  return false;
}

/** wazo §2.7: a policy is visible in its tenant's subtree, and below it when shared. */
function policyVisible(world: World, scope: number, policy: World['policies'][number]): boolean {
  return inSubtree(world, scope, policy.tenant) || (policy.shared && inSubtree(world, policy.tenant, scope));
}

interface ListItem {
  uuid?: string;
  client_id?: string;
  tenant_uuid?: string;
  read_only?: boolean;
  slug?: string;
}

function itemsOf(result: HttpResult, label: string): ListItem[] {
  assert.equal(result.status, 200, `${label}: ${result.text}`);
  return (result.body as { items: ListItem[] }).items;
}

/** Every item lies in the scope, and a tracked object is listed iff `visible` says so. */
function assertList(
  items: ListItem[],
  label: string,
  scopeTenants: Set<string>,
  tracked: { id: string; visible: boolean }[],
  idOf: (item: ListItem) => string | undefined,
): void {
  for (const item of items) {
    const inScope = scopeTenants.has(item.tenant_uuid ?? '') || item.read_only === true;
    assert.ok(inScope, `${label} lists a foreign object ${JSON.stringify(item)}`);
  }
  const listed = new Set(items.map(idOf));
  for (const { id, visible } of tracked) assert.equal(listed.has(id), visible, `${label}: ${id}`);
}

/** The lists and gets of every kind, as seen with scoping tenant `scope` (the caller's, or a narrowed one). */
async function checkScope(server: TestServer, world: World, scope: number, token: string, tenant?: string) {
  const req = (path: string) => request(server, path, { token, tenant });
  const subtree = world.tenants.filter((_, i) => inSubtree(world, scope, i));
  const scopeTenants = new Set(subtree);
  const track = (objects: Owned[]) =>
    objects.map((o) => ({ id: o.id, visible: inSubtree(world, scope, o.tenant) }));
  const byUuid = (item: ListItem) => item.uuid;
  const lists: [string, { id: string; visible: boolean }[], (item: ListItem) => string | undefined][] = [
    ['/users?recurse=true', track(world.users), byUuid],
    ['/groups?recurse=true', track(world.groups), byUuid],
    ['/sessions?recurse=true', track(world.sessions), byUuid],
    ['/tokens?recurse=true', track(world.clients), (item) => item.client_id],
    [
      '/policies?recurse=true',
      world.policies.map((p) => ({ id: p.id, visible: policyVisible(world, scope, p) })),
      byUuid,
    ],
  ];
  for (const [path, tracked, idOf] of lists) {
    assertList(itemsOf(await req(path), path), path, scopeTenants, tracked, idOf);
  }
  const policyItems = itemsOf(await req('/policies?recurse=true'), 'policies');
  assert.ok(
    policyItems.some((p) => p.slug === CONFIG_POLICY && p.read_only === true),
    'config-managed policies are visible to every tenant, read-only',
  );
  const tenantsListed = itemsOf(await req('/tenants'), '/tenants').map((t) => t.uuid as string);
  assert.deepEqual(tenantsListed.sort(), [...subtree].sort());

  const gets: [string, boolean][] = [
    ...world.users.map((u) => [`/users/${u.id}`, inSubtree(world, scope, u.tenant)] as [string, boolean]),
    ...world.groups.map((g) => [`/groups/${g.id}`, inSubtree(world, scope, g.tenant)] as [string, boolean]),
    ...world.policies.map((p) => [`/policies/${p.id}`, policyVisible(world, scope, p)] as [string, boolean]),
    ...world.tenants.map((t, i) => [`/tenants/${t}`, inSubtree(world, scope, i)] as [string, boolean]),
    [`/tenants/${server.topTenantUuid}`, false],
  ];
  const statuses = await Promise.all(gets.map(([path]) => req(path)));
  for (const [k, [path, visible]] of gets.entries()) {
    assert.equal(statuses[k]?.status, visible ? 200 : 404, `GET ${path}: ${statuses[k]?.text}`);
  }
}

/** GET /token/{t}?tenant=X succeeds iff X is the token's tenant or a descendant of it (Z3). */
async function checkTokenTenant(server: TestServer, world: World, caller: number, token: string) {
  const candidates: [string, boolean][] = [
    ...world.tenants.map((t, i) => [t, inSubtree(world, caller, i)] as [string, boolean]),
    [server.topTenantUuid, false],
  ];
  for (const [tenant, allowed] of candidates) {
    const result = await request(server, `/token/${token}?tenant=${tenant}`);
    assert.equal(result.status, allowed ? 200 : 403, `?tenant=${tenant}: ${result.text}`);
  }
}

await describeEachDialect(
  'tenant visibility of every object kind',
  { config: { default_policies: { [CONFIG_POLICY]: { acl: ['sten2.config.read'] } } } },
  ({ server }) => {
    test('S-TEN-2 users, groups, policies, sessions, refresh tokens and tenants are visible iff in the scope subtree', async () => {
      const admin = await adminToken(server());
      await fc.assert(
        fc.asyncProperty(treeArbitrary, ownershipArbitrary, async (parents, own) => {
          const s = server();
          const world = await buildWorld(s, parents, own);
          const caller = own.caller % parents.length;
          const callerTenant = world.tenants[caller] as string;
          const user = await createUser(s, {}, { token: admin, tenant: callerTenant });
          await grantAcl(s, { uuid: user.uuid, tenant_uuid: callerTenant }, ['#']);
          const { token } = await login(s, user.username, user.password);
          await checkScope(s, world, caller, token);
          await checkTokenTenant(s, world, caller, token);
          const narrow = own.narrow % parents.length;
          const narrowTenant = world.tenants[narrow] as string;
          if (inSubtree(world, caller, narrow)) {
            await checkScope(s, world, narrow, token, narrowTenant);
          } else {
            const refused = await request(s, '/users?recurse=true', { token, tenant: narrowTenant });
            assert.equal(refused.status, 401, refused.text);
          }
        }),
        { numRuns: 10 },
      );
    });
  },
);
