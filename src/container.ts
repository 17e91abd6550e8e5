import pino, { type Logger } from 'pino';
import { AuditLog } from './audit/audit-log.ts';
import { type Clock, systemClock } from './clock/clock.ts';
import { type Config, ConfigSchema } from './config/config-schema.ts';
import { ConfigService } from './config-api/config-service.ts';
import {
  buildAmqpSink,
  buildLoginGate,
  REFRESH_TOKEN_KEY_FILE,
  revocationFeed,
  SIGNING_KEY_KEY_FILE,
  serverKey,
} from './container-parts.ts';
import { PasswordHasher } from './crypto/password-hasher.ts';
import { SecretBox } from './crypto/secret-box.ts';
import { type EventSink, FanOutEventSink } from './events/event-sink.ts';
import { LogEventSink } from './events/log-event-sink.ts';
import { GroupRepository } from './groups/group-repository.ts';
import { buildLoggerOptions } from './logging/logger-options.ts';
import { buildMailServices } from './mail/mail-services.ts';
import { Metrics } from './metrics/metrics.ts';
import { JtiReplayCache } from './oauth/dpop/dpop-proof.ts';
import { buildOAuthServices } from './oauth/oauth-services.ts';
import { buildOAuthTokenServices } from './oauth/token/token-services.ts';
import { PolicyRepository } from './policies/policy-repository.ts';
import { buildGroupPolicyServices } from './policies/policy-services.ts';
import { openStorage, type Storage, type StorageOptions } from './storage/database.ts';
import { writeRunner } from './storage/group-commit.ts';
import { TenantListRepository } from './tenants/tenant-list-repository.ts';
import { TenantRepository } from './tenants/tenant-repository.ts';
import { TenantService } from './tenants/tenant-service.ts';
import { Authenticator } from './tokens/authenticator.ts';
import { ExpiryJob } from './tokens/expiry-job.ts';
import { RefreshRotation } from './tokens/refresh-rotation.ts';
import { RefreshRotationRepository } from './tokens/refresh-rotation-repository.ts';
import { RefreshTokenIssuer } from './tokens/refresh-token-issuer.ts';
import { RefreshTokenRepository } from './tokens/refresh-token-repository.ts';
import { RefreshTokenService } from './tokens/refresh-token-service.ts';
import { SessionRepository } from './tokens/session-repository.ts';
import { SessionRevoker } from './tokens/session-revoker.ts';
import { SessionService } from './tokens/session-service.ts';
import { TokenCache } from './tokens/token-cache.ts';
import { TokenCheckService } from './tokens/token-check-service.ts';
import { TokenRepository } from './tokens/token-repository.ts';
import { TokenService } from './tokens/token-service.ts';
import { UserRepository } from './users/user-repository.ts';
import { UserService } from './users/user-service.ts';

export interface ContainerOptions {
  clock?: Clock;
  /** Extra sinks (tests pass a MemoryEventSink). */
  eventSinks?: EventSink[];
  logger?: Logger;
  storage?: StorageOptions;
}

/**
 * The composition root: the only place that constructs repositories and services. Everything
 * below receives exactly the slice of configuration and the dependencies it needs.
 */
export function buildContainer(config: Readonly<Config>, options: ContainerOptions = {}) {
  const clock = options.clock ?? systemClock;
  const now = () => clock.now();
  const log = options.logger ?? pino(buildLoggerOptions(config.log_level));
  const storage: Storage = openStorage(config.database_url, {
    timeoutMs: config.database_timeout_ms,
    onCheckpointError: (error) =>
      log.error({ err: error }, 'SQLite checkpoints could not move off the event loop; they stay on it'),
    ...options.storage,
  });
  const { db } = storage;
  const metrics = new Metrics({
    cache: () => ({ ...cache.stats, size: cache.size }),
    hashQueueDepth: () => hasher.queueDepth,
    pool: () => storage.poolStats(),
  });
  const amqpSink = config.amqp.enabled ? buildAmqpSink(config, log, () => metrics.eventDropped()) : null;
  const sinks: EventSink[] = [new LogEventSink(log), ...(amqpSink ? [amqpSink] : [])];
  const events = new FanOutEventSink([...sinks, ...(options.eventSinks ?? [])], (error) => {
    metrics.eventDropped();
    log.error({ err: error }, 'event sink failed');
  });

  const tenants = new TenantRepository(db);
  const users = new UserRepository(db);
  const groups = new GroupRepository(db);
  const policies = new PolicyRepository(db);
  const writes = writeRunner(db, storage);
  const tokens = new TokenRepository(db, writes);
  const sessions = new SessionRepository(db);
  const refreshTokens = new RefreshTokenRepository(db);

  const hasher = new PasswordHasher({
    memoryKib: config.passwords.argon2_memory_kib,
    timeCost: config.passwords.argon2_time_cost,
    concurrency: config.passwords.hash_concurrency,
    queueLimit: config.passwords.hash_queue_limit,
    threadNice: config.passwords.hash_thread_nice,
    onThreadError: (error) => log.error({ err: error }, 'a password-hashing thread failed'),
    observeWait: (seconds) => metrics.observeHashWait(seconds),
  });
  const cache = new TokenCache({
    maxEntries: config.token_cache.max_entries,
    maxAgeMs: config.token_cache.max_age_seconds * 1000,
    negativeMaxAgeMs: config.token_cache.negative_max_age_seconds * 1000,
  });
  const feed = revocationFeed(config, storage, options.storage?.pgSchema, now);
  const revoker = new SessionRevoker({
    db,
    feed,
    evictLocally: (uuids) => cache.evictSessions(uuids),
    events,
  });
  const loginGate = buildLoginGate(config, db, writes, events, log, now);
  const tokensOnFreshConnection = new TokenRepository(storage.freshDb, writes);
  const dpopReplay = new JtiReplayCache();
  const tokenCheck = new TokenCheckService({
    tokens,
    tokensOnFreshConnection,
    users,
    tenants,
    revoker,
    cache,
    feed,
    now,
    dpop: { replay: dpopReplay, maxAgeSeconds: config.oauth.dpop_proof_max_age_seconds },
  });
  const oauth = buildOAuthServices({
    config,
    db,
    now,
    signingKeyBox: new SecretBox(
      serverKey(config.data_dir, config.oauth.signing_key_encryption_key, {
        option: 'oauth.signing_key_encryption_key',
        file: SIGNING_KEY_KEY_FILE,
      }),
    ),
    dpopReplay,
    tokenCheck,
    users,
    revoker,
    tenants,
  });
  const audit = new AuditLog(log);
  const secretBox = new SecretBox(
    serverKey(config.data_dir, config.refresh_tokens.encryption_key, {
      option: 'refresh_tokens.encryption_key',
      file: REFRESH_TOKEN_KEY_FILE,
    }),
  );
  const authenticator = new Authenticator({
    users,
    refreshTokens,
    hasher,
    gate: loginGate,
    log,
    audit,
    now,
    refreshLimits: {
      maxIdleSeconds: config.refresh_tokens.max_idle_seconds,
      maxLifetimeSeconds: config.refresh_tokens.max_lifetime_seconds,
    },
    rotation: new RefreshRotation({
      rotations: new RefreshRotationRepository(db),
      refreshTokens,
      revoker,
      events,
      secretBox,
      now,
      clientIds: config.refresh_tokens.rotate_client_ids,
      graceSeconds: config.refresh_tokens.rotation_grace_seconds,
    }),
  });
  const refreshTokenIssuer = new RefreshTokenIssuer({
    refreshTokens,
    revoker,
    events,
    secretBox,
    reuseOnRelogin: config.refresh_tokens.reuse_on_relogin,
    now,
  });
  const expiryJob = new ExpiryJob({
    sessions,
    revoker,
    events,
    log,
    now,
    intervalSeconds: config.token_cleanup_interval,
    batchSize: config.token_cleanup_batch_size,
    purgeOthers: async (batchSize) => {
      const purged = (await loginGate.purgeExpired(batchSize)) + (await oauthTokens.purgeExpired(batchSize));
      // Also where ID-token signing keys are pre-published and retired when nobody signs or reads the JWKS.
      if (config.oauth.enabled) await oauth.keyring.maintain();
      return purged;
    },
  });
  // The OAuth token endpoint issues ordinary Gatehouse tokens, through the same repositories and revoker.
  const oauthTokens = buildOAuthTokenServices({
    config,
    db,
    oauth,
    tokens,
    users,
    policies,
    revoker,
    tokenCheck,
    gate: loginGate,
    events,
    audit,
    secretBox,
    now,
  });
  const tokenService = new TokenService({
    authenticator,
    refreshTokenIssuer,
    tokens,
    sessions,
    policies,
    tenants,
    events,
    log,
    audit,
    now,
    settings: {
      xivoUuid: config.xivo_uuid,
      defaultLifetimeSeconds: config.default_token_lifetime,
      maxUserSessions: config.max_user_concurrent_sessions,
      defaultUserPolicy: config.default_user_policy,
    },
  });
  // Emails, password reset and registration: wired in mail/mail-services.ts.
  // Before the mail services: self-registration creates its tenant through it.
  const tenantService = new TenantService({
    tenants,
    views: new TenantListRepository(db),
    users,
    groups,
    policies,
    revoker,
    events,
    log,
    now,
    config,
  });
  const mail = buildMailServices({
    config,
    db,
    tenantService,
    users,
    groups,
    tenants,
    tokens,
    revoker,
    tokenCheck,
    hasher,
    loginGate,
    log,
    now,
  });

  return {
    config,
    clock,
    log,
    storage,
    events,
    metrics,
    repositories: { tenants, users, groups, policies, tokens, sessions, refreshTokens },
    hasher,
    cache,
    feed,
    revoker,
    tokenCheck,
    loginGate,
    audit,
    /** The password check of POST /0.1/token, shared by the OAuth login page. */
    authenticator,
    /** Starts what runs in the background: the revocation feed, then the expiry job. */
    startBackground: async (options: { expiryJob: boolean } = { expiryJob: true }) => {
      await feed.start({ onRevoked: (uuids) => cache.evictSessions(uuids), onReset: () => cache.flush() });
      if (options.expiryJob) expiryJob.start();
    },
    /** Stops the background work and closes the database. */
    close: async () => {
      await expiryJob.stop();
      await feed.stop();
      await amqpSink?.close();
      await hasher.close();
      await storage.close();
    },
    tokenService,
    oauth,
    oauthTokens,
    ...mail,
    ...buildGroupPolicyServices({ groups, policies, users, tenants }),
    refreshTokenService: new RefreshTokenService({ refreshTokens, users, tenants, revoker, events }),
    sessionService: new SessionService({ sessions, users, tenants, revoker }),
    tenantService,
    userService: new UserService({
      users,
      groups,
      tenants,
      hasher,
      revoker,
      now,
      passwordRules: { minLength: config.passwords.min_length, maxLength: config.passwords.max_length },
    }),
    expiryJob,
    /** The RabbitMQ publisher, when amqp.enabled. */
    amqpSink,
    configService: new ConfigService({
      config,
      schema: ConfigSchema,
      setLogLevel: (level) => {
        log.level = level;
      },
      topTenantUuid: async () => (await tenants.findTop())?.uuid ?? null,
    }),
  };
}

export type Container = ReturnType<typeof buildContainer>;
