import assert from 'node:assert/strict';
import { adminToken, type HttpResult, request } from '../testing/http-client.ts';
import { uniqueTag } from '../testing/test-fixtures.ts';
import type { TestServer } from '../testing/test-server.ts';

/** Test-only helpers of the tenants suites. */

export interface TenantBody {
  uuid: string;
  parent_uuid: string;
  name: string | null;
  slug: string;
  contact: string | null;
  phone: string | null;
  domain_names: string[];
  default_authentication_method: string;
  address: Record<string, string | null>;
}

export const NULL_ADDRESS = {
  line_1: null,
  line_2: null,
  city: null,
  state: null,
  country: null,
  zip_code: null,
};

/** A slug no other test uses (tenant slugs are global and at most 10 characters). */
export function uniqueSlug(): string {
  return `t${uniqueTag().slice(0, 8)}`;
}

/** A domain name no other test uses. */
export function uniqueDomain(label = 'example'): string {
  return `${label}.${uniqueTag()}.test`;
}

export async function tenantRequest(
  server: TestServer,
  method: string,
  path: string,
  options: { token?: string; tenant?: string; body?: unknown } = {},
): Promise<HttpResult> {
  return request(server, path, {
    method,
    token: options.token ?? (await adminToken(server)),
    tenant: options.tenant,
    body: options.body,
  });
}

/** POST /tenants (as the admin unless a token is given), expecting 200; a fresh slug unless one is given. */
export async function createTenant(
  server: TestServer,
  body: Record<string, unknown> = {},
  options: { token?: string; tenant?: string } = {},
): Promise<TenantBody> {
  const result = await tenantRequest(server, 'POST', '/tenants', {
    ...options,
    body: { slug: uniqueSlug(), ...body },
  });
  assert.equal(result.status, 200, result.text);
  return result.body as TenantBody;
}

/** The uuids of the tenants a GET /tenants answer lists. */
export function tenantUuids(result: HttpResult): string[] {
  assert.equal(result.status, 200, result.text);
  return (result.body as { items: TenantBody[] }).items.map((t) => t.uuid);
}
