import { Type } from '@sinclair/typebox';
import { Nullable, UuidString } from '../../http/common-schemas.ts';
import { ListEnvelope, listQuerySchema } from '../../http/list-query.ts';

/** Wire shapes of /0.1/oauth/scopes (issue #6 §3). */

/** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ). */
export const SCOPE_NAME_PATTERN = '^[\\x21\\x23-\\x5B\\x5D-\\x7E]{1,128}$';
const MAX_ACCESS_LENGTH = 1024;
const MAX_ACL_ENTRIES = 1000;

const editable = {
  description: Type.Optional(Nullable(Type.String({ maxLength: 1024 }))),
  acl: Type.Optional(
    Type.Array(Type.String({ minLength: 1, maxLength: MAX_ACCESS_LENGTH }), { maxItems: MAX_ACL_ENTRIES }),
  ),
};

export const OAuthScopeCreateBody = Type.Object(
  { name: Type.String({ pattern: SCOPE_NAME_PATTERN }), ...editable },
  { additionalProperties: false },
);

/** PUT replaces description and ACL; the name is immutable (clients refer to it) and dropped if sent. */
export const OAuthScopeEditBody = Type.Object(editable, { additionalProperties: false });

const Source = Type.Union([Type.Literal('tenant'), Type.Literal('config'), Type.Literal('protocol')], {
  description:
    'tenant: made through this API; config: config.oauth.scopes, in every tenant; protocol: ' +
    'OpenID Connect and RFC 6749 scopes, which carry no ACL. Only tenant scopes can be changed.',
});

export const OAuthScopeObject = Type.Object({
  uuid: Nullable(Type.String({ description: 'null for config and protocol scopes' })),
  tenant_uuid: Type.String(),
  name: Type.String(),
  description: Nullable(Type.String()),
  acl: Type.Array(Type.String()),
  source: Source,
  read_only: Type.Boolean(),
});

export const OAuthScopeList = ListEnvelope(OAuthScopeObject);

export const OAuthScopeListQuery = listQuerySchema(['name', 'source'], 'name', {
  name: Type.Optional(Type.String()),
  source: Type.Optional(Source),
});

export const OAuthScopeParams = Type.Object({ scope_uuid: UuidString() });
