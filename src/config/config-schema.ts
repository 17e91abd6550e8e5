import { type Static, Type } from '@sinclair/typebox';

/**
 * The whole configuration, one TypeBox schema: defaults, descriptions and types live here and
 * nowhere else. docs/config.md and the README table are generated from it, and every leaf can be
 * set from YAML or from a `GATEHOUSE_*` variable named after its path (see config-env.ts).
 * Names follow wazo-auth's config.yml where an equivalent option exists.
 */

const Secret = (description: string) =>
  Type.Union([Type.String({ minLength: 1 }), Type.Null()], { default: null, description, secret: true });

const PolicyDefinition = Type.Object(
  {
    acl: Type.Array(Type.String({ minLength: 1, maxLength: 512 }), { default: [] }),
    description: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  },
  { additionalProperties: false },
);

const HttpConfig = Type.Object(
  {
    body_limit_bytes: Type.Integer({
      minimum: 1024,
      maximum: 10_485_760,
      default: 65_536,
      description: 'Largest request body accepted; larger bodies get 413.',
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

const BootstrapConfig = Type.Object(
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

const RefreshTokenConfig = Type.Object(
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
  },
  { additionalProperties: false, default: {} },
);

const PasswordConfig = Type.Object(
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
    hash_queue_limit: Type.Integer({
      minimum: 1,
      default: 256,
      description: 'Hashes allowed to wait; beyond it logins get 503 with Retry-After.',
    }),
  },
  { additionalProperties: false, default: {} },
);

const TokenCacheConfig = Type.Object(
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
  },
  { additionalProperties: false, default: {} },
);

const MetricsConfig = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'Serve Prometheus metrics at /metrics.' }),
    port: Type.Union([Type.Integer({ minimum: 1, maximum: 65_535 }), Type.Null()], {
      default: null,
      description:
        'When set, /metrics is served without authentication on this separate port (bound to metrics.host) ' +
        'and not on the main port; when null, it is on the main port and needs the auth.metrics.read ACL.',
    }),
    host: Type.String({
      minLength: 1,
      default: '127.0.0.1',
      description: 'Address of the separate metrics port.',
    }),
  },
  { additionalProperties: false, default: {} },
);

const SmtpConfig = Type.Object(
  {
    host: Type.String({
      minLength: 1,
      default: 'localhost',
      description: 'SMTP server (wazo: smtp.hostname).',
    }),
    port: Type.Integer({ minimum: 1, maximum: 65_535, default: 25, description: 'SMTP port.' }),
    secure: Type.Boolean({
      default: false,
      description: 'Connect with TLS from the start (port 465); otherwise STARTTLS is used when offered.',
    }),
    username: Type.Union([Type.String({ minLength: 1 }), Type.Null()], {
      default: null,
      description: 'SMTP AUTH user; no authentication when null.',
    }),
    password: Secret('SMTP AUTH password.'),
    from_address: Type.String({
      minLength: 3,
      default: 'noreply@localhost',
      description: 'Sender address of the emails (wazo: *_from_address).',
    }),
    from_name: Type.String({ default: 'wazo-auth', description: 'Sender display name (wazo: *_from_name).' }),
    timeout_ms: Type.Integer({
      minimum: 100,
      default: 4000,
      description: 'Connection and socket timeout; a request waiting on mail fails after it (wazo: 4 s).',
    }),
  },
  { additionalProperties: false, default: {} },
);

const EmailConfirmationConfig = Type.Object(
  {
    expiration_seconds: Type.Integer({
      minimum: 1,
      default: 172_800,
      description:
        'Lifetime of the single-use confirmation link token (wazo: email_confirmation_expiration).',
    }),
    subject: Type.String({
      default: 'Confirm your email address',
      description: 'Subject template; {{ name }} placeholders as in body.',
    }),
    body: Type.String({
      default:
        "You've registered a new account on wazo-auth for {{ username }}\n\n" +
        'Click on the following link to confirm this email address:\n\n' +
        '{{ public_url }}/0.1/emails/{{ email_uuid }}/confirm?token={{ token }}\n',
      description:
        'Plain-text body template. Placeholders: {{ username }}, {{ email_address }}, {{ email_uuid }}, ' +
        '{{ user_uuid }}, {{ token }}, {{ public_url }}.',
    }),
    get_response_body: Type.String({
      default: 'Email address confirmed\n',
      description: 'Page returned by GET /0.1/emails/{uuid}/confirm once the address is confirmed.',
    }),
    get_mimetype: Type.String({
      minLength: 1,
      default: 'text/html',
      description: 'Content-Type of that page (wazo: email_confirmation_get_mimetype).',
    }),
  },
  { additionalProperties: false, default: {} },
);

const PasswordResetConfig = Type.Object(
  {
    expiration_seconds: Type.Integer({
      minimum: 1,
      default: 172_800,
      description: 'Lifetime of the single-use reset link token (wazo: password_reset_expiration).',
    }),
    subject: Type.String({ default: 'Reset your password', description: 'Subject template.' }),
    body: Type.String({
      default:
        'Hello {{ username }},\n\nIf you did not ask to reset your password, please ignore this email.\n\n' +
        'To reset your password, send the new one with this token:\n\n' +
        'POST {{ public_url }}/0.1/users/password/reset?user_uuid={{ user_uuid }}&token={{ token }}\n',
      description:
        'Plain-text body template. Placeholders: {{ username }}, {{ email_address }}, {{ user_uuid }}, ' +
        '{{ token }}, {{ public_url }}. Point it at the page of your web app that posts the new password.',
    }),
  },
  { additionalProperties: false, default: {} },
);

const AmqpConfig = Type.Object(
  {
    enabled: Type.Boolean({
      default: false,
      description: 'Publish the wazo-bus events (§3.14) to RabbitMQ; when false they only reach the log.',
    }),
    uri: Type.String({
      pattern: '^amqps?://',
      default: 'amqp://guest:guest@127.0.0.1:5672/',
      description: 'Broker URI (amqp:// or amqps://); its password is never logged nor shown by GET /config.',
      secret: true,
    }),
    exchange_name: Type.String({
      minLength: 1,
      maxLength: 255,
      default: 'xivo',
      description: 'Exchange the events are published to (declared durable if missing).',
    }),
    exchange_type: Type.Union(
      ['topic', 'direct', 'fanout', 'headers'].map((t) => Type.Literal(t)),
      { default: 'topic', description: 'Type of the exchange (wazo: topic).' },
    ),
    buffer_limit: Type.Integer({
      minimum: 1,
      maximum: 1_000_000,
      default: 10_000,
      description:
        'Events kept in memory while the broker is unreachable; when full the oldest are dropped ' +
        '(counted in gatehouse_events_dropped_total).',
    }),
    connect_timeout_ms: Type.Integer({
      minimum: 100,
      default: 5000,
      description: 'Time allowed to open a broker connection.',
    }),
    reconnect_max_delay_ms: Type.Integer({
      minimum: 100,
      default: 30_000,
      description: 'Longest wait between reconnection attempts (the wait doubles from 250 ms up to it).',
    }),
    close_timeout_ms: Type.Integer({
      minimum: 0,
      maximum: 60_000,
      default: 2000,
      description: 'On shutdown, how long buffered events may take to reach the broker.',
    }),
  },
  { additionalProperties: false, default: {} },
);

export const ConfigSchema = Type.Object(
  {
    host: Type.String({ minLength: 1, default: '127.0.0.1', description: 'Address the HTTP server binds.' }),
    port: Type.Integer({ minimum: 0, maximum: 65_535, default: 9497, description: 'HTTP port.' }),
    database_url: Type.String({
      pattern: '^(sqlite:|postgres://|postgresql://)',
      default: 'sqlite:./data/gatehouse.db',
      description:
        'sqlite:<path> (embedded, the default; sqlite::memory: for tests) or postgres://user@host/db.',
      secret: true,
    }),
    data_dir: Type.String({
      minLength: 1,
      default: './data',
      description: 'Directory for generated secrets (bootstrap password, refresh-token key).',
    }),
    log_level: Type.Union(
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
      { default: 'info', description: 'pino log level.' },
    ),
    xivo_uuid: Type.Union([Type.String({ minLength: 1 }), Type.Null()], {
      default: null,
      description: 'The stack UUID reported as xivo_uuid in tokens (wazo-auth reads XIVO_UUID).',
    }),
    default_token_lifetime: Type.Integer({
      minimum: 1,
      default: 7200,
      description: 'Access-token lifetime in seconds when POST /token has no expiration.',
    }),
    max_token_lifetime_seconds: Type.Integer({
      minimum: 1,
      maximum: 315_360_000,
      default: 315_360_000,
      description: 'Largest expiration accepted by POST /token (decision D6; wazo-auth: 10 years).',
    }),
    max_user_concurrent_sessions: Type.Integer({
      minimum: 1,
      default: 100,
      description: 'Sessions a user (purpose user or external_api) may hold; the next login gets 429.',
    }),
    token_cleanup_interval: Type.Number({
      minimum: 0,
      default: 60,
      description: 'Seconds between runs of the expired-token purge (0 disables it).',
    }),
    token_cleanup_batch_size: Type.Integer({
      minimum: 1,
      default: 5000,
      description: 'Rows handled per statement by the purge and the expire-soon notices.',
    }),
    default_user_policy: Type.Union([Type.String({ minLength: 1 }), Type.Null()], {
      default: null,
      description: 'Slug of a policy whose ACL is prepended to every user token.',
    }),
    default_policies: Type.Record(Type.String({ pattern: '^[A-Za-z0-9_-]{1,80}$' }), PolicyDefinition, {
      default: {},
      description:
        'Read-only policies created or updated in the top tenant at start: slug -> {acl, description}.',
    }),
    all_users_policies: Type.Record(Type.String({ minLength: 1 }), Type.Boolean(), {
      default: {},
      description: "Policy slugs attached to every tenant's wazo-all-users group: slug -> true|false.",
    }),
    tenant_default_groups: Type.Record(
      Type.String({ pattern: '^[A-Za-z0-9_-]{1,80}$' }),
      Type.Object(
        {
          policies: Type.Record(Type.String({ minLength: 1 }), Type.Boolean(), { default: {} }),
        },
        { additionalProperties: false },
      ),
      {
        default: {},
        description:
          'Groups created in every tenant (new tenants, and existing ones at start): ' +
          'group slug -> {policies: {policy slug -> true|false}}; policies are looked up in the top tenant.',
      },
    ),
    update_policy_on_startup: Type.Boolean({
      default: true,
      description: 'Apply default_policies, all_users_policies and tenant_default_groups at start.',
    }),
    shutdown_timeout_seconds: Type.Number({
      minimum: 0,
      maximum: 60,
      default: 8,
      description: 'On SIGTERM, how long in-flight requests may take before the process exits.',
    }),
    http: HttpConfig,
    bootstrap: BootstrapConfig,
    refresh_tokens: RefreshTokenConfig,
    passwords: PasswordConfig,
    token_cache: TokenCacheConfig,
    metrics: MetricsConfig,
    amqp: AmqpConfig,
    public_url: Type.Union([Type.String({ minLength: 8 }), Type.Null()], {
      default: null,
      description:
        'Public base URL of this API as clients reach it, without /0.1 (e.g. https://stack.example.com/api/auth), ' +
        'used in email links. wazo-auth builds links from the request (X-Script-Name, Host); Gatehouse never ' +
        'does, so a forged Host header cannot poison reset links. When null: http://<host>:<port><http.path_prefix>.',
    }),
    user_registration_enabled: Type.Boolean({
      default: false,
      description:
        'Serve POST /0.1/users/register (self-registration; wazo plugin user_registration, off by default).',
    }),
    smtp: SmtpConfig,
    email_confirmation: EmailConfirmationConfig,
    password_reset: PasswordResetConfig,
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;
