import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { DomainEvent } from '../events/event-sink.ts';
import type { Db } from '../storage/database.ts';
import {
  adminRequest,
  type CreatedUser,
  createUser,
  type HttpResult,
  login,
  type RequestOptions,
  type TokenData,
} from './http-client.ts';
import type { TestServer } from './test-server.ts';

/**
 * Shared fixtures of the test suites: rows the API cannot create yet (tenants, policies, groups),
 * users with an ACL, list and event look-ups, and the checks of wazo's two error bodies (§1.5).
 */

/** A lower- or upper-case UUID, as wazo renders tokens, sessions and refresh tokens. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The body of every wazo list route (§1.6). */
export interface ListBody<T> {
  total: number;
  filtered: number;
  items: T[];
}

/** An item of GET /sessions and GET /users/{uuid}/sessions. */
export interface SessionItem {
  uuid: string;
  mobile: boolean;
  tenant_uuid: string;
  user_uuid: string | null;
}

/** The uuid and tenant of a user, all that policies and events need. */
export interface UserRef {
  uuid: string;
  tenant_uuid: string;
}

/** Eight random hex characters, to make names unique within a test database. */
export function uniqueTag(): string {
  return randomUUID().slice(0, 8);
}

/** A fresh random password (longer than the 8-character minimum). */
export function newPassword(): string {
  return `pw-${randomUUID()}`;
}

/** Creates a user through the API with a fresh password, in `tenant` when given. */
export function newUser(
  server: TestServer,
  fields: Record<string, unknown> = {},
  tenant?: string,
): Promise<CreatedUser> {
  return createUser(server, { password: newPassword(), ...fields }, tenant ? { tenant } : {});
}

/** Inserts an auth_tenant row (there is no tenant API yet); a tenant without parent is its own parent. */
export async function insertTenantRow(
  db: Db,
  row: { slug: string; parentUuid?: string; defaultAuthenticationMethod?: string },
): Promise<string> {
  const uuid = randomUUID();
  await db
    .insertInto('auth_tenant')
    .values({
      uuid,
      name: row.slug,
      slug: row.slug,
      phone: null,
      contact_uuid: null,
      parent_uuid: row.parentUuid ?? uuid,
      default_authentication_method: row.defaultAuthenticationMethod ?? 'native',
      created_at: Date.now(),
    })
    .execute();
  return uuid;
}

/** Inserts a tenant under `parentUuid` (the top tenant by default); `allUsersGroup` also creates its all-users group. */
export async function createSubTenant(
  server: TestServer,
  parentUuid: string = server.topTenantUuid,
  options: { defaultAuthenticationMethod?: string; allUsersGroup?: boolean } = {},
): Promise<string> {
  const slug = `sub-${randomUUID().replaceAll('-', '').slice(0, 20)}`;
  const uuid = await insertTenantRow(server.container.storage.db, {
    slug,
    parentUuid,
    defaultAuthenticationMethod: options.defaultAuthenticationMethod,
  });
  if (options.allUsersGroup) await server.container.repositories.groups.ensureAllUsersGroup(uuid);
  return uuid;
}

/** Creates the policy `slug` (a fresh one by default) of the tenant, or replaces its ACL; returns its uuid. */
export function upsertPolicy(
  server: TestServer,
  tenantUuid: string,
  acl: readonly string[],
  slug = `policy-${randomUUID()}`,
): Promise<string> {
  return server.container.repositories.policies.upsert({
    tenantUuid,
    slug,
    description: null,
    acl,
    configManaged: false,
  });
}

/** Gives the user a fresh policy holding `acl` (there is no policy API yet); returns the policy uuid. */
export async function grantAcl(server: TestServer, user: UserRef, acl: readonly string[]): Promise<string> {
  const policyUuid = await upsertPolicy(server, user.tenant_uuid, acl);
  await server.container.repositories.policies.attachToUser(user.uuid, policyUuid);
  return policyUuid;
}

/** Inserts a group (not system managed) in the tenant (there is no group API yet); returns its uuid. */
export async function createGroup(
  server: TestServer,
  tenantUuid: string,
  slug = `group-${uniqueTag()}`,
): Promise<string> {
  const uuid = randomUUID();
  await server.container.storage.db
    .insertInto('auth_group')
    .values({ uuid, name: slug, slug, tenant_uuid: tenantUuid, system_managed: false })
    .execute();
  return uuid;
}

/** Makes the user a member of the group. */
export async function addUserToGroup(server: TestServer, groupUuid: string, userUuid: string): Promise<void> {
  await server.container.storage.db
    .insertInto('auth_user_group')
    .values({ group_uuid: groupUuid, user_uuid: userUuid })
    .execute();
}

/** A new user (in `options.tenant` if given) holding `acl` through its own policy, logged in with `options.body`. */
export async function userWithAcl(
  server: TestServer,
  acl: readonly string[],
  options: { tenant?: string; body?: Record<string, unknown> } = {},
): Promise<{ user: CreatedUser; token: TokenData }> {
  const user = await createUser(server, {}, { tenant: options.tenant });
  if (acl.length > 0) await grantAcl(server, user, acl);
  return { user, token: await login(server, user.username, user.password, options.body ?? {}) };
}

/** The token data of a 200 answer to POST or GET /token, failing the test on any other status. */
export function tokenOf(result: HttpResult): TokenData {
  assert.equal(result.status, 200, result.text);
  return (result.body as { data: TokenData }).data;
}

/** GETs a list route (as the admin unless a token is given), expecting 200; returns the list body. */
export async function listOf<T>(
  server: TestServer,
  path: string,
  options: Pick<RequestOptions, 'token' | 'tenant'> = {},
): Promise<ListBody<T>> {
  const result = await adminRequest(server, path, options);
  assert.equal(result.status, 200, `${path}: ${result.text}`);
  return result.body as ListBody<T>;
}

/** The uuids of the items of a list. */
export function uuidsOf(list: ListBody<{ uuid: string }>): string[] {
  return list.items.map((item) => item.uuid);
}

/** The published events called `name` about the session `sessionUuid`. */
export function sessionEvents(server: TestServer, name: string, sessionUuid: string): DomainEvent[] {
  return server.events.named(name).filter((e) => e.data.uuid === sessionUuid);
}

/** The published events called `name` about the user `userUuid`. */
export function userEvents(server: TestServer, name: string, userUuid: string): DomainEvent[] {
  return server.events.named(name).filter((e) => e.data.user_uuid === userUuid);
}

/** Checks that one auth_session_deleted was published for the user's session; returns it. */
export function assertSessionDeleted(server: TestServer, user: UserRef, sessionUuid: string): DomainEvent {
  const events = sessionEvents(server, 'auth_session_deleted', sessionUuid);
  assert.equal(events.length, 1, sessionUuid);
  const [event] = events as [DomainEvent];
  assert.deepEqual(event.data, { uuid: sessionUuid, user_uuid: user.uuid, tenant_uuid: user.tenant_uuid });
  return event;
}

/** wazo's legacy error body (§1.5): exactly `{reason: [msg], timestamp: [float], status_code}`; returns msg. */
export function assertLegacyError(result: HttpResult, status: number, reason?: RegExp | string): string {
  assert.equal(result.status, status, result.text);
  const body = result.body as { reason: unknown[]; timestamp: unknown[]; status_code: unknown };
  assert.deepEqual(Object.keys(body).sort(), ['reason', 'status_code', 'timestamp']);
  assert.equal(body.status_code, status);
  assert.ok(Array.isArray(body.reason) && body.reason.length === 1, result.text);
  assert.equal(typeof body.reason[0], 'string');
  assert.ok(Array.isArray(body.timestamp) && body.timestamp.length === 1, result.text);
  assert.equal(typeof body.timestamp[0], 'number');
  const message = body.reason[0] as string;
  if (typeof reason === 'string') assert.equal(message, reason);
  else if (reason) assert.match(message, reason);
  return message;
}

/** The legacy 401 `Authentication Failed` of a refused login. */
export function assertAuthFailed(result: HttpResult): void {
  assertLegacyError(result, 401, 'Authentication Failed');
}

/** wazo's APIException body of the management routes (§1.3); returns its details. */
export function assertApiError(result: HttpResult, status: number, errorId: string): Record<string, unknown> {
  assert.equal(result.status, status, result.text);
  const body = result.body as Record<string, unknown>;
  assert.equal(body.error_id, errorId);
  assert.equal(typeof body.message, 'string');
  assert.equal(typeof body.timestamp, 'number');
  return (body.details ?? {}) as Record<string, unknown>;
}

/** A 400 invalid-list-param answer to a list query (`label` names the case), of `resource` when given. */
export function assertInvalidListParam(result: HttpResult, label: string, resource?: string): void {
  assert.equal(result.status, 400, `${label}: ${result.text}`);
  const body = result.body as { error_id: string; resource: string };
  assert.equal(body.error_id, 'invalid-list-param', label);
  if (resource !== undefined) assert.equal(body.resource, resource, label);
}
