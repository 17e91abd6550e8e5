import assert from 'node:assert/strict';
import { Ajv } from 'ajv';
import { createTenant } from '../tenants/tenant-test-fixtures.ts';
import { adminToken, type CreatedUser, type HttpResult, login, request } from '../testing/http-client.ts';
import { grantAcl, newUser, uniqueTag } from '../testing/test-fixtures.ts';
import type { TestServer } from '../testing/test-server.ts';

/**
 * Test-only helpers of the S-TEN-1 sweep: two sibling tenants holding one object of every kind, a
 * snapshot of what the top admin sees of them, and request bodies derived from the OpenAPI document.
 */

export interface Side {
  tenant: string;
  user: CreatedUser;
  group: string;
  policy: { uuid: string; slug: string };
  session: string;
  token: string;
}

export interface World {
  top: string;
  /** Tenant A: a user with two emails (one unconfirmed), a group, a policy and a shared policy, a session. */
  a: Side & {
    emailConfirmed: string;
    emailUnconfirmed: string;
    sharedPolicy: { uuid: string; slug: string };
    clientId: string;
    refreshToken: string;
    /** An OAuth scope and an OAuth client of A (issue #6). */
    oauthScope: string;
    oauthClient: { uuid: string; clientId: string };
  };
  /** Tenant B, a sibling of A: its admin (ACL `#` within B) makes every call; `user` is another user of B. */
  b: Side & { admin: CreatedUser; adminToken: string; adminSession: string };
}

type Ids = { uuid: string; slug: string };

async function call(
  server: TestServer,
  top: string,
  method: string,
  path: string,
  tenant: string,
  body?: unknown,
) {
  const result = await request(server, path, { method, token: top, tenant, body });
  assert.ok(result.status < 300, `${method} ${path}: ${result.status} ${result.text}`);
  return result.body as Record<string, unknown>;
}

/** A group and a policy of the tenant (created by the top admin through the API), and their links to the user. */
async function objectsOf(server: TestServer, top: string, tenant: string, userUuid: string) {
  const group = (await call(server, top, 'POST', '/groups', tenant, {
    name: `sweep-g-${uniqueTag()}`,
  })) as Ids;
  const body = { name: `sweep-p-${uniqueTag()}`, acl: [`sweep.${uniqueTag()}.read`] };
  const policy = (await call(server, top, 'POST', '/policies', tenant, body)) as Ids;
  await call(server, top, 'PUT', `/groups/${group.uuid}/users/${userUuid}`, tenant);
  await call(server, top, 'PUT', `/groups/${group.uuid}/policies/${policy.uuid}`, tenant);
  await call(server, top, 'PUT', `/users/${userUuid}/policies/${policy.uuid}`, tenant);
  return { group: group.uuid, policy: { uuid: policy.uuid, slug: policy.slug } };
}

export async function buildWorld(server: TestServer): Promise<World> {
  const top = await adminToken(server);
  const tenantA = (await createTenant(server, { name: 'sweep A' }, { token: top })).uuid;
  const tenantB = (await createTenant(server, { name: 'sweep B' }, { token: top })).uuid;

  const userA = await newUser(server, { firstname: 'Alice', lastname: 'Anders' }, tenantA);
  const emails = [
    { address: `a-main-${uniqueTag()}@example.com`, main: true, confirmed: true },
    { address: `a-second-${uniqueTag()}@example.com`, main: false, confirmed: false },
  ];
  const list = (await call(server, top, 'PUT', `/admin/users/${userA.uuid}/emails`, tenantA, {
    emails,
  })) as unknown as { uuid: string; address: string }[];
  const emailOf = (address: string) => list.find((e) => e.address === address)?.uuid as string;
  const sideA = await objectsOf(server, top, tenantA, userA.uuid);
  const shared = { name: `sweep-shared-${uniqueTag()}`, acl: ['sweep.shared.read'], shared: true };
  const sharedPolicy = (await call(server, top, 'POST', '/policies', tenantA, shared)) as Ids;
  const clientId = `sweep-client-${uniqueTag()}`;
  const loginA = await login(server, userA.username, userA.password, {
    access_type: 'offline',
    client_id: clientId,
  });

  const oauthScope = (await call(server, top, 'POST', '/oauth/scopes', tenantA, {
    name: 'sweep:read',
    acl: ['sweep.shared.read'],
  })) as { uuid: string };
  const oauthClient = (await call(server, top, 'POST', '/oauth/clients', tenantA, {
    name: 'Sweep client',
    client_type: 'confidential',
    grant_types: ['client_credentials'],
    scopes: ['sweep:read'],
    acl: ['sweep.shared.read'],
  })) as { uuid: string; client_id: string };

  const admin = await newUser(server, { firstname: 'Bob' }, tenantB);
  await grantAcl(server, admin, ['#']);
  const adminLogin = await login(server, admin.username, admin.password);
  const userB = await newUser(server, { firstname: 'Bea' }, tenantB);
  const sideB = await objectsOf(server, top, tenantB, userB.uuid);
  const loginB = await login(server, userB.username, userB.password);
  return {
    top,
    a: {
      tenant: tenantA,
      user: userA,
      ...sideA,
      session: loginA.session_uuid,
      token: loginA.token,
      emailConfirmed: emailOf(emails[0]?.address as string),
      emailUnconfirmed: emailOf(emails[1]?.address as string),
      sharedPolicy: { uuid: sharedPolicy.uuid, slug: sharedPolicy.slug },
      clientId,
      refreshToken: loginA.refresh_token as string,
      oauthScope: oauthScope.uuid,
      oauthClient: { uuid: oauthClient.uuid, clientId: oauthClient.client_id },
    },
    b: {
      tenant: tenantB,
      user: userB,
      ...sideB,
      session: loginB.session_uuid,
      token: loginB.token,
      admin,
      adminToken: adminLogin.token,
      adminSession: adminLogin.session_uuid,
    },
  };
}

/** What the top admin reads about every object of A (and B's objects the mixed calls name), by path. */
export async function snapshot(server: TestServer, world: World): Promise<Record<string, unknown>> {
  const { a, b } = world;
  const paths = [
    `/tenants/${a.tenant}`,
    `/tenants/${a.tenant}/domains`,
    `/users/${a.user.uuid}`,
    `/users/${a.user.uuid}/groups`,
    `/users/${a.user.uuid}/policies`,
    `/users/${a.user.uuid}/sessions`,
    `/users/${a.user.uuid}/tokens`,
    `/groups/${a.group}`,
    `/groups/${a.group}/users`,
    `/groups/${a.group}/policies`,
    `/policies/${a.policy.uuid}`,
    `/policies/${a.sharedPolicy.uuid}`,
    `/oauth/clients/${a.oauthClient.uuid}`,
    `/oauth/scopes/${a.oauthScope}`,
    `/tenants/${b.tenant}`,
    `/users/${b.user.uuid}`,
    `/users/${b.user.uuid}/policies`,
    `/users/${b.user.uuid}/groups`,
    `/users/${b.user.uuid}/sessions`,
    `/groups/${b.group}/users`,
    `/groups/${b.group}/policies`,
    `/policies/${b.policy.uuid}`,
  ];
  const results = await Promise.all(paths.map((path) => request(server, path, { token: world.top })));
  const out: Record<string, unknown> = {};
  for (const [i, path] of paths.entries()) {
    const result = results[i] as HttpResult;
    assert.equal(result.status, 200, `${path}: ${result.text}`);
    out[path] = result.body;
  }
  const tokenCheck = await request(server, `/token/${a.token}`, { method: 'HEAD' });
  out['HEAD /token/{A token}'] = tokenCheck.status;
  return out;
}

/** The subset of JSON Schema the OpenAPI document of Gatehouse uses for request bodies. */
export interface BodySchema {
  type?: string;
  properties?: Record<string, BodySchema>;
  required?: string[];
  items?: BodySchema;
  minItems?: number;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  pattern?: string;
  enum?: unknown[];
  anyOf?: BodySchema[];
}

/** Values for required string fields constrained by a pattern, by field name. */
const PATTERNED: Record<string, () => string> = {
  address: () => `sweep-${uniqueTag()}@example.com`,
};

/** The smallest body the schema accepts: required fields only, each at its minimal valid value. */
export function minimalValue(schema: BodySchema, name = 'body'): unknown {
  if (schema.enum) return schema.enum[0];
  if (schema.anyOf?.[0]) return minimalValue(schema.anyOf[0], name);
  switch (schema.type) {
    case 'object':
      return Object.fromEntries(
        (schema.required ?? []).map((key) => [key, minimalValue(schema.properties?.[key] ?? {}, key)]),
      );
    case 'array':
      return Array.from({ length: schema.minItems ?? 0 }, () => minimalValue(schema.items ?? {}, name));
    case 'integer':
    case 'number':
      return schema.minimum ?? 1;
    case 'boolean':
      return false;
    case 'string': {
      if (schema.pattern) {
        const make = PATTERNED[name];
        if (!make) throw new Error(`no value for the patterned field ${name}: add it to PATTERNED`);
        return make();
      }
      const text = `sweep-${name}-value`.padEnd(schema.minLength ?? 0, 'x');
      return text.slice(0, schema.maxLength ?? text.length);
    }
    default:
      return null;
  }
}

const ajv = new Ajv({ strict: false, allErrors: true });

/** A minimal body for the schema, checked against it so that a 404 can never hide a 400. */
export function validBody(schema: BodySchema): unknown {
  const body = minimalValue(schema);
  const validate = ajv.compile(schema);
  assert.ok(validate(body), `generated body ${JSON.stringify(body)}: ${ajv.errorsText(validate.errors)}`);
  return body;
}
