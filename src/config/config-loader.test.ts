import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { type EnvBinding, listEnvBindings } from './config-env.ts';
import { ConfigError, loadConfig } from './config-loader.ts';
import { ConfigSchema } from './config-schema.ts';

const bindings = listEnvBindings(ConfigSchema);
const tempDirs: string[] = [];
after(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** A directory with config.yml and conf.d/ files; returns the path of config.yml. */
function writeConfigTree(main: string, confD: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-config-'));
  tempDirs.push(dir);
  writeFileSync(join(dir, 'config.yml'), main);
  if (Object.keys(confD).length > 0) mkdirSync(join(dir, 'conf.d'));
  for (const [name, text] of Object.entries(confD)) writeFileSync(join(dir, 'conf.d', name), text);
  return join(dir, 'config.yml');
}

function configError(load: () => unknown): ConfigError {
  try {
    load();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected loadConfig to throw');
}

function at(config: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], config);
}

/** Leaves whose string must match a pattern need a hand-picked sample. */
const PATTERN_SAMPLES: Record<string, string> = {
  database_url: 'postgres://gatehouse@db.example/gatehouse',
  'http.path_prefix': '/api/auth',
  'amqp.uri': 'amqps://bus:pw@rabbit.example:5671/wazo',
  'oauth.issuer': 'https://auth.example.com/gatehouse',
};

/** A valid value for the leaf that differs from its default, so setting it is observable. */
function sampleValue(schema: TSchema, key: string): unknown {
  const members: TSchema[] = (schema.anyOf as TSchema[] | undefined) ?? [schema];
  const consts = members.filter((m) => m.const !== undefined).map((m) => m.const);
  if (consts.length > 0) return consts.find((c) => c !== schema.default);
  const main = members.find((m) => m.type !== 'null') ?? schema;
  switch (main.type) {
    case 'integer':
    case 'number': {
      const step = main.type === 'integer' ? 1 : 1.5;
      const value = ((main.minimum as number | undefined) ?? 0) + step;
      assert.ok(main.maximum === undefined || value <= main.maximum, `${key}: no sample in range`);
      return value === schema.default ? value + step : value;
    }
    case 'boolean':
      return schema.default !== true;
    case 'array':
      return ['first.sample', 'second.sample'];
    case 'object': {
      const valueSchema = Object.values(main.patternProperties as Record<string, TSchema>)[0] as TSchema;
      if (valueSchema.type === 'object') {
        const props = Object.entries(valueSchema.properties as Record<string, TSchema>);
        return { sample: Object.fromEntries(props.map(([k, s]) => [k, sampleValue(s, `${key}.${k}`)])) };
      }
      return { sample: sampleValue(valueSchema, `${key}.sample`) };
    }
    default: {
      if (main.pattern) {
        assert.ok(PATTERN_SAMPLES[key], `add a sample for ${key} (pattern ${main.pattern})`);
        return PATTERN_SAMPLES[key];
      }
      return `sample-${key}`;
    }
  }
}

/** How an operator writes that value in the environment (lists as comma lists, maps as JSON). */
function envText(value: unknown, binding: EnvBinding, index: number): string {
  if (Array.isArray(value)) return value.join(', ');
  if (typeof value === 'boolean')
    return (index % 2 === 0 ? ['no', 'yes'] : ['0', 'on'])[Number(value)] as string;
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  assert.ok(value !== undefined, `${binding.envName}: no sample`);
  return String(value);
}

test('§6.1 defaults: 127.0.0.1:9497, SQLite in ./data, bootstrap user admin', () => {
  const config = loadConfig({});
  assert.equal(config.host, '127.0.0.1');
  assert.equal(config.port, 9497);
  assert.equal(config.database_url, 'sqlite:./data/gatehouse.db');
  assert.equal(config.bootstrap.username, 'admin');
  assert.equal(config.bootstrap.password, null);
  assert.equal(config.refresh_tokens.encryption_key, null);
  assert.equal(config.default_token_lifetime, 7200);
  assert.equal(config.max_token_lifetime_seconds, 315_360_000);
  assert.equal(config.xivo_uuid, null);
  assert.deepEqual(config.http.trusted_proxies, []);
  assert.deepEqual(config.default_policies, {});
  assert.equal(config.passwords.min_length, 8);
  assert.ok(Value.Check(ConfigSchema, config));
});

test('§6.1 every variable name is GATEHOUSE_ + the key path and no two leaves share one', () => {
  const names = bindings.map((b) => b.envName);
  assert.equal(new Set(names).size, names.length);
  for (const binding of bindings) {
    assert.equal(binding.envName, `GATEHOUSE_${binding.path.join('_').toUpperCase()}`);
  }
  assert.ok(names.includes('GATEHOUSE_BOOTSTRAP_PASSWORD'));
  assert.ok(names.includes('GATEHOUSE_HTTP_TRUSTED_PROXIES'));
});

test('§6.1 every leaf can be set by its GATEHOUSE_* variable', () => {
  const env: Record<string, string> = {};
  const expected = new Map<EnvBinding, unknown>();
  bindings.forEach((binding, index) => {
    const value = sampleValue(binding.schema, binding.path.join('.'));
    expected.set(binding, value);
    env[binding.envName] = envText(value, binding, index);
  });
  const config = loadConfig(env);
  for (const [binding, value] of expected) {
    assert.deepEqual(at(config, binding.path), value, `${binding.envName}=${env[binding.envName]}`);
  }
});

test('§6.1 variable parsing per type: integer, number, boolean, string, enum, nullable', () => {
  const config = loadConfig({
    GATEHOUSE_PORT: '8080',
    GATEHOUSE_TOKEN_CLEANUP_INTERVAL: '0.5',
    GATEHOUSE_UPDATE_POLICY_ON_STARTUP: 'False',
    GATEHOUSE_REFRESH_TOKENS_REUSE_ON_RELOGIN: 'off',
    GATEHOUSE_HOST: '0.0.0.0',
    GATEHOUSE_LOG_LEVEL: 'debug',
    GATEHOUSE_DEFAULT_USER_POLICY: '',
    GATEHOUSE_BOOTSTRAP_PASSWORD: 'null',
  });
  assert.equal(config.port, 8080);
  assert.equal(config.token_cleanup_interval, 0.5);
  assert.equal(config.update_policy_on_startup, false);
  assert.equal(config.refresh_tokens.reuse_on_relogin, false);
  assert.equal(config.host, '0.0.0.0');
  assert.equal(config.log_level, 'debug');
  assert.equal(config.default_user_policy, null);
  assert.equal(config.bootstrap.password, null);
  assert.equal(loadConfig({ GATEHOUSE_DEFAULT_USER_POLICY: 'my-policy' }).default_user_policy, 'my-policy');
});

test('§6.1 lists from a comma list or a JSON array; maps from JSON', () => {
  const fromList = loadConfig({ GATEHOUSE_HTTP_TRUSTED_PROXIES: ' 10.0.0.1 , 192.168.0.0/16 ' });
  assert.deepEqual(fromList.http.trusted_proxies, ['10.0.0.1', '192.168.0.0/16']);
  const fromJson = loadConfig({ GATEHOUSE_HTTP_TRUSTED_PROXIES: '["10.0.0.1", "a,b"]' });
  assert.deepEqual(fromJson.http.trusted_proxies, ['10.0.0.1', 'a,b']);
  assert.deepEqual(loadConfig({ GATEHOUSE_HTTP_TRUSTED_PROXIES: '' }).http.trusted_proxies, []);
  const maps = loadConfig({
    GATEHOUSE_ALL_USERS_POLICIES: '{"wazo-all-users": true, "old": false}',
    GATEHOUSE_DEFAULT_POLICIES: '{"operators": {"acl": ["calld.#", "!calld.admin"], "description": "ops"}}',
  });
  assert.deepEqual(maps.all_users_policies, { 'wazo-all-users': true, old: false });
  assert.deepEqual(maps.default_policies, {
    operators: { acl: ['calld.#', '!calld.admin'], description: 'ops' },
  });
});

test('§6.1 a default policy may omit its description (wazo: `slug: {acl, description?}`)', () => {
  const config = loadConfig({ GATEHOUSE_DEFAULT_POLICIES: '{"operators": {"acl": ["calld.#"]}}' });
  assert.deepEqual(Object.keys(config.default_policies), ['operators']);
  assert.deepEqual(config.default_policies.operators?.acl, ['calld.#']);
  assert.equal(config.default_policies.operators?.description ?? null, null);
});

test('§6.1 YAML file, then conf.d/*.yml in sorted order, then variables, then overrides', () => {
  const file = writeConfigTree(
    'port: 1000\nlog_level: warn\nhttp:\n  trusted_proxies: [10.0.0.1]\nbootstrap:\n  username: root\n',
    {
      '20-later.yml': 'port: 3000\nhttp:\n  body_limit_bytes: 2048\n',
      '10-first.yml': 'port: 2000\nhost: 0.0.0.0\nbootstrap:\n  username: first\n',
      '15-middle.yaml': 'xivo_uuid: from-conf-d\n',
      '99-ignored.txt': 'this is: [not, yaml\n',
    },
  );
  const fromFiles = loadConfig({ GATEHOUSE_CONFIG: file });
  assert.equal(fromFiles.port, 3000);
  assert.equal(fromFiles.host, '0.0.0.0');
  assert.equal(fromFiles.log_level, 'warn');
  assert.equal(fromFiles.xivo_uuid, 'from-conf-d');
  assert.equal(fromFiles.bootstrap.username, 'first');
  assert.deepEqual(fromFiles.http.trusted_proxies, ['10.0.0.1']);
  assert.equal(fromFiles.http.body_limit_bytes, 2048);

  const withEnv = loadConfig({ GATEHOUSE_CONFIG: file, GATEHOUSE_PORT: '4000' });
  assert.equal(withEnv.port, 4000);
  assert.equal(withEnv.http.body_limit_bytes, 2048);
  const withOverride = loadConfig({ GATEHOUSE_CONFIG: file, GATEHOUSE_PORT: '4000' }, { port: 5000 });
  assert.equal(withOverride.port, 5000);
});

test('§6.1 an empty YAML file is fine; a missing one or a non-mapping is an error', () => {
  assert.equal(loadConfig({ GATEHOUSE_CONFIG: writeConfigTree('') }).port, 9497);
  const missing = configError(() => loadConfig({ GATEHOUSE_CONFIG: '/nonexistent/gatehouse/config.yml' }));
  assert.match(missing.message, /not found/);
  const list = configError(() => loadConfig({ GATEHOUSE_CONFIG: writeConfigTree('- a\n- b\n') }));
  assert.match(list.message, /mapping/);
});

test('§6.1 invalid configuration throws one ConfigError listing every problem', () => {
  const error = configError(() => loadConfig({ GATEHOUSE_PORT: 'abc', GATEHOUSE_LOG_LEVEL: 'loud' }));
  assert.equal(error.problems.length, 2, error.message);
  assert.ok(error.problems.some((p) => p.startsWith('/port')));
  assert.ok(error.problems.some((p) => p.startsWith('/log_level')));
  assert.match(error.message, /\/port/);
  assert.match(error.message, /\/log_level/);

  const many = configError(() =>
    loadConfig(
      { GATEHOUSE_PORT: '70000', GATEHOUSE_HTTP_BODY_LIMIT_BYTES: '1' },
      { passwords: { min_length: 0 }, host: '' },
    ),
  );
  for (const path of ['/port', '/http/body_limit_bytes', '/passwords/min_length', '/host']) {
    assert.ok(
      many.problems.some((p) => p.startsWith(path)),
      `${path} not reported in ${many.message}`,
    );
  }
});

test('§6.1 unknown keys are rejected, at the top and nested', () => {
  const file = writeConfigTree('listen: 0.0.0.0\nhttp:\n  bogus: true\n');
  const error = configError(() => loadConfig({ GATEHOUSE_CONFIG: file }, { refresh_tokens: { ttl: 5 } }));
  for (const path of ['/listen', '/http/bogus', '/refresh_tokens/ttl']) {
    assert.ok(
      error.problems.some((p) => p.startsWith(path)),
      `${path} not reported in ${error.message}`,
    );
  }
});

test('§6.1 the result is deeply frozen', () => {
  const config = loadConfig({
    GATEHOUSE_HTTP_TRUSTED_PROXIES: '10.0.0.1',
    GATEHOUSE_DEFAULT_POLICIES: '{"ops": {"acl": ["a.b"], "description": null}}',
  });
  const nested = [
    config,
    config.http,
    config.http.trusted_proxies,
    config.bootstrap,
    config.refresh_tokens,
    config.passwords,
    config.default_policies,
    config.default_policies.ops,
    config.default_policies.ops?.acl,
    config.all_users_policies,
  ];
  for (const value of nested) assert.ok(Object.isFrozen(value));
  assert.throws(() => {
    (config as { port: number }).port = 1;
  }, TypeError);
  assert.throws(() => {
    (config.http.trusted_proxies as string[]).push('0.0.0.0/0');
  }, TypeError);
  assert.throws(() => {
    (config.bootstrap as { username: string }).username = 'mallory';
  }, TypeError);
});

test('§6.1 loading twice gives independent results (no shared mutable defaults)', () => {
  const first = loadConfig({ GATEHOUSE_HTTP_TRUSTED_PROXIES: '10.0.0.1' });
  const second = loadConfig({});
  assert.deepEqual(first.http.trusted_proxies, ['10.0.0.1']);
  assert.deepEqual(second.http.trusted_proxies, []);
});

const SECRETS = ['Hunter2Secret', 'S3cretDbPass', 'K3yMaterialSecret'];

function assertNoSecret(error: ConfigError): void {
  const shown = `${error.message}\n${error.problems.join('\n')}\n${String(error.stack)}`;
  for (const secret of SECRETS) assert.ok(!shown.includes(secret), `${secret} leaked in: ${error.message}`);
}

test('§6.1 invalid secret values are named but never shown', () => {
  const fromEnv = configError(() =>
    loadConfig({
      GATEHOUSE_DATABASE_URL: 'mysql://root:S3cretDbPass@db/gatehouse',
      GATEHOUSE_PORT: 'abc',
    }),
  );
  assert.ok(fromEnv.problems.some((p) => p.startsWith('/database_url')));
  assertNoSecret(fromEnv);

  const file = writeConfigTree(
    'database_url: "mysql://root:S3cretDbPass@db/gatehouse"\nbootstrap:\n  password: [Hunter2Secret]\n',
  );
  const fromYaml = configError(() =>
    loadConfig(
      { GATEHOUSE_CONFIG: file },
      { refresh_tokens: { encryption_key: { key: 'K3yMaterialSecret' } } },
    ),
  );
  for (const path of ['/database_url', '/bootstrap/password', '/refresh_tokens/encryption_key']) {
    assert.ok(
      fromYaml.problems.some((p) => p.startsWith(path)),
      `${path} not reported in ${fromYaml.message}`,
    );
  }
  assertNoSecret(fromYaml);
});

test('§6.1 a YAML syntax error does not echo the lines of the file (they may hold secrets)', () => {
  for (const text of [
    'bootstrap:\n  password: Hunter2Secret: x\n',
    'database_url: postgres://u:S3cretDbPass@h/db\nbootstrap:\n  password: [Hunter2Secret\n',
  ]) {
    const error = configError(() => loadConfig({ GATEHOUSE_CONFIG: writeConfigTree(text) }));
    assert.match(error.message, /config\.yml/);
    assertNoSecret(error);
  }
});

test('§6.1 a misspelt secret key is reported without its value', () => {
  const file = writeConfigTree(
    'bootstrap:\n  pasword: Hunter2Secret\nrefresh_tokens:\n  encryption-key: K3yMaterialSecret\n',
  );
  const error = configError(() => loadConfig({ GATEHOUSE_CONFIG: file }));
  assert.ok(
    error.problems.some((p) => p.startsWith('/bootstrap/pasword')),
    error.message,
  );
  assertNoSecret(error);
});

test('§6.1 valid secrets are loaded as given', () => {
  const key = Buffer.alloc(32, 7).toString('base64');
  const config = loadConfig({
    GATEHOUSE_BOOTSTRAP_PASSWORD: 'Hunter2Secret',
    GATEHOUSE_REFRESH_TOKENS_ENCRYPTION_KEY: key,
    GATEHOUSE_DATABASE_URL: 'postgres://gatehouse:S3cretDbPass@db/gatehouse',
  });
  assert.equal(config.bootstrap.password, 'Hunter2Secret');
  assert.equal(config.refresh_tokens.encryption_key, key);
  assert.equal(config.database_url, 'postgres://gatehouse:S3cretDbPass@db/gatehouse');
});

/** Loads, accepting a refusal: refusing `__proto__` keys is as good as dropping them. */
function loadOrRefuse(env: Record<string, string>): ReturnType<typeof loadConfig> | null {
  try {
    return loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return null;
  }
}

/** No object reachable from the config, nor Object.prototype, gained a property or a prototype. */
function assertUnpolluted(config: ReturnType<typeof loadConfig> | null): void {
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.hasOwn(Object.prototype, 'polluted'), false);
  assert.equal(Object.hasOwn(Object.prototype, 'port'), false);
  const visit = (value: unknown, path: string): void => {
    if (typeof value !== 'object' || value === null) return;
    const proto = Object.getPrototypeOf(value);
    assert.ok(proto === Object.prototype || proto === Array.prototype, `${path} has a foreign prototype`);
    assert.equal((value as Record<string, unknown>).polluted, undefined, `${path}.polluted`);
    for (const [key, child] of Object.entries(value)) visit(child, `${path}.${key}`);
  };
  visit(config, 'config');
}

test('§6.1 __proto__ and constructor keys in YAML pollute nothing', () => {
  const cases: [string, Record<string, string>?][] = [
    ['__proto__:\n  polluted: yes\n  port: 1\n'],
    ['constructor:\n  prototype:\n    polluted: yes\n'],
    ['http:\n  __proto__:\n    polluted: yes\n  body_limit_bytes: 4096\n'],
    ['bootstrap:\n  constructor:\n    prototype:\n      polluted: yes\n'],
    [
      'port: 1000\n',
      { '10-more.yml': '__proto__:\n  port: 1\nrefresh_tokens:\n  __proto__:\n    polluted: yes\n' },
    ],
  ];
  for (const [main, confD] of cases) {
    const config = loadOrRefuse({ GATEHOUSE_CONFIG: writeConfigTree(main, confD) });
    assertUnpolluted(config);
    if (config) assert.notEqual(config.port, 1, main);
  }
  assertUnpolluted(loadConfig({}));
});

test('§6.1 __proto__ keys in JSON variables pollute nothing', () => {
  assertUnpolluted(loadOrRefuse({ GATEHOUSE_DEFAULT_POLICIES: '{"__proto__": {"polluted": true}}' }));
  assertUnpolluted(loadOrRefuse({ GATEHOUSE_ALL_USERS_POLICIES: '{"__proto__": {"polluted": true}}' }));
  assertUnpolluted(loadOrRefuse({ GATEHOUSE_ALL_USERS_POLICIES: '{"__proto__": true}' }));
});

test('A2 XIVO_UUID is honoured as the stack UUID; GATEHOUSE_XIVO_UUID wins over it', () => {
  assert.equal(loadConfig({ XIVO_UUID: 'wazo-stack-uuid' }).xivo_uuid, 'wazo-stack-uuid');
  assert.equal(
    loadConfig({ XIVO_UUID: 'wazo-stack-uuid', GATEHOUSE_XIVO_UUID: 'gatehouse-uuid' }).xivo_uuid,
    'gatehouse-uuid',
  );
  const file = writeConfigTree('xivo_uuid: from-yaml\n');
  assert.equal(
    loadConfig({ GATEHOUSE_CONFIG: file, XIVO_UUID: 'wazo-stack-uuid' }).xivo_uuid,
    'wazo-stack-uuid',
  );
  assert.equal(loadConfig({ XIVO_UUID: '' }).xivo_uuid, null);
});
