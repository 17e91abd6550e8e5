import { Type } from '@sinclair/typebox';
import { Nullable, UuidString } from '../http/common-schemas.ts';
import { listQuerySchema } from '../http/list-query.ts';

/** Wire shapes of the users routes (wazo §2.2), snake_case as in wazo-auth. */

const Purpose = Type.Union([Type.Literal('user'), Type.Literal('internal'), Type.Literal('external_api')]);
const Method = Type.Union(['default', 'native', 'ldap', 'saml'].map((m) => Type.Literal(m)));
const Name = Nullable(Type.String({ maxLength: 512 }));
const EMAIL_PATTERN = '^[^\\s@]+@[^\\s@]+$';

export const UserEditBody = Type.Object(
  {
    username: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 256 }))),
    firstname: Type.Optional(Name),
    lastname: Type.Optional(Name),
    purpose: Type.Optional(Purpose),
    authentication_method: Type.Optional(Method),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const UserCreateBody = Type.Object(
  {
    ...UserEditBody.properties,
    uuid: Type.Optional(UuidString()),
    password: Type.Optional(Nullable(Type.String({ minLength: 1 }))),
    email_address: Type.Optional(Nullable(Type.String({ pattern: EMAIL_PATTERN, maxLength: 254 }))),
  },
  { additionalProperties: false },
);

export const PasswordChangeBody = Type.Object(
  {
    old_password: Type.String({ minLength: 1 }),
    new_password: Type.String({ minLength: 1 }),
  },
  { additionalProperties: false },
);

export const EmailObject = Type.Object({
  uuid: Type.String(),
  address: Type.String(),
  main: Type.Boolean(),
  confirmed: Type.Boolean(),
});

export const UserObject = Type.Object({
  uuid: Type.String(),
  username: Nullable(Type.String()),
  firstname: Nullable(Type.String()),
  lastname: Nullable(Type.String()),
  purpose: Type.String(),
  tenant_uuid: Type.String(),
  enabled: Type.Boolean(),
  authentication_method: Type.String(),
  emails: Type.Array(EmailObject),
});

export const UserList = Type.Object({
  total: Type.Integer(),
  filtered: Type.Integer(),
  items: Type.Array(UserObject),
});

export const UserListQuery = listQuerySchema(['username', 'firstname', 'lastname'], 'username', {
  uuid: Type.Optional(Type.String()),
  username: Type.Optional(Type.String()),
  firstname: Type.Optional(Type.String()),
  lastname: Type.Optional(Type.String()),
  purpose: Type.Optional(Type.String()),
  email_address: Type.Optional(Type.String()),
  group_uuid: Type.Optional(Type.String()),
  policy_uuid: Type.Optional(Type.String()),
  policy_slug: Type.Optional(Type.String()),
  has_policy_uuid: Type.Optional(Type.String()),
  has_policy_slug: Type.Optional(Type.String()),
});

export const UserParams = Type.Object({ user_uuid: UuidString() });
