import { Type } from '@sinclair/typebox';
import { Nullable, UuidString } from '../http/common-schemas.ts';
import { listQuerySchema } from '../http/list-query.ts';
import { DOMAIN_NAME_PATTERN, TENANT_SLUG_PATTERN } from './tenant.ts';

/** Wire shapes of the tenants routes (wazo §2.5), snake_case as in wazo-auth. */

const text = (maxLength: number) => Type.Optional(Nullable(Type.String({ minLength: 1, maxLength })));

export const AddressBody = Type.Object(
  {
    line_1: text(256),
    line_2: text(256),
    city: text(128),
    state: text(128),
    country: text(128),
    zip_code: text(16),
  },
  { additionalProperties: false },
);

const Method = Type.Union(['native', 'ldap', 'saml'].map((m) => Type.Literal(m)));

/** PUT body: everything but the uuid and the slug, which are fixed at creation. */
export const TenantEditBody = Type.Object(
  {
    name: text(128),
    contact: Type.Optional(Nullable(UuidString())),
    phone: text(32),
    domain_names: Type.Optional(
      Type.Array(Type.String({ pattern: DOMAIN_NAME_PATTERN, maxLength: 254 }), { maxItems: 1000 }),
    ),
    default_authentication_method: Type.Optional(Method),
    address: Type.Optional(AddressBody),
  },
  { additionalProperties: false },
);

export const TenantCreateBody = Type.Object(
  {
    ...TenantEditBody.properties,
    uuid: Type.Optional(Nullable(UuidString())),
    slug: Type.Optional(Nullable(Type.String({ pattern: TENANT_SLUG_PATTERN }))),
  },
  { additionalProperties: false },
);

const NullableText = Nullable(Type.String());

export const TenantObject = Type.Object({
  uuid: Type.String(),
  parent_uuid: Type.String(),
  name: NullableText,
  slug: Type.String(),
  contact: NullableText,
  phone: NullableText,
  domain_names: Type.Array(Type.String()),
  default_authentication_method: Type.String(),
  address: Type.Object({
    line_1: NullableText,
    line_2: NullableText,
    city: NullableText,
    state: NullableText,
    country: NullableText,
    zip_code: NullableText,
  }),
});

export const TenantList = Type.Object({
  total: Type.Integer(),
  filtered: Type.Integer(),
  items: Type.Array(TenantObject),
});

/** `uuids` may be repeated or comma-separated (wazo's MultiDictAwareList); the service caps it at 25. */
export const TenantListQuery = listQuerySchema(['name', 'slug'], 'name', {
  uuid: Type.Optional(Type.String()),
  uuids: Type.Optional(Type.Array(Type.String({ maxLength: 1024 }), { maxItems: 25 })),
  name: Type.Optional(Type.String()),
  slug: Type.Optional(Type.String()),
  domain_name: Type.Optional(Type.String()),
});

export const DomainList = Type.Object({
  total: Type.Integer(),
  items: Type.Array(Type.Object({ name: Type.String(), uuid: Type.String() })),
});

export const TenantParams = Type.Object({ tenant_uuid: UuidString() });

export const TenantParentParams = Type.Object({
  tenant_uuid: UuidString(),
  parent_tenant_uuid: UuidString(),
});
