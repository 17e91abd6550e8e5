import { Type } from '@sinclair/typebox';
import { UuidString } from '../../http/common-schemas.ts';
import { ListEnvelope, listQuerySchema } from '../../http/list-query.ts';
import { SCOPE_NAME_PATTERN } from '../scopes/oauth-scope-schemas.ts';
import { CLIENT_AUTH_METHODS, GRANT_TYPES } from './oauth-client.ts';

/** Wire shapes of /0.1/oauth/clients (issue #6 §2); field names follow RFC 7591 where it has one. */

/** RFC 3986 unreserved characters: a client_id travels in URLs and Basic credentials as is. */
const CLIENT_ID_PATTERN = '^[A-Za-z0-9._~-]{1,128}$';
const MAX_ACCESS_LENGTH = 1024;
const MAX_ACL_ENTRIES = 1000;
const MAX_REDIRECT_URIS = 32;
const MAX_JWKS_KEYS = 16;
const YEAR = 365 * 86_400;

const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));

const ClientType = Type.Union([Type.Literal('confidential'), Type.Literal('public')]);
const Rotation = Type.Union([Type.Literal('rotate'), Type.Literal('none')]);
const ScopeName = Type.String({ pattern: SCOPE_NAME_PATTERN });
const Jwks = Type.Object(
  { keys: Type.Array(Type.Record(Type.String(), Type.Unknown()), { maxItems: MAX_JWKS_KEYS }) },
  { additionalProperties: false },
);

const editable = {
  name: Type.String({ minLength: 1, maxLength: 128 }),
  token_endpoint_auth_method: Type.Optional(literals(CLIENT_AUTH_METHODS)),
  jwks: Type.Optional(Type.Union([Jwks, Type.Null()])),
  redirect_uris: Type.Optional(
    Type.Array(Type.String({ minLength: 1, maxLength: 2048 }), { maxItems: MAX_REDIRECT_URIS }),
  ),
  grant_types: Type.Optional(Type.Array(literals(GRANT_TYPES), { maxItems: GRANT_TYPES.length * 2 })),
  scopes: Type.Optional(Type.Array(ScopeName, { maxItems: 256 })),
  acl: Type.Optional(
    Type.Array(Type.String({ minLength: 1, maxLength: MAX_ACCESS_LENGTH }), { maxItems: MAX_ACL_ENTRIES }),
  ),
  access_token_lifetime_seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
  refresh_idle_seconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 10 * YEAR })),
  refresh_max_lifetime_seconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 10 * YEAR })),
  rotation: Type.Optional(Rotation),
  dpop_bound: Type.Optional(Type.Boolean()),
  skip_consent: Type.Optional(Type.Boolean()),
};

export const OAuthClientCreateBody = Type.Object(
  {
    client_id: Type.Optional(Type.String({ pattern: CLIENT_ID_PATTERN })),
    client_type: ClientType,
    ...editable,
  },
  { additionalProperties: false },
);

/** PUT replaces the registration; client_id and client_type are immutable and dropped if sent. */
export const OAuthClientEditBody = Type.Object(editable, { additionalProperties: false });

const clientFields = {
  uuid: Type.String(),
  tenant_uuid: Type.String(),
  client_id: Type.String(),
  name: Type.String(),
  client_type: ClientType,
  token_endpoint_auth_method: Type.String(),
  jwks: Type.Union([Jwks, Type.Null()]),
  redirect_uris: Type.Array(Type.String()),
  grant_types: Type.Array(Type.String()),
  scopes: Type.Array(Type.String()),
  acl: Type.Array(Type.String()),
  access_token_lifetime_seconds: Type.Integer(),
  refresh_idle_seconds: Type.Integer(),
  refresh_max_lifetime_seconds: Type.Integer(),
  rotation: Rotation,
  dpop_bound: Type.Boolean(),
  skip_consent: Type.Boolean(),
  created_at: Type.String({ description: 'ISO 8601, UTC' }),
};

export const OAuthClientObject = Type.Object(clientFields);

/** The create, update and rotate-secret answers: `client_secret` only when one was just generated. */
export const OAuthClientWithSecret = Type.Object({
  ...clientFields,
  client_secret: Type.Optional(
    Type.String({ description: 'Shown once, when generated; only its SHA-256 digest is kept.' }),
  ),
});

export const OAuthClientList = ListEnvelope(OAuthClientObject);

export const OAuthClientListQuery = listQuerySchema(['name', 'client_id', 'created_at'], 'name', {
  uuid: Type.Optional(Type.String()),
  client_id: Type.Optional(Type.String()),
  name: Type.Optional(Type.String()),
  client_type: Type.Optional(ClientType),
});

export const OAuthClientParams = Type.Object({ client_uuid: UuidString() });
