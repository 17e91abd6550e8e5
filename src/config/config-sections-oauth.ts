import { Type } from '@sinclair/typebox';
import { Secret } from './config-sections-core.ts';

/** The OAuth 2.1 / OpenID Connect interface (issue #6); see docs/oauth.md. */

const DAY = 86_400;

export const OAuthScopeDefinition = Type.Object(
  {
    description: Type.Optional(Type.String({ maxLength: 1024 })),
    acl: Type.Array(Type.String({ minLength: 1, maxLength: 1024 }), { maxItems: 1024 }),
  },
  { additionalProperties: false },
);

export const OAuthConfig = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'Serve the /oauth2/ endpoints and discovery.' }),
    issuer: Type.Union([Type.String({ pattern: '^https?://[^?#]+$' }), Type.Null()], {
      default: null,
      description:
        'The issuer identifier (RFC 8414, OIDC `iss`): the public base URL clients reach this server at. ' +
        'When null, http://<host>:<port> of this process is used, which only suits local use.',
    }),
    scopes: Type.Record(
      Type.String({ pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E]{1,128}$' }),
      OAuthScopeDefinition,
      {
        default: {},
        description:
          'OAuth scopes available in every tenant: name → { description, acl }. Tenants add their own ' +
          'through /0.1/oauth/scopes; a tenant scope of the same name wins.',
      },
    ),
    code_lifetime_seconds: Type.Integer({
      minimum: 1,
      maximum: 600,
      default: 60,
      description: 'Authorization code lifetime (RFC 9700: short; at most 10 minutes).',
    }),
    device_code_lifetime_seconds: Type.Integer({
      minimum: 30,
      maximum: 3600,
      default: 600,
      description: 'RFC 8628 device code lifetime.',
    }),
    device_poll_interval_seconds: Type.Integer({
      minimum: 1,
      maximum: 60,
      default: 5,
      description: 'RFC 8628 minimum polling interval; polling faster gets slow_down.',
    }),
    rotation_grace_seconds: Type.Integer({
      minimum: 0,
      maximum: 300,
      default: 30,
      description:
        'With rotation, the refresh token just replaced stays usable this long and returns the same ' +
        'successor (a lost response or two tabs); any older one revokes the whole family (D3).',
    }),
    default_access_token_lifetime_seconds: Type.Integer({
      minimum: 1,
      maximum: DAY,
      default: 900,
      description: 'Access-token lifetime of new clients that do not set their own.',
    }),
    default_refresh_idle_seconds: Type.Integer({
      minimum: 0,
      default: 30 * DAY,
      description:
        'Refresh-token idle expiry of new clients (D1: OAuth clients expire by default; 0 = never).',
    }),
    default_refresh_max_lifetime_seconds: Type.Integer({
      minimum: 0,
      default: 180 * DAY,
      description: 'Refresh-token absolute lifetime of new clients (0 = never).',
    }),
    signing_key_lifetime_seconds: Type.Integer({
      minimum: 3600,
      default: 90 * DAY,
      description: 'ID tokens are signed with a key for this long, then with its successor.',
    }),
    signing_key_prepublish_seconds: Type.Integer({
      minimum: 0,
      default: DAY,
      description: 'A new signing key is published in the JWKS this long before it signs anything.',
    }),
    signing_key_encryption_key: Secret(
      'Base64 of 32 bytes: the AES-256-GCM key protecting the private halves of the ID-token signing ' +
        'keys in the database. When unset, a key is generated into <data_dir>/signing-key.key. Every ' +
        'instance on one PostgreSQL needs the same key.',
    ),
    dpop_proof_max_age_seconds: Type.Integer({
      minimum: 1,
      maximum: 600,
      default: 60,
      description: 'RFC 9449: a DPoP proof older (or further in the future) than this is refused.',
    }),
  },
  { additionalProperties: false, default: {} },
);
