import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { describeEachDialect } from '../testing/dialect-suite.ts';
import { request } from '../testing/http-client.ts';
import { assertApiError, newUser, userWithAcl } from '../testing/test-fixtures.ts';
import {
  createTenant,
  NULL_ADDRESS,
  type TenantBody,
  tenantRequest,
  uniqueDomain,
  uniqueSlug,
} from './tenant-test-fixtures.ts';

const ADDRESS = { line_1: 'Here', city: 'Québec', state: 'Québec', country: 'Canada', zip_code: 'H0H 0H0' };

/** POST, GET, PUT /tenants and GET /tenants/{uuid}/domains (wazo §2.5). */
await describeEachDialect('tenants routes', {}, ({ server }) => {
  test('§2.5 POST /tenants creates a child of the scoping tenant and returns the full object', async () => {
    const slug = uniqueSlug();
    const [d1, d2] = [uniqueDomain('b'), uniqueDomain('a')];
    const contact = await newUser(server());
    server().events.clear();
    const body = {
      name: 'Foo bar',
      slug,
      phone: '555-555-5555',
      contact: contact.uuid,
      domain_names: [d1, d2, d1],
      default_authentication_method: 'saml',
      address: ADDRESS,
    };
    const created = await createTenant(server(), body);
    assert.deepEqual(created, {
      uuid: created.uuid,
      parent_uuid: server().topTenantUuid,
      name: 'Foo bar',
      slug,
      contact: contact.uuid,
      phone: '555-555-5555',
      domain_names: [d1, d2].sort(),
      default_authentication_method: 'saml',
      address: { ...NULL_ADDRESS, ...ADDRESS },
    });
    const read = await tenantRequest(server(), 'GET', `/tenants/${created.uuid}`);
    assert.deepEqual(read.body, created);

    const [event, ...others] = server().events.named('auth_tenant_added');
    assert.equal(others.length, 0);
    assert.deepEqual(event, {
      name: 'auth_tenant_added',
      routingKey: `auth.tenants.${created.uuid}.created`,
      data: { uuid: created.uuid, name: 'Foo bar', slug, domain_names: [d1, d2].sort() },
      tenantUuid: created.uuid,
      userUuids: [],
    });
  });

  test('§2.5 POST /tenants with an empty body gives defaults, a random slug and an all-null address', async () => {
    const result = await tenantRequest(server(), 'POST', '/tenants', { body: {} });
    assert.equal(result.status, 200, result.text);
    const tenant = result.body as TenantBody;
    assert.match(tenant.slug, /^[A-Za-z0-9]{3}$/);
    assert.deepEqual(
      { ...tenant, uuid: null, slug: null },
      {
        uuid: null,
        slug: null,
        parent_uuid: server().topTenantUuid,
        name: null,
        contact: null,
        phone: null,
        domain_names: [],
        default_authentication_method: 'native',
        address: NULL_ADDRESS,
      },
    );
  });

  test('§2.5 the slug comes from the name, or three random characters when that one is taken', async () => {
    const base = uniqueSlug().slice(1, 9);
    const name = `${base}-é !`;
    const first = await tenantRequest(server(), 'POST', '/tenants', { body: { name } });
    assert.equal((first.body as TenantBody).slug, base);
    const second = await tenantRequest(server(), 'POST', '/tenants', { body: { name } });
    assert.match((second.body as TenantBody).slug, /^[A-Za-z0-9]{3}$/);
    const long = await tenantRequest(server(), 'POST', '/tenants', { body: { name: `Z${base}long_name` } });
    assert.equal((long.body as TenantBody).slug, `Z${base}long_name`.slice(0, 10));
  });

  test('§2.5 POST /tenants keeps a given uuid; a duplicate uuid is 409, a second master 403', async () => {
    const uuid = randomUUID();
    const tenant = await createTenant(server(), { uuid: uuid.toUpperCase() });
    assert.equal(tenant.uuid, uuid);
    const again = await tenantRequest(server(), 'POST', '/tenants', { body: { uuid, slug: uniqueSlug() } });
    assertApiError(again, 409, 'tenant-identity-conflict');
    const master = await tenantRequest(server(), 'POST', '/tenants', {
      body: { uuid: server().topTenantUuid, slug: uniqueSlug() },
    });
    const details = assertApiError(master, 403, 'conflict');
    assert.ok('parent_uuid' in details);
  });

  test('§2.5 POST /tenants: duplicate slug or domain name is 409 conflict, nothing is created', async () => {
    const domain = uniqueDomain();
    const first = await createTenant(server(), { domain_names: [domain] });
    const slugClash = await tenantRequest(server(), 'POST', '/tenants', { body: { slug: first.slug } });
    assert.ok('slug' in assertApiError(slugClash, 409, 'conflict'));
    const count = async () =>
      Number(
        (
          await server()
            .container.storage.db.selectFrom('auth_tenant')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await count();
    const domainClash = await tenantRequest(server(), 'POST', '/tenants', {
      body: { slug: uniqueSlug(), domain_names: [uniqueDomain(), domain] },
    });
    assert.ok('domain_names' in assertApiError(domainClash, 409, 'conflict'));
    assert.equal(await count(), before);
  });

  test('§2.5 POST /tenants with an unknown or invisible contact is 404 unknown-user', async () => {
    const unknown = await tenantRequest(server(), 'POST', '/tenants', { body: { contact: randomUUID() } });
    assertApiError(unknown, 404, 'unknown-user');
    const sub = await createTenant(server());
    const other = await createTenant(server());
    const stranger = await newUser(server(), {}, other.uuid);
    const { token } = await userWithAcl(server(), ['#'], { tenant: sub.uuid });
    const hidden = await tenantRequest(server(), 'POST', '/tenants', {
      token: token.token,
      body: { contact: stranger.uuid },
    });
    assertApiError(hidden, 404, 'unknown-user');
  });

  test('§2.5 POST /tenants refuses bad bodies with 400 invalid-data', async () => {
    const bodies: unknown[] = [
      { name: false },
      { name: '' },
      { name: 'x'.repeat(129) },
      { slug: 'elevenchars' },
      { slug: 'a-b' },
      { slug: '' },
      { phone: 'x'.repeat(33) },
      { uuid: 'not-a-uuid' },
      { contact: 'not-a-uuid' },
      { default_authentication_method: 'default' },
      { address: { zip_code: 'x'.repeat(17) } },
      { address: { line_1: '' } },
      { address: null },
      { domain_names: null },
      { domain_names: 'wazo.community' },
      { domain_names: 42 },
      { domain_names: { name: 'wazo.community' } },
      ...[
        '-wazo.io',
        ' wazo.io',
        '#',
        '123',
        'wazo .io',
        'wazo.io-',
        'wazo',
        '=wazo.io',
        '_wazo.io',
        'wazo_io',
      ]
        .concat(['x'.repeat(62), 'a.b_c.io', `${'x'.repeat(251)}.io`])
        .map((d) => ({ domain_names: [d] })),
    ];
    for (const body of bodies) {
      const result = await tenantRequest(server(), 'POST', '/tenants', { body });
      const label = JSON.stringify(body).slice(0, 80);
      assert.equal(result.status, 400, `${label}: ${result.text}`);
      assert.equal((result.body as { error_id: string }).error_id, 'invalid-data', label);
      assert.equal((result.body as { resource: string }).resource, 'tenants', label);
    }
    const empty = await request(server(), '/tenants', {
      method: 'POST',
      token: (await userWithAcl(server(), ['auth.tenants.create'])).token.token,
      rawBody: '',
      headers: { 'Content-Type': 'application/json' },
    });
    assert.equal(empty.status, 400, empty.text);
  });

  test('§2.5 every tenants route is 401 without a token or without its ACL', async () => {
    const tenant = await createTenant(server());
    const { token } = await userWithAcl(server(), ['auth.users.read', 'auth.tenants.other']);
    const routes: [string, string, unknown?][] = [
      ['GET', '/tenants'],
      ['POST', '/tenants', {}],
      ['GET', `/tenants/${tenant.uuid}`],
      ['PUT', `/tenants/${tenant.uuid}`, {}],
      ['DELETE', `/tenants/${tenant.uuid}`],
      ['GET', `/tenants/${tenant.uuid}/domains`],
      ['PUT', `/tenants/${tenant.uuid}/parent/${server().topTenantUuid}`],
    ];
    for (const [method, path, body] of routes) {
      const anonymous = await request(server(), path, { method, body });
      assert.equal(anonymous.status, 401, `${method} ${path} anonymous: ${anonymous.text}`);
      const refused = await request(server(), path, { method, body, token: token.token });
      const details = assertApiError(refused, 401, 'unauthorized');
      assert.equal(details.reason, 'missing_permission_or_invalid_tenant', `${method} ${path}`);
    }
    const required = await request(server(), `/tenants/${tenant.uuid}/parent/${server().topTenantUuid}`, {
      method: 'PUT',
      token: token.token,
    });
    assert.equal(
      (required.body as { details: { required_access: string } }).details.required_access,
      `auth.tenants.${tenant.uuid}.parent.${server().topTenantUuid}.update`,
    );
    const exists = await tenantRequest(server(), 'GET', `/tenants/${tenant.uuid}`);
    assert.equal(exists.status, 200);
  });

  test('§2.5 the exact ACLs of §2.5 are enough for each route', async () => {
    const tenant = await createTenant(server());
    const acl = [
      'auth.tenants.read',
      `auth.tenants.${tenant.uuid}.read`,
      `auth.tenants.${tenant.uuid}.update`,
      `auth.tenants.${tenant.uuid}.domains.read`,
    ];
    const { token } = await userWithAcl(server(), acl);
    const t = token.token;
    assert.equal((await tenantRequest(server(), 'GET', '/tenants', { token: t })).status, 200);
    assert.equal((await tenantRequest(server(), 'GET', `/tenants/${tenant.uuid}`, { token: t })).status, 200);
    const put = await tenantRequest(server(), 'PUT', `/tenants/${tenant.uuid}`, { token: t, body: {} });
    assert.equal(put.status, 200, put.text);
    const domains = await tenantRequest(server(), 'GET', `/tenants/${tenant.uuid}/domains`, { token: t });
    assert.equal(domains.status, 200);
  });

  test('§2.5 GET /tenants/{uuid} is 404 for unknown uuids and non-uuid paths', async () => {
    assertApiError(await tenantRequest(server(), 'GET', `/tenants/${randomUUID()}`), 404, 'unknown-tenant');
    assert.equal((await tenantRequest(server(), 'GET', '/tenants/not-a-uuid')).status, 404);
  });

  test('§2.5 PUT /tenants/{uuid} replaces everything but the slug and publishes auth_tenant_updated', async () => {
    const domain = uniqueDomain();
    const tenant = await createTenant(server(), {
      name: 'before',
      phone: '1234',
      domain_names: [domain, uniqueDomain()],
      address: ADDRESS,
      default_authentication_method: 'ldap',
    });
    const contact = await newUser(server());
    server().events.clear();
    const edited = await tenantRequest(server(), 'PUT', `/tenants/${tenant.uuid}`, {
      body: {
        name: 'after',
        slug: 'changed',
        contact: contact.uuid,
        domain_names: [domain],
        uuid: randomUUID(),
      },
    });
    assert.equal(edited.status, 200, edited.text);
    assert.deepEqual(edited.body, {
      ...tenant,
      name: 'after',
      contact: contact.uuid,
      phone: null,
      domain_names: [domain],
      default_authentication_method: 'native',
      address: NULL_ADDRESS,
    });
    assert.deepEqual((await tenantRequest(server(), 'GET', `/tenants/${tenant.uuid}`)).body, edited.body);
    assert.deepEqual(server().events.named('auth_tenant_updated'), [
      {
        name: 'auth_tenant_updated',
        routingKey: `auth.tenants.${tenant.uuid}.updated`,
        data: { uuid: tenant.uuid, name: 'after' },
        tenantUuid: tenant.uuid,
        userUuids: [],
      },
    ]);
  });

  test('§2.5 PUT /tenants/{uuid}: 404 unknown tenant or contact, 409 taken domain, 400 bad body', async () => {
    const taken = uniqueDomain();
    await createTenant(server(), { domain_names: [taken] });
    const tenant = await createTenant(server(), { domain_names: [uniqueDomain()] });
    const path = `/tenants/${tenant.uuid}`;
    assertApiError(
      await tenantRequest(server(), 'PUT', `/tenants/${randomUUID()}`, { body: {} }),
      404,
      'unknown-tenant',
    );
    assertApiError(
      await tenantRequest(server(), 'PUT', path, { body: { contact: randomUUID() } }),
      404,
      'unknown-user',
    );
    const clash = await tenantRequest(server(), 'PUT', path, { body: { domain_names: [taken] } });
    assert.ok('domain_names' in assertApiError(clash, 409, 'conflict'));
    assert.deepEqual((await tenantRequest(server(), 'GET', path)).body, tenant);
    for (const body of [{ name: false }, { domain_names: ['nodot'] }, { phone: '' }, { address: 'x' }]) {
      assertApiError(await tenantRequest(server(), 'PUT', path, { body }), 400, 'invalid-data');
    }
  });

  test('§2.5 GET /tenants/{uuid}/domains lists {name, uuid} with a total', async () => {
    const [a, b] = [uniqueDomain('a'), uniqueDomain('b')].sort();
    const tenant = await createTenant(server(), { domain_names: [b as string, a as string] });
    const result = await tenantRequest(server(), 'GET', `/tenants/${tenant.uuid}/domains`);
    assert.equal(result.status, 200, result.text);
    const body = result.body as { total: number; items: { name: string; uuid: string }[] };
    assert.deepEqual(Object.keys(body).sort(), ['items', 'total']);
    assert.equal(body.total, 2);
    assert.deepEqual(
      body.items.map((d) => d.name),
      [a, b],
    );
    for (const item of body.items) assert.match(item.uuid, /^[0-9a-f-]{36}$/);
    const empty = await createTenant(server());
    assert.deepEqual((await tenantRequest(server(), 'GET', `/tenants/${empty.uuid}/domains`)).body, {
      total: 0,
      items: [],
    });
    assertApiError(
      await tenantRequest(server(), 'GET', `/tenants/${randomUUID()}/domains`),
      404,
      'unknown-tenant',
    );
  });
});
