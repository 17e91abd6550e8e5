import { Type } from '@sinclair/typebox';
import { Nullable, UuidString } from '../http/common-schemas.ts';
import { listQuerySchema } from '../http/list-query.ts';

/** Wire shapes of the token routes, snake_case as in wazo-auth. */

export const TokenParams = Type.Object({ token: Type.String({ description: 'The access token.' }) });

export const TokenCheckQuery = Type.Object({
  scope: Type.Optional(Type.String({ maxLength: 4096, description: 'ACL the token must grant.' })),
  tenant: Type.Optional(
    Type.String({ maxLength: 64, description: "Tenant that must be in the user's subtree." }),
  ),
});

/** Documents POST /token; validation is parseTokenRequest's (marshmallow-style lenient integers). */
export const TokenRequestBody = Type.Object({
  expiration: Type.Optional(
    Type.Union([Type.Integer({ minimum: 1 }), Type.String({ pattern: '^\\s*[+-]?\\d+\\s*$' })], {
      description: 'Lifetime in seconds, 1 … max_token_lifetime_seconds (default default_token_lifetime).',
    }),
  ),
  access_type: Type.Optional(Type.Union([Type.Literal('online'), Type.Literal('offline')])),
  client_id: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
  refresh_token: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
  saml_session_id: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
  backend: Type.Optional(Type.String({ description: 'Accepted and stored; does not choose the method.' })),
  domain_name: Type.Optional(Type.String()),
  tenant_id: Type.Optional(Type.String()),
  acl: Type.Optional(
    Type.Array(Type.String({ minLength: 1, maxLength: 1024 }), {
      maxItems: 128,
      description:
        'Added by Gatehouse (#6): limits the token to what both this list and the user hold (entries the ' +
        'user lacks are dropped). With access_type offline it is stored on the refresh token and limits ' +
        'every token made from it; on a refresh it narrows that one token. Limits: http.max_scope_length, ' +
        'http.max_scopes_per_check.',
    }),
  ),
  scope: Type.Optional(
    Type.Array(Type.String({ minLength: 1, maxLength: 1024 }), {
      maxItems: 128,
      description: 'Alias of acl (#6); giving both is a 400.',
    }),
  ),
});

export const TokenObject = Type.Object(
  {
    token: Type.String(),
    auth_id: Type.String(),
    xivo_user_uuid: Nullable(Type.String()),
    xivo_uuid: Nullable(Type.String()),
    issued_at: Type.String(),
    expires_at: Type.String(),
    utc_issued_at: Type.String(),
    utc_expires_at: Type.String(),
    acl: Type.Array(Type.String()),
    metadata: Type.Object({}, { additionalProperties: true }),
    session_uuid: Type.String(),
    remote_addr: Type.String(),
    user_agent: Type.String(),
    refresh_token: Type.Optional(Type.String({ description: 'Only for access_type offline.' })),
    cnf: Type.Optional(
      Type.Object(
        { jkt: Type.String() },
        { description: 'Only for a DPoP-bound token: the thumbprint of its key (RFC 9449 §6, RFC 7800).' },
      ),
    ),
  },
  { additionalProperties: false },
);

export const TokenEnvelope = Type.Object({ data: TokenObject });

export const ScopesCheckBody = Type.Object({
  scopes: Type.Array(Type.String({ maxLength: 4096 }), { maxItems: 1000 }),
  tenant_uuid: Type.Optional(Type.String({ maxLength: 64 })),
});

export const ScopesCheckResult = Type.Object({
  scopes: Type.Record(Type.String(), Type.Boolean()),
});

export const RevokedResponse = Type.Object({ data: Type.Object({ message: Type.String() }) });

export const RefreshTokenItem = Type.Object({
  client_id: Type.String(),
  created_at: Type.String(),
  mobile: Type.Boolean(),
  user_uuid: Type.String(),
  tenant_uuid: Type.String(),
  metadata: Type.Object({}, { additionalProperties: true }),
  acl: Type.Union([Type.Array(Type.String()), Type.Null()], {
    description: 'Added by Gatehouse (#6): the scope given at the offline login; null when unscoped.',
  }),
});

export const RefreshTokenList = Type.Object({
  total: Type.Integer(),
  filtered: Type.Integer(),
  items: Type.Array(RefreshTokenItem),
});

export const RefreshTokenListQuery = listQuerySchema(['created_at', 'client_id', 'mobile'], 'created_at', {
  client_id: Type.Optional(Type.String()),
  mobile: Type.Optional(Type.Boolean()),
  created_at: Type.Optional(Type.String()),
});

export const UserTokensParams = Type.Object({ user_uuid: UuidString() });
export const UserClientParams = Type.Object({
  user_uuid: UuidString(),
  client_id: Type.String({ minLength: 1, maxLength: 1024 }),
});
export const MeClientParams = Type.Object({ client_id: Type.String({ minLength: 1, maxLength: 1024 }) });

export const SessionItem = Type.Object({
  uuid: Type.String(),
  mobile: Type.Boolean(),
  tenant_uuid: Type.String(),
  user_uuid: Nullable(Type.String()),
});

export const SessionList = Type.Object({
  total: Type.Integer(),
  filtered: Type.Integer(),
  items: Type.Array(SessionItem),
});

export const SessionListQuery = listQuerySchema(['mobile'], 'mobile', {});

export const SessionParams = Type.Object({ session_uuid: UuidString() });
export const UserSessionParams = Type.Object({
  user_uuid: UuidString(),
  session_uuid: UuidString(),
});
