import { Type } from '@sinclair/typebox';

/** Sections of the configuration about HTTP, identities, tokens and passwords (see config-schema.ts). */

export const Secret = (description: string) =>
  Type.Union([Type.String({ minLength: 1 }), Type.Null()], { default: null, description, secret: true });

export const PolicyDefinition = Type.Object(
  {
    acl: Type.Array(Type.String({ minLength: 1, maxLength: 512 }), { default: [] }),
    description: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  },
  { additionalProperties: false },
);

export const HttpConfig = Type.Object(
  {
    body_limit_bytes: Type.Integer({
      minimum: 1024,
      maximum: 10_485_760,
      default: 65_536,
      description: 'Largest request body accepted; larger bodies get 413.',
    }),
    max_header_bytes: Type.Integer({
      minimum: 4096,
      maximum: 65_536,
      default: 16_384,
      description: 'Largest request line plus headers accepted (Node maxHeaderSize); larger get 431.',
    }),
    request_timeout_ms: Type.Integer({
      minimum: 1000,
      maximum: 600_000,
      default: 30_000,
      description:
        'Longest time a client may take to send a whole request (headers and body); slower ones get 408 and are disconnected.',
    }),
    json_max_depth: Type.Integer({
      minimum: 4,
      maximum: 256,
      default: 32,
      description:
        'Deepest nesting of arrays and objects accepted in a JSON body (wazo bodies need 3); deeper get 400.',
    }),
    max_scope_length: Type.Integer({
      minimum: 64,
      maximum: 4096,
      default: 1024,
      description:
        'Longest ACL accepted as a token-check scope (?scope= or scopes/check) or as an entry of the ' +
        'acl/scope list of POST /token; longer get 400.',
    }),
    max_scopes_per_check: Type.Integer({
      minimum: 1,
      maximum: 1000,
      default: 128,
      description:
        'Most scopes accepted in one POST /token/{token}/scopes/check, and most entries of the acl/scope ' +
        'list of POST /token; more get 400. At 128 a check against a 1,000-entry ACL stays near 5 ms.',
    }),
    trusted_proxies: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      description:
        'Addresses or CIDR ranges of reverse proxies whose X-Forwarded-For is trusted for remote_addr ' +
        '(wazo-auth trusts one hop unconditionally; Gatehouse trusts none unless listed).',
    }),
    cors_enabled: Type.Boolean({
      default: true,
      description: 'Answer CORS requests (wazo-auth enables CORS by default so browser apps can log in).',
    }),
    cors_allowed_origins: Type.Array(Type.String({ minLength: 1 }), {
      default: ['*'],
      description: 'Origins allowed by CORS; `*` allows any.',
    }),
    path_prefix: Type.String({
      default: '',
      pattern: '^(/[A-Za-z0-9._~-]+)*$',
      description: 'Extra path prefix served before /0.1, e.g. /api/auth as behind the Wazo nginx.',
    }),
  },
  { additionalProperties: false, default: {} },
);

export const BootstrapConfig = Type.Object(
  {
    username: Type.String({
      minLength: 1,
      maxLength: 256,
      default: 'admin',
      description: 'Username of the first administrator, created on first start with the `#` ACL.',
    }),
    password: Secret(
      'Password of the first administrator. When unset, one is generated on first start, printed once ' +
        'and saved to <data_dir>/bootstrap-password (mode 0600).',
    ),
  },
  { additionalProperties: false, default: {} },
);

export const RefreshTokenConfig = Type.Object(
  {
    reuse_on_relogin: Type.Boolean({
      default: true,
      description:
        'Return the existing refresh token on a non-mobile offline re-login with the same client_id ' +
        '(wazo-auth behaviour). Needs the value kept encrypted; when false each login mints a new one.',
    }),
    encryption_key: Secret(
      'Base64 of 32 bytes: the AES-256-GCM key protecting refresh tokens kept for re-login. When unset, ' +
        'a key is generated into <data_dir>/refresh-token.key. Every instance on one PostgreSQL needs the same key.',
    ),
    max_idle_seconds: Type.Integer({
      minimum: 0,
      default: 0,
      description: 'Refresh tokens unused for this long stop working (0: never, as wazo-auth).',
    }),
    max_lifetime_seconds: Type.Integer({
      minimum: 0,
      default: 0,
      description: 'Refresh tokens older than this stop working (0: never, as wazo-auth).',
    }),
    rotate_client_ids: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      description:
        'client_ids whose refresh tokens rotate (D3): each refresh login returns a new refresh_token, ' +
        'and presenting an older one revokes the token and its sessions. Empty: never, as wazo-auth.',
    }),
    rotation_grace_seconds: Type.Integer({
      minimum: 0,
      default: 30,
      description:
        'For rotate_client_ids: how long the refresh token just replaced still works, answering the same successor.',
    }),
  },
  { additionalProperties: false, default: {} },
);

export const PasswordConfig = Type.Object(
  {
    min_length: Type.Integer({
      minimum: 1,
      maximum: 128,
      default: 8,
      description: 'Shortest password accepted when a password is set through the API (decision D11).',
    }),
    max_length: Type.Integer({
      minimum: 8,
      maximum: 4096,
      default: 1024,
      description: 'Longest password accepted; longer ones are refused before any hashing.',
    }),
    argon2_memory_kib: Type.Integer({
      minimum: 19_456,
      default: 19_456,
      description: 'argon2id memory cost.',
    }),
    argon2_time_cost: Type.Integer({ minimum: 2, default: 2, description: 'argon2id iterations.' }),
    hash_concurrency: Type.Integer({
      minimum: 0,
      default: 0,
      description: 'Password hashes computed at once (0: one per CPU core).',
    }),
    hash_thread_nice: Type.Integer({
      minimum: 0,
      maximum: 19,
      default: 10,
      description:
        'Nice value of the password-hashing threads (Linux): above 0, token checks get the CPU first ' +
        'when logins and checks compete; 0 gives hashes the same priority.',
    }),
    hash_queue_limit: Type.Integer({
      minimum: 1,
      default: 256,
      description: 'Hashes allowed to wait; beyond it logins get 503 with Retry-After.',
    }),
  },
  { additionalProperties: false, default: {} },
);

export const TokenCacheConfig = Type.Object(
  {
    max_entries: Type.Integer({
      minimum: 0,
      default: 200_000,
      description: 'Tokens kept in the in-process check cache (0 disables it); the oldest go first.',
    }),
    max_age_seconds: Type.Number({
      minimum: 0,
      default: 60,
      description: 'A cached token is read again from the database after this long.',
    }),
    negative_max_age_seconds: Type.Number({
      minimum: 0,
      default: 5,
      description: 'How long an unknown token is remembered as unknown.',
    }),
    max_staleness_ms: Type.Integer({
      minimum: 100,
      default: 1000,
      description:
        'PostgreSQL: the longest a revocation made on another instance can go unseen here. The cache is ' +
        'trusted only while this instance has heard its own LISTEN/NOTIFY heartbeat within this time.',
    }),
    heartbeat_ms: Type.Integer({
      minimum: 20,
      default: 250,
      description: 'PostgreSQL: how often each instance proves its notification channel alive.',
    }),
    fast_path: Type.Boolean({
      default: true,
      description:
        'Answer `HEAD /0.1/token/{token}?scope=` checks the cache can settle (granted 204, refused scope ' +
        '403, unknown or expired token 404) before the web framework (same answer, a third of the CPU). ' +
        'They are counted in the metrics but not logged one by one.',
    }),
  },
  { additionalProperties: false, default: {} },
);
