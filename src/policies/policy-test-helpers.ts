import assert from 'node:assert/strict';
import { adminToken, type HttpResult, request } from '../testing/http-client.ts';
import { uniqueTag } from '../testing/test-fixtures.ts';
import type { TestServer } from '../testing/test-server.ts';

/** Shared by the policy test files: the wire shape and a few admin shortcuts. */
export interface PolicyBody {
  uuid: string;
  tenant_uuid: string;
  name: string;
  slug: string;
  description: string | null;
  acl: string[];
  read_only: boolean;
  shared: boolean;
}

export interface PolicyListBody {
  total: number;
  filtered?: number;
  items: PolicyBody[];
}

/** A request as the admin (ACL `#`), or with `token` when given. */
export async function call(
  server: TestServer,
  path: string,
  options: { method?: string; body?: unknown; tenant?: string; token?: string } = {},
): Promise<HttpResult> {
  return request(server, path, { ...options, token: options.token ?? (await adminToken(server)) });
}

/** POST /policies (as the admin unless a token is given), expecting 200. */
export async function createPolicy(
  server: TestServer,
  body: Record<string, unknown> = {},
  options: { tenant?: string; token?: string } = {},
): Promise<PolicyBody> {
  const result = await call(server, '/policies', {
    method: 'POST',
    body: { name: `policy-${uniqueTag()}`, ...body },
    ...options,
  });
  assert.equal(result.status, 200, result.text);
  return result.body as PolicyBody;
}

export function sorted(values: readonly string[]): string[] {
  return [...values].sort();
}
