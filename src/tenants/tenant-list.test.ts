import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { describeEachDialect } from '../testing/dialect-suite.ts';
import { assertApiError, assertInvalidListParam, userWithAcl } from '../testing/test-fixtures.ts';
import type { TestServer } from '../testing/test-server.ts';
import {
  createTenant,
  type TenantBody,
  tenantRequest,
  tenantUuids,
  uniqueDomain,
  uniqueSlug,
} from './tenant-test-fixtures.ts';

interface Tree {
  root: TenantBody;
  foobar: TenantBody;
  foobaz: TenantBody;
  foobarbaz: TenantBody;
  yahoo: string;
  outlook: string;
}

/** A sub-tenant with three children, as wazo's test_list builds under the top tenant. */
async function buildTree(server: TestServer): Promise<Tree> {
  const root = await createTenant(server, { name: 'root tenant' });
  const [yahoo, outlook] = [uniqueDomain('yahoo'), uniqueDomain('outlook')];
  const under = { tenant: root.uuid };
  const foobar = await createTenant(
    server,
    { name: 'foobar', slug: uniqueSlug(), domain_names: [uniqueDomain()] },
    under,
  );
  const foobaz = await createTenant(server, { name: 'foobaz', domain_names: [yahoo] }, under);
  const foobarbaz = await createTenant(
    server,
    { name: 'foobarbaz', domain_names: [outlook, uniqueDomain('yahoo')] },
    under,
  );
  return { root, foobar, foobaz, foobarbaz, yahoo, outlook };
}

function list(server: TestServer, query: string, tenant: string) {
  return tenantRequest(server, 'GET', `/tenants${query}`, { tenant });
}

/** GET /tenants (wazo §2.5, list conventions §1.6) and tenant visibility (S-TEN-1, Z3). */
await describeEachDialect('tenants list and visibility', {}, ({ server }) => {
  test('§2.5 GET /tenants lists the scoping subtree sorted by name, with total and filtered', async () => {
    const t = await buildTree(server());
    const all = await list(server(), '', t.root.uuid);
    assert.deepEqual(tenantUuids(all), [t.foobar.uuid, t.foobarbaz.uuid, t.foobaz.uuid, t.root.uuid]);
    assert.equal((all.body as { total: number }).total, 4);
    assert.equal((all.body as { filtered: number }).filtered, 4);
    assert.deepEqual((all.body as { items: TenantBody[] }).items[1], t.foobarbaz);
    const recursed = await list(server(), '?recurse=true', t.root.uuid);
    assert.deepEqual(tenantUuids(recursed), tenantUuids(all));
    const desc = await list(server(), '?order=name&direction=desc', t.root.uuid);
    assert.deepEqual(tenantUuids(desc), [t.root.uuid, t.foobaz.uuid, t.foobarbaz.uuid, t.foobar.uuid]);
    const page = await list(server(), '?limit=1&offset=1', t.root.uuid);
    assert.deepEqual(tenantUuids(page), [t.foobarbaz.uuid]);
    assert.equal((page.body as { total: number }).total, 4);
    const bySlug = await list(server(), '?order=slug', t.root.uuid);
    const slugs = (bySlug.body as { items: TenantBody[] }).items.map((x) => x.slug);
    assert.deepEqual(slugs, [...slugs].sort());
  });

  test('§2.5 GET /tenants filters uuid, uuids, name, slug, domain_name and searches name, slug, domains', async () => {
    const t = await buildTree(server());
    const cases: [string, string[]][] = [
      [`?uuid=${t.foobaz.uuid}`, [t.foobaz.uuid]],
      [`?uuids=${t.foobaz.uuid},${t.foobar.uuid}`, [t.foobar.uuid, t.foobaz.uuid]],
      [`?uuids=${t.foobaz.uuid}&uuids=${t.root.uuid}`, [t.foobaz.uuid, t.root.uuid]],
      [`?uuids=${server().topTenantUuid}`, []],
      ['?name=foobar', [t.foobar.uuid]],
      [`?slug=${t.foobar.slug}`, [t.foobar.uuid]],
      [`?domain_name=${t.outlook}`, [t.foobarbaz.uuid]],
      ['?search=yahoo', [t.foobarbaz.uuid, t.foobaz.uuid]],
      [`?search=${t.yahoo.toUpperCase()}`, [t.foobaz.uuid]],
      ['?search=bar', [t.foobar.uuid, t.foobarbaz.uuid]],
      [`?search=${t.foobaz.slug}`, [t.foobaz.uuid]],
      ['?search=root tenant', [t.root.uuid]],
      ['?search=nothing-matches', []],
    ];
    for (const [query, expected] of cases) {
      const result = await list(server(), query, t.root.uuid);
      assert.deepEqual(tenantUuids(result), expected, query);
      assert.equal((result.body as { total: number }).total, 4, query);
      assert.equal((result.body as { filtered: number }).filtered, expected.length, query);
    }
  });

  test('§2.5 GET /tenants sorts tenants without a name last going up and first going down', async () => {
    const root = await createTenant(server(), { name: 'mmm' });
    const unnamed = await createTenant(server(), { name: null }, { tenant: root.uuid });
    const named = await createTenant(server(), { name: 'aaa' }, { tenant: root.uuid });
    assert.deepEqual(tenantUuids(await list(server(), '', root.uuid)), [named.uuid, root.uuid, unnamed.uuid]);
    const desc = await list(server(), '?direction=desc', root.uuid);
    assert.deepEqual(tenantUuids(desc), [unnamed.uuid, root.uuid, named.uuid]);
  });

  test('§1.6 GET /tenants refuses bad list parameters with 400 invalid-list-param', async () => {
    const many = Array.from({ length: 26 }, () => randomUUID()).join(',');
    for (const query of [
      '?limit=foo',
      '?offset=-1',
      '?order=uuid',
      '?direction=up',
      '?recurse=maybe',
      `?uuids=${many}`,
    ]) {
      assertInvalidListParam(await tenantRequest(server(), 'GET', `/tenants${query}`), query);
    }
    const ok = await tenantRequest(
      server(),
      'GET',
      `/tenants?uuids=${many.split(',').slice(0, 25).join(',')}`,
    );
    assert.equal(ok.status, 200, ok.text);
  });

  test('S-TEN-1 a sub-tenant admin sees its subtree only: parent and siblings are 404', async () => {
    const a = await createTenant(server());
    const sibling = await createTenant(server(), { domain_names: [uniqueDomain()] });
    const child = await createTenant(server(), {}, { tenant: a.uuid });
    const { token } = await userWithAcl(server(), ['#'], { tenant: a.uuid });
    const as = { token: token.token };
    assert.deepEqual(
      tenantUuids(await tenantRequest(server(), 'GET', '/tenants', as)).sort(),
      [a.uuid, child.uuid].sort(),
    );
    for (const hidden of [server().topTenantUuid, sibling.uuid, randomUUID()]) {
      for (const [method, path, body] of [
        ['GET', `/tenants/${hidden}`],
        ['PUT', `/tenants/${hidden}`, {}],
        ['DELETE', `/tenants/${hidden}`],
        ['GET', `/tenants/${hidden}/domains`],
        ['PUT', `/tenants/${hidden}/parent/${a.uuid}`],
        ['PUT', `/tenants/${child.uuid}/parent/${hidden}`],
      ] as [string, string, unknown?][]) {
        assertApiError(await tenantRequest(server(), method, path, { ...as, body }), 404, 'unknown-tenant');
      }
    }
    assert.equal((await tenantRequest(server(), 'GET', `/tenants/${a.uuid}`, as)).status, 200);
    assert.equal((await tenantRequest(server(), 'GET', `/tenants/${child.uuid}`, as)).status, 200);
    const own = await tenantRequest(server(), 'PUT', `/tenants/${a.uuid}`, { ...as, body: { name: 'mine' } });
    assert.equal(own.status, 200, own.text);
    const created = await createTenant(server(), {}, as);
    assert.equal(created.parent_uuid, a.uuid);
    assert.deepEqual((await tenantRequest(server(), 'GET', '/tenants', as)).status, 200);
    assert.ok(
      tenantUuids(await tenantRequest(server(), 'GET', `/tenants?uuids=${sibling.uuid}`, as)).length === 0,
    );
    const foreignDomain = sibling.domain_names[0] as string;
    assert.deepEqual(
      tenantUuids(await tenantRequest(server(), 'GET', `/tenants?search=${foreignDomain}`, as)),
      [],
    );
  });

  test('S-TEN-1 Wazo-Tenant narrows the scope; a tenant outside the caller subtree is 401', async () => {
    const a = await createTenant(server());
    const child = await createTenant(server(), {}, { tenant: a.uuid });
    const sibling = await createTenant(server());
    const narrowed = await tenantRequest(server(), 'GET', '/tenants', { tenant: child.uuid });
    assert.deepEqual(tenantUuids(narrowed), [child.uuid]);
    const parent = await tenantRequest(server(), 'GET', `/tenants/${a.uuid}`, { tenant: child.uuid });
    assertApiError(parent, 404, 'unknown-tenant');
    const created = await createTenant(server(), {}, { tenant: child.uuid });
    assert.equal(created.parent_uuid, child.uuid);
    const { token } = await userWithAcl(server(), ['#'], { tenant: a.uuid });
    const outside = await tenantRequest(server(), 'GET', '/tenants', {
      token: token.token,
      tenant: sibling.uuid,
    });
    assertApiError(outside, 401, 'unauthorized-tenant');
    const top = await tenantRequest(server(), 'GET', '/tenants', {
      token: token.token,
      tenant: server().topTenantUuid,
    });
    assertApiError(top, 401, 'unauthorized-tenant');
  });
});
