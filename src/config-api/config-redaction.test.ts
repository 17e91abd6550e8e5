import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Type } from '@sinclair/typebox';
import { loadConfig } from '../config/config-loader.ts';
import { ConfigSchema } from '../config/config-schema.ts';
import { REDACTED, redactConfig, redactUrl } from './config-redaction.ts';

test('§2.12 every secret of the real schema is redacted; database_url keeps its host but loses its password', () => {
  const config = loadConfig(
    {},
    {
      database_url: 'postgres://gatehouse:pg-s3cret@db.example:5432/auth?sslpassword=k3y&application_name=gh',
      bootstrap: { password: 'b00tstrap' },
      refresh_tokens: { encryption_key: Buffer.alloc(32, 1).toString('base64') },
      amqp: { uri: 'amqps://bus:amqp-s3cret@rabbit.example:5671/wazo' },
    },
  );
  const redacted = redactConfig(ConfigSchema, config) as Record<string, Record<string, unknown>>;
  const text = JSON.stringify(redacted);
  for (const secret of [
    'pg-s3cret',
    'k3y',
    'b00tstrap',
    'amqp-s3cret',
    config.refresh_tokens.encryption_key,
  ]) {
    assert.equal(text.includes(secret as string), false, `${secret} leaked`);
  }
  const databaseUrl = new URL(redacted.database_url as unknown as string);
  assert.equal(databaseUrl.hostname, 'db.example');
  assert.equal(databaseUrl.username, 'gatehouse');
  assert.equal(databaseUrl.searchParams.get('application_name'), 'gh');
  assert.equal(redacted.amqp?.uri, `amqps://bus:${REDACTED}@rabbit.example:5671/wazo`);
  assert.equal(redacted.bootstrap?.password, REDACTED);
  // Non-secret values are untouched, and the input is not modified.
  assert.equal(redacted.amqp?.exchange_name, 'xivo');
  assert.equal(config.bootstrap.password, 'b00tstrap');
});

test('§2.12 unset secrets stay null (they reveal nothing)', () => {
  const config = loadConfig({}, { database_url: 'sqlite::memory:' });
  const redacted = redactConfig(ConfigSchema, config) as Record<string, Record<string, unknown>>;
  assert.equal(redacted.bootstrap?.password, null);
  assert.equal(redacted.database_url, 'sqlite::memory:');
});

test('secrets inside records, arrays and nullable objects are found through the schema', () => {
  const Server = Type.Object({ host: Type.String(), password: Type.String({ secret: true }) });
  const schema = Type.Object({
    servers: Type.Array(Server),
    by_name: Type.Record(Type.String(), Server),
    optional: Type.Union([Server, Type.Null()]),
  });
  const value = {
    servers: [{ host: 'a', password: 'p1' }],
    by_name: { x: { host: 'b', password: 'p2' } },
    optional: { host: 'c', password: 'p3' },
  };
  assert.deepEqual(redactConfig(schema, value), {
    servers: [{ host: 'a', password: REDACTED }],
    by_name: { x: { host: 'b', password: REDACTED } },
    optional: { host: 'c', password: REDACTED },
  });
});

test('a secret URL that cannot be parsed is hidden whole', () => {
  assert.equal(redactUrl('postgres://user:pa ss@'), REDACTED);
});
