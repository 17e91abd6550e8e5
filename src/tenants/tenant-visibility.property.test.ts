import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { describeEachDialect } from '../testing/dialect-suite.ts';
import { adminToken, createUser, type HttpResult, login, request } from '../testing/http-client.ts';
import { grantAcl } from '../testing/test-fixtures.ts';
import type { TestServer } from '../testing/test-server.ts';
import { createTenant, tenantUuids } from './tenant-test-fixtures.ts';

const MAX_TENANTS = 12;
const MAX_DEPTH = 4;

/**
 * A random tree below the top tenant: entry i names the parent of tenant i, -1 for the top tenant
 * or an earlier tenant, never deeper than MAX_DEPTH.
 */
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

interface World {
  tenants: string[];
  parents: number[];
  users: { uuid: string; tenant: number }[];
}

/**
 * Builds the tree through the API as the admin, each tenant as soon as its parent exists (siblings
 * in parallel), then inserts one user per tenant directly: the property is about reads.
 */
async function buildWorld(server: TestServer, parents: number[], admin: string): Promise<World> {
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
  const tenants = await Promise.all(parents.map((_, i) => tenantOf(i)));
  const users = tenants.map((tenant, i) => ({ uuid: randomUUID(), tenant: i, tenantUuid: tenant }));
  await server.container.storage.db
    .insertInto('auth_user')
    .values(
      users.map((u) => ({
        uuid: u.uuid,
        username: `prop-${u.uuid}`,
        password_hash: null,
        password_salt: null,
        firstname: null,
        lastname: null,
        enabled: true,
        tenant_uuid: u.tenantUuid,
        purpose: 'user',
        authentication_method: 'default',
        created_at: Date.now(),
      })),
    )
    .execute();
  return { tenants, parents, users: users.map(({ uuid, tenant }) => ({ uuid, tenant })) };
}

/** Whether tenant `candidate` is `root` or one of its descendants, by walking up the generated tree. */
function inSubtree(world: World, root: number, candidate: number): boolean {
  for (let i = candidate; i >= 0; i = world.parents[i] as number) if (i === root) return true;
  return false;
}

function uuidsOf(result: HttpResult): string[] {
  assert.equal(result.status, 200, result.text);
  return (result.body as { items: { uuid: string }[] }).items.map((i) => i.uuid).sort();
}

async function checkVisibility(
  server: TestServer,
  world: World,
  caller: number,
  token: string,
  callerUuid: string,
) {
  const visible = world.tenants.filter((_, i) => inSubtree(world, caller, i));
  assert.deepEqual(tenantUuids(await request(server, '/tenants', { token })).sort(), [...visible].sort());
  const tenants = [...world.tenants.entries(), [-1, server.topTenantUuid] as const];
  const tenantStatuses = await Promise.all(
    tenants.map(([, uuid]) => request(server, `/tenants/${uuid}`, { token })),
  );
  for (const [k, [i]] of tenants.entries()) {
    const expected = i >= 0 && inSubtree(world, caller, i) ? 200 : 404;
    assert.equal(tenantStatuses[k]?.status, expected, `tenant ${i}`);
  }
  const users = [...world.users, { uuid: callerUuid, tenant: caller }];
  const visibleUsers = users.filter((u) => inSubtree(world, caller, u.tenant)).map((u) => u.uuid);
  assert.deepEqual(uuidsOf(await request(server, '/users?recurse=true', { token })), visibleUsers.sort());
  for (const user of users) {
    const expected = inSubtree(world, caller, user.tenant) ? 200 : 404;
    assert.equal(
      (await request(server, `/users/${user.uuid}`, { token })).status,
      expected,
      `user ${user.tenant}`,
    );
  }
}

/** Wazo-Tenant narrows to the named subtree when the caller sees it, else 401. */
async function checkNarrowing(
  server: TestServer,
  world: World,
  caller: number,
  token: string,
  narrow: number,
) {
  const tenant = world.tenants[narrow] as string;
  const result = await request(server, '/tenants', { token, tenant });
  if (!inSubtree(world, caller, narrow)) {
    assert.equal(result.status, 401, result.text);
    return;
  }
  const expected = world.tenants.filter((_, i) => inSubtree(world, narrow, i));
  assert.deepEqual(tenantUuids(result).sort(), [...expected].sort());
}

/** S-TEN-2: an object is visible iff its tenant is the caller's tenant or a descendant of it. */
await describeEachDialect('tenant visibility property', {}, ({ server }) => {
  test('S-TEN-2 tenants and users are visible iff their tenant is in the caller subtree', async () => {
    const admin = await adminToken(server());
    await fc.assert(
      fc.asyncProperty(treeArbitrary, fc.nat(), fc.nat(), async (parents, callerSeed, narrowSeed) => {
        const world = await buildWorld(server(), parents, admin);
        const caller = callerSeed % parents.length;
        const user = await createUser(server(), {}, { token: admin, tenant: world.tenants[caller] });
        await grantAcl(server(), { uuid: user.uuid, tenant_uuid: world.tenants[caller] as string }, ['#']);
        const { token } = await login(server(), user.username, user.password);
        await checkVisibility(server(), world, caller, token, user.uuid);
        await checkNarrowing(server(), world, caller, token, narrowSeed % parents.length);
      }),
      { numRuns: 15 },
    );
  });
});
