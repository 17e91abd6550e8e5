import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { readOrCreateSecret } from './bootstrap/data-dir-secrets.ts';
import { LoginFailureRepository } from './brute-force/login-failure-repository.ts';
import { LoginGate } from './brute-force/login-gate.ts';
import type { Config } from './config/config-schema.ts';
import { newId } from './crypto/token-values.ts';
import { AmqpEventSink } from './events/amqp-event-sink.ts';
import type { EventSink } from './events/event-sink.ts';
import type { Storage } from './storage/database.ts';
import type { WriteRunner } from './storage/group-commit.ts';
import { PgRevocationFeed } from './storage/pg-revocation-feed.ts';
import { SqliteRevocationFeed } from './storage/sqlite-revocation-feed.ts';
import type { RevocationFeed } from './tokens/revocation-feed.ts';

/** Pieces of the composition root (container.ts) that take a slice of the configuration. */

export const REFRESH_TOKEN_KEY_FILE = 'refresh-token.key';
export const SIGNING_KEY_KEY_FILE = 'signing-key.key';

/** The brute-force gate of every login path, with its config slice in milliseconds. */
export function buildLoginGate(
  config: Readonly<Config>,
  db: Storage['db'],
  writes: WriteRunner,
  events: EventSink,
  log: Logger,
  now: () => number,
): LoginGate {
  const bf = config.brute_force;
  return new LoginGate({
    failures: new LoginFailureRepository(db, writes),
    settings: {
      enabled: bf.enabled,
      accountMaxFailures: bf.account_max_failures,
      accountWindowMs: bf.account_window_seconds * 1000,
      lockMs: bf.lock_seconds * 1000,
      lockMaxMs: bf.lock_max_seconds * 1000,
      addressMaxFailures: bf.address_max_failures,
      addressWindowMs: bf.address_window_seconds * 1000,
      resetMaxPerLogin: bf.reset_max_per_login,
    },
    events,
    log,
    now,
    newId,
  });
}

/** The RabbitMQ sink (amqp.enabled); its drops are counted with the other sinks' failures. */
export function buildAmqpSink(config: Readonly<Config>, log: Logger, onDropped: () => void): AmqpEventSink {
  return new AmqpEventSink({
    uri: config.amqp.uri,
    exchangeName: config.amqp.exchange_name,
    exchangeType: config.amqp.exchange_type,
    originUuid: config.xivo_uuid,
    bufferLimit: config.amqp.buffer_limit,
    connectTimeoutMs: config.amqp.connect_timeout_ms,
    reconnectMaxDelayMs: config.amqp.reconnect_max_delay_ms,
    closeTimeoutMs: config.amqp.close_timeout_ms,
    log,
    onDropped,
  });
}

/** Each engine has its way of telling this instance about revocations made elsewhere. */
export function revocationFeed(
  config: Readonly<Config>,
  storage: Storage,
  pgSchema: string | undefined,
  now: () => number,
): RevocationFeed {
  if (storage.dialect === 'sqlite') {
    return new SqliteRevocationFeed(storage.db, {
      pollMs: config.token_cache.heartbeat_ms,
      maxStalenessMs: config.token_cache.max_staleness_ms,
      now,
    });
  }
  return new PgRevocationFeed(storage.db, {
    url: config.database_url,
    channel: `gatehouse_revocations_${pgSchema ?? 'public'}`,
    heartbeatMs: config.token_cache.heartbeat_ms,
    maxStalenessMs: config.token_cache.max_staleness_ms,
    now,
  });
}

/**
 * A server key (refresh tokens, decision D2; ID-token signing keys, issue #6): the configured one,
 * or one generated once into the data directory.
 */
export function serverKey(
  dataDir: string,
  configured: string | null,
  names: { option: string; file: string },
): Buffer {
  const encoded =
    configured ?? readOrCreateSecret(dataDir, names.file, () => randomBytes(32).toString('base64'));
  const key = Buffer.from(encoded, 'base64');
  if (key.length !== 32) throw new Error(`${names.option} must be the base64 of 32 bytes`);
  return key;
}
