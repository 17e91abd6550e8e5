import { Type } from '@sinclair/typebox';
import { UuidString } from '../http/common-schemas.ts';
import { ListEnvelope, listQuerySchema } from '../http/list-query.ts';
import { SLUG_MAX_LENGTH, SLUG_PATTERN } from './slug.ts';

/** Wire shapes of the groups routes (wazo §2.6). */

const Name = Type.String({ minLength: 1, maxLength: 128 });

export const GroupCreateBody = Type.Object(
  {
    name: Name,
    slug: Type.Optional(Type.String({ minLength: 1, maxLength: SLUG_MAX_LENGTH, pattern: SLUG_PATTERN })),
  },
  { additionalProperties: false },
);

export const GroupEditBody = Type.Object({ name: Name }, { additionalProperties: false });

export const GroupObject = Type.Object({
  uuid: Type.String(),
  name: Type.String(),
  slug: Type.String(),
  tenant_uuid: Type.String(),
  read_only: Type.Boolean(),
  system_managed: Type.Boolean(),
});

export const GroupList = ListEnvelope(GroupObject);

/** Sort by name or uuid only: wazo lets `slug` and `read_only` through validation, then fails with 400. */
export const GroupListQuery = listQuerySchema(['name', 'uuid'], 'name', {
  uuid: Type.Optional(Type.String()),
  name: Type.Optional(Type.String()),
  slug: Type.Optional(Type.String()),
  user_uuid: Type.Optional(Type.String()),
  read_only: Type.Optional(Type.Boolean()),
  policy_uuid: Type.Optional(Type.String()),
  policy_slug: Type.Optional(Type.String()),
});

export const GroupParams = Type.Object({ group_uuid: UuidString() });
export const GroupUserParams = Type.Object({ group_uuid: UuidString(), user_uuid: UuidString() });
export const UserParams = Type.Object({ user_uuid: UuidString() });
