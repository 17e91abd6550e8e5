import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { describeEachDialect } from '../testing/dialect-suite.ts';
import { JSON_CONTENT_TYPE, request } from '../testing/http-client.ts';
import {
  assertApiError,
  assertInvalidListParam,
  assertLegacyError,
  createSubTenant,
  uniqueTag,
  userWithAcl,
} from '../testing/test-fixtures.ts';
import { call, createPolicy, type PolicyBody, type PolicyListBody, sorted } from './policy-test-helpers.ts';

const CONFIG_SLUG = 'config-managed-policy';

await describeEachDialect(
  'policies API',
  { config: { default_policies: { [CONFIG_SLUG]: { acl: ['cfg.read'], description: 'from config' } } } },
  ({ server }) => {
    test('§2.7 POST /policies creates a policy; GET by uuid and by slug return it', async () => {
      const name = `Admins ${uniqueTag()}`;
      const policy = await createPolicy(server(), { name, description: 'd', acl: ['a.b', 'a.#', 'a.b'] });
      assert.deepEqual(
        { ...policy, acl: sorted(policy.acl) },
        {
          uuid: policy.uuid,
          tenant_uuid: server().topTenantUuid,
          name,
          slug: name.replace(/[^A-Za-z0-9_-]/g, ''),
          description: 'd',
          acl: ['a.#', 'a.b'],
          read_only: false,
          shared: false,
        },
      );
      for (const reference of [policy.uuid, policy.slug]) {
        const fetched = await call(server(), `/policies/${reference}`);
        assert.equal(fetched.status, 200, fetched.text);
        assert.deepEqual(
          { ...(fetched.body as PolicyBody), acl: sorted((fetched.body as PolicyBody).acl) },
          {
            ...policy,
            acl: sorted(policy.acl),
          },
        );
      }
      const minimal = await createPolicy(server(), { slug: `s-${uniqueTag()}` });
      assert.deepEqual([minimal.description, minimal.acl, minimal.shared], [null, [], false]);
    });

    test('§2.7 duplicate name or slug in the tenant is 409 (legacy shape)', async () => {
      const policy = await createPolicy(server());
      for (const body of [
        { name: policy.name },
        { name: `x-${uniqueTag()}`, slug: policy.slug.toUpperCase() },
      ]) {
        const result = await call(server(), '/policies', { method: 'POST', body });
        assertLegacyError(result, 409, /already exists/);
      }
      const other = await createPolicy(server());
      const rename = await call(server(), `/policies/${other.uuid}`, {
        method: 'PUT',
        body: { name: policy.name },
      });
      assertLegacyError(rename, 409);
    });

    test('§2.7 bad bodies are 400 in the legacy shape naming the field', async () => {
      const cases: [unknown, string][] = [
        [{}, 'name'],
        [{ name: '' }, 'name'],
        [{ name: 'x'.repeat(81) }, 'name'],
        [{ name: 'n', slug: 'with space' }, 'slug'],
        [{ name: 'n', acl: 'a.b' }, 'acl'],
        [{ name: 'n', acl: [1] }, 'acl'],
        [{ name: 'n', shared: 'yes' }, 'shared'],
        [{ name: 'n', description: 4 }, 'description'],
      ];
      const policy = await createPolicy(server());
      for (const [body, field] of cases) {
        const created = await call(server(), '/policies', { method: 'POST', body });
        assertLegacyError(created, 400, `Invalid value supplied for field: ${field}`);
        if (field === 'slug' || field === 'shared') continue;
        const updated = await call(server(), `/policies/${policy.uuid}`, { method: 'PUT', body });
        assertLegacyError(updated, 400, `Invalid value supplied for field: ${field}`);
      }
      const token = (await userWithAcl(server(), ['#'])).token.token;
      for (const rawBody of ['', '{oops']) {
        const result = await request(server(), '/policies', {
          method: 'POST',
          token,
          rawBody,
          headers: JSON_CONTENT_TYPE,
        });
        assertLegacyError(result, 400);
      }
    });

    test('§2.7 PUT replaces name, description and ACL; slug and shared are immutable', async () => {
      const policy = await createPolicy(server(), { description: 'old', acl: ['x.y', 'x.z'] });
      const result = await call(server(), `/policies/${policy.uuid}`, {
        method: 'PUT',
        body: { name: 'renamed', slug: 'other', shared: true, acl: ['x.z', 'x.w'] },
      });
      assert.equal(result.status, 200, result.text);
      const body = result.body as PolicyBody;
      assert.deepEqual(
        { ...body, acl: sorted(body.acl) },
        {
          ...policy,
          name: 'renamed',
          description: null,
          acl: ['x.w', 'x.z'],
        },
      );
      const bySlug = await call(server(), `/policies/${policy.slug}`, {
        method: 'PUT',
        body: { name: 'again' },
      });
      assert.equal(bySlug.status, 200, bySlug.text);
      assert.deepEqual((bySlug.body as PolicyBody).acl, []);
    });

    test('§2.7 DELETE by uuid and by slug; then 404 No such policy', async () => {
      for (const by of ['uuid', 'slug'] as const) {
        const policy = await createPolicy(server());
        const deleted = await call(server(), `/policies/${policy[by]}`, { method: 'DELETE' });
        assert.equal(deleted.status, 204, deleted.text);
        assertLegacyError(
          await call(server(), `/policies/${policy.uuid}`),
          404,
          `No such policy ${policy.uuid}`,
        );
      }
    });

    test('S-TEN-1 unknown policies and policies of other tenants are 404 on every policy route', async () => {
      const sub = await createSubTenant(server());
      const sibling = await createSubTenant(server());
      const foreign = await createPolicy(server(), {}, { tenant: sibling });
      const { token } = await userWithAcl(server(), ['auth.#'], { tenant: sub });
      for (const reference of [randomUUID(), foreign.uuid, foreign.slug, 'unknown-slug']) {
        const routes: [string, string, unknown?][] = [
          ['GET', `/policies/${reference}`],
          ['PUT', `/policies/${reference}`, { name: 'x' }],
          ['DELETE', `/policies/${reference}`],
          ['PUT', `/policies/${reference}/acl/auth.x`],
          ['DELETE', `/policies/${reference}/acl/auth.x`],
        ];
        for (const [method, path, body] of routes) {
          const result = await call(server(), path, { method, body, token: token.token });
          assertLegacyError(result, 404, `No such policy ${reference}`);
        }
      }
      const list = (await call(server(), '/policies?recurse=true', { token: token.token }))
        .body as PolicyListBody;
      assert.ok(!list.items.some((p) => p.uuid === foreign.uuid));
    });

    test('§2.7 slugs resolve in the scoping tenant only (not in its descendants)', async () => {
      const sub = await createSubTenant(server());
      const policy = await createPolicy(server(), {}, { tenant: sub });
      assertLegacyError(await call(server(), `/policies/${policy.slug}`), 404);
      assert.equal(
        (await call(server(), `/policies/${policy.uuid}`)).status,
        200,
        'uuids look in the subtree',
      );
      assert.equal((await call(server(), `/policies/${policy.slug}`, { tenant: sub })).status, 200);
    });

    test('§2.7 every policy route needs its ACL (401 without token or permission)', async () => {
      const policy = await createPolicy(server());
      const { token } = await userWithAcl(server(), ['auth.users.#']);
      const routes: [string, string, unknown?][] = [
        ['GET', '/policies'],
        ['POST', '/policies', { name: 'x' }],
        ['GET', `/policies/${policy.uuid}`],
        ['PUT', `/policies/${policy.uuid}`, { name: 'x' }],
        ['DELETE', `/policies/${policy.uuid}`],
        ['PUT', `/policies/${policy.uuid}/acl/a.b`],
        ['DELETE', `/policies/${policy.uuid}/acl/a.b`],
      ];
      for (const [method, path, body] of routes) {
        assertApiError(await request(server(), path, { method, body }), 401, 'unauthorized');
        assertApiError(
          await request(server(), path, { method, body, token: token.token }),
          401,
          'unauthorized',
        );
      }
      const { token: reader } = await userWithAcl(server(), [`auth.policies.${policy.slug}.read`]);
      assert.equal(
        (await request(server(), `/policies/${policy.slug}`, { token: reader.token })).status,
        200,
      );
      assertApiError(
        await request(server(), `/policies/${policy.uuid}`, { token: reader.token }),
        401,
        'unauthorized',
      );
    });

    test('§2.7 PUT/DELETE /policies/{p}/acl/{access}: URL-encoded access, 409 when present, 204 when absent', async () => {
      const policy = await createPolicy(server(), { acl: ['a.b'] });
      const access = 'confd.users.*.#';
      const path = `/policies/${policy.uuid}/acl/${encodeURIComponent(access)}`;
      assert.equal((await call(server(), path, { method: 'PUT' })).status, 204);
      assertLegacyError(
        await call(server(), path, { method: 'PUT' }),
        409,
        `Policy already associated to ${access}`,
      );
      const fetched = (await call(server(), `/policies/${policy.uuid}`)).body as PolicyBody;
      assert.deepEqual(sorted(fetched.acl), sorted(['a.b', access]));
      assert.equal((await call(server(), path, { method: 'DELETE' })).status, 204);
      assert.equal((await call(server(), path, { method: 'DELETE' })).status, 204, 'absent: still 204');
      const bySlug = `/policies/${policy.slug}/acl/a.c`;
      assert.equal((await call(server(), bySlug, { method: 'PUT' })).status, 204);
      assert.equal(
        (await call(server(), `/policies/${policy.slug}/acl/a.b`, { method: 'DELETE' })).status,
        204,
      );
      assert.deepEqual(((await call(server(), `/policies/${policy.uuid}`)).body as PolicyBody).acl, ['a.c']);
    });

    test('§3.12 config-managed policies are read-only (403) yet visible from every tenant', async () => {
      const list = (await call(server(), `/policies?slug=${CONFIG_SLUG}`)).body as PolicyListBody;
      const [policy] = list.items;
      assert.ok(policy);
      assert.deepEqual(
        [policy.read_only, policy.acl, policy.description],
        [true, ['cfg.read'], 'from config'],
      );
      for (const [method, path, body] of [
        ['PUT', `/policies/${policy.uuid}`, { name: 'x' }],
        ['DELETE', `/policies/${policy.uuid}`, undefined],
        ['PUT', `/policies/${policy.uuid}/acl/cfg.write`, undefined],
        ['DELETE', `/policies/${policy.uuid}/acl/cfg.read`, undefined],
      ] as const) {
        assertLegacyError(await call(server(), path, { method, body }), 403, /Forbidden policy/);
      }
      const sub = await createSubTenant(server());
      const seen = await call(server(), `/policies/${policy.uuid}`, { tenant: sub });
      assert.equal(seen.status, 200, seen.text);
      assert.equal((seen.body as PolicyBody).tenant_uuid, sub, 'reported in the requesting tenant');
      assert.equal((seen.body as PolicyBody).read_only, true);
    });

    test('§2.7 shared policies are visible read-only, not shared, in descendant tenants', async () => {
      const sub = await createSubTenant(server());
      const child = await createSubTenant(server(), sub);
      const shared = await createPolicy(server(), { shared: true, acl: ['s.read'] }, { tenant: sub });
      assert.deepEqual([shared.shared, shared.read_only], [true, false]);
      const own = (await call(server(), `/policies/${shared.uuid}`, { tenant: sub })).body as PolicyBody;
      assert.deepEqual([own.shared, own.read_only, own.tenant_uuid], [true, false, sub]);
      const seen = await call(server(), `/policies/${shared.uuid}`, { tenant: child });
      assert.equal(seen.status, 200, seen.text);
      assert.deepEqual((seen.body as PolicyBody).tenant_uuid, child);
      assert.deepEqual(
        [(seen.body as PolicyBody).shared, (seen.body as PolicyBody).read_only],
        [false, true],
      );
      assert.equal((await call(server(), `/policies/${shared.slug}`, { tenant: child })).status, 200);
      const list = (await call(server(), '/policies?read_only=true', { tenant: child }))
        .body as PolicyListBody;
      assert.ok(list.items.some((p) => p.uuid === shared.uuid));
      const writable = (await call(server(), '/policies?read_only=false', { tenant: child }))
        .body as PolicyListBody;
      assert.ok(!writable.items.some((p) => p.uuid === shared.uuid));
      assertLegacyError(
        await call(server(), `/policies/${shared.uuid}`, {
          method: 'PUT',
          tenant: child,
          body: { name: 'x' },
        }),
        403,
      );
      assertLegacyError(
        await call(server(), `/policies/${shared.uuid}`, { method: 'DELETE', tenant: child }),
        403,
      );
      const sibling = await createSubTenant(server());
      assertLegacyError(await call(server(), `/policies/${shared.uuid}`, { tenant: sibling }), 404);
      const shadow = await call(server(), '/policies', {
        method: 'POST',
        tenant: child,
        body: { name: shared.name },
      });
      assertLegacyError(shadow, 409, /already exists/); // a shared name of an ancestor is taken
      const below = await createPolicy(server(), {}, { tenant: child });
      const over = await call(server(), '/policies', {
        method: 'POST',
        tenant: sub,
        body: { name: below.name, shared: true },
      });
      assertLegacyError(over, 409, /already exists/); // a new shared policy may not shadow a descendant
    });

    test('§2.7 GET /policies: items+total only, recurse, filters, search, sort and paging', async () => {
      const sub = await createSubTenant(server());
      const tag = uniqueTag();
      const a = await createPolicy(server(), { name: `a-${tag}`, description: 'first one' }, { tenant: sub });
      const b = await createPolicy(server(), { name: `b-${tag}`, description: 'second' }, { tenant: sub });
      const child = await createSubTenant(server(), sub);
      const c = await createPolicy(server(), { name: `c-${tag}` }, { tenant: child });
      const own = await call(server(), `/policies?search=${tag}`, { tenant: sub });
      assert.deepEqual(Object.keys(own.body as object).sort(), ['items', 'total']);
      const ownBody = own.body as PolicyListBody;
      assert.deepEqual(
        ownBody.items.map((p) => p.uuid),
        [a.uuid, b.uuid],
      );
      const config = 1;
      assert.equal(ownBody.total, 2 + config, 'total ignores search, includes inherited policies');
      const all = (
        await call(server(), `/policies?recurse=true&search=${tag}&order=name&direction=desc`, {
          tenant: sub,
        })
      ).body as PolicyListBody;
      assert.deepEqual(
        all.items.map((p) => p.uuid),
        [c.uuid, b.uuid, a.uuid],
      );
      const paged = (
        await call(server(), `/policies?recurse=true&search=${tag}&limit=1&offset=1`, { tenant: sub })
      ).body as PolicyListBody;
      assert.deepEqual(
        paged.items.map((p) => p.uuid),
        [b.uuid],
      );
      const described = (await call(server(), '/policies?search=FIRST%20one', { tenant: sub }))
        .body as PolicyListBody;
      assert.deepEqual(
        described.items.map((p) => p.uuid),
        [a.uuid],
      );
      for (const filter of [
        `uuid=${b.uuid}`,
        `name=b-${tag}`,
        `slug=${b.slug}`,
        `tenant_uuid=${sub}&search=b-${tag}`,
      ]) {
        const result = (await call(server(), `/policies?${filter}`, { tenant: sub })).body as PolicyListBody;
        assert.deepEqual(
          result.items.map((p) => p.uuid),
          [b.uuid],
          filter,
        );
      }
    });

    test('§1.6 GET /policies refuses bad list parameters with 400', async () => {
      for (const query of [
        'order=read_only',
        'order=tenant_uuid',
        'direction=sideways',
        'limit=-2',
        'offset=1.5',
      ]) {
        assertInvalidListParam(await call(server(), `/policies?${query}`), query);
      }
    });
  },
);
