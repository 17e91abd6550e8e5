import { type Static, Type } from '@sinclair/typebox';
import { BruteForceConfig } from './config-sections-brute-force.ts';
import {
  BootstrapConfig,
  HttpConfig,
  PasswordConfig,
  PolicyDefinition,
  RefreshTokenConfig,
  TokenCacheConfig,
} from './config-sections-core.ts';
import { OAuthConfig } from './config-sections-oauth.ts';
import {
  AmqpConfig,
  EmailConfirmationConfig,
  MetricsConfig,
  PasswordResetConfig,
  SmtpConfig,
} from './config-sections-services.ts';

/**
 * The whole configuration, one TypeBox schema (its sections are in config-sections-*.ts):
 * defaults, descriptions and types live there and nowhere else. docs/config.md and the README table are generated from it, and every leaf can be
 * set from YAML or from a `GATEHOUSE_*` variable named after its path (see config-env.ts).
 * Names follow wazo-auth's config.yml where an equivalent option exists.
 */

export const ConfigSchema = Type.Object(
  {
    host: Type.String({ minLength: 1, default: '127.0.0.1', description: 'Address the HTTP server binds.' }),
    port: Type.Integer({ minimum: 0, maximum: 65_535, default: 9497, description: 'HTTP port.' }),
    database_url: Type.String({
      pattern: '^(sqlite:|postgres://|postgresql://)',
      default: 'sqlite:./data/gatehouse.db',
      description:
        'sqlite:<path> (embedded, the default; sqlite::memory: for tests) or postgres://user@host/db. ' +
        'A PostgreSQL on the same machine is cheaper over its Unix socket: postgres://user@/db?host=/var/run/postgresql.',
      secret: true,
    }),
    database_timeout_ms: Type.Integer({
      minimum: 100,
      maximum: 600_000,
      default: 2000,
      description:
        'PostgreSQL: longest wait for a connection or for one statement; past it the request gets 503 ' +
        'and the connection is dropped (a hung database never holds requests).',
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
    brute_force: BruteForceConfig,
    oauth: OAuthConfig,
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;
