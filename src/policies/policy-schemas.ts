import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { DomainError } from '../errors/domain-error.ts';
import { SLUG_MAX_LENGTH, SLUG_PATTERN } from '../groups/slug.ts';
import { Nullable, UuidString } from '../http/common-schemas.ts';
import { ListEnvelope, listQuerySchema } from '../http/list-query.ts';

/** Wire shapes of the policy routes (wazo §2.6–§2.8). */

/** Bounds what one policy may hold, so the guard's work per request stays small. */
const MAX_ACCESS_LENGTH = 1024;
const MAX_ACL_ENTRIES = 1000;

const editable = {
  name: Type.String({ minLength: 1, maxLength: 80 }),
  description: Type.Optional(Nullable(Type.String())),
  acl: Type.Optional(
    Type.Array(Type.String({ maxLength: MAX_ACCESS_LENGTH }), { maxItems: MAX_ACL_ENTRIES }),
  ),
};

export const PolicyCreateBody = Type.Object(
  {
    ...editable,
    slug: Type.Optional(Type.String({ minLength: 1, maxLength: SLUG_MAX_LENGTH, pattern: SLUG_PATTERN })),
    shared: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

/** PUT ignores slug and shared (both immutable): they are dropped like any unknown field. */
export const PolicyEditBody = Type.Object(editable, { additionalProperties: false });

export const PolicyObject = Type.Object({
  uuid: Type.String(),
  tenant_uuid: Type.String(),
  name: Type.String(),
  slug: Type.String(),
  description: Nullable(Type.String()),
  acl: Type.Array(Type.String()),
  read_only: Type.Boolean(),
  shared: Type.Boolean(),
});

/** GET /policies is the one wazo list without `filtered`. */
export const PolicyListBody = Type.Object({ total: Type.Integer(), items: Type.Array(PolicyObject) });
export const PolicyList = ListEnvelope(PolicyObject);

const filters = {
  uuid: Type.Optional(Type.String()),
  name: Type.Optional(Type.String()),
  slug: Type.Optional(Type.String()),
  user_uuid: Type.Optional(Type.String()),
  group_uuid: Type.Optional(Type.String()),
  tenant_uuid: Type.Optional(Type.String()),
  read_only: Type.Optional(Type.Boolean()),
};

export const PolicyListQuery = listQuerySchema(['name', 'slug', 'description', 'uuid'], 'name', filters);
export const UserPolicyListQuery = listQuerySchema(['name', 'description', 'uuid'], 'name', filters);

/** A policy UUID, or a slug (resolved in the scoping tenant only). */
const PolicyReference = Type.String({ minLength: 1 });
export const PolicyParams = Type.Object({ policy_uuid: PolicyReference });
export const PolicyAccessParams = Type.Object({ policy_uuid: PolicyReference, access: Type.String() });
export const GroupParams = Type.Object({ group_uuid: UuidString() });
export const GroupPolicyParams = Type.Object({ group_uuid: UuidString(), policy_uuid: PolicyReference });
export const UserParams = Type.Object({ user_uuid: UuidString() });
export const UserPolicyParams = Type.Object({ user_uuid: UuidString(), policy_uuid: PolicyReference });

/**
 * wazo answers a bad policy body in its legacy shape, naming the first bad field (§1.5:
 * "Invalid value supplied for field: <name>"); routes attach validation errors and call this.
 */
export function rejectInvalidPolicyInput(request: FastifyRequest): void {
  const error = request.validationError;
  if (!error) return;
  if (error.validationContext === 'params') throw new DomainError('not-found');
  const issue = (error as { validation?: { instancePath: string; params: Record<string, unknown> }[] })
    .validation?.[0];
  const path = issue?.instancePath.replace(/^\//, '').split('/')[0] ?? '';
  const missing = issue?.params.missingProperty;
  const field = path || (typeof missing === 'string' ? missing : 'body');
  throw new DomainError('invalid-policy-input', { message: `Invalid value supplied for field: ${field}` });
}
