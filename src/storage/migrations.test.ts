import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { newId } from '../crypto/token-values.ts';
import {
  createTestDatabase,
  POSTGRES_URL,
  postgresUnavailableReason,
  type TestDatabase,
} from '../testing/test-databases.ts';
import { insertTenantRow } from '../testing/test-fixtures.ts';
import { type Db, openStorage, type Storage } from './database.ts';
import { uniqueViolation } from './db-errors.ts';
import { migrateToLatest } from './migrator.ts';
import type { DatabaseSchema } from './tables.ts';

/**
 * Every table and column of tables.ts. The mapped type makes tsc fail when a table or a column is
 * added to tables.ts and not here, so the test below always checks the whole schema.
 */
const COLUMNS: { [T in keyof DatabaseSchema]: Record<keyof DatabaseSchema[T], true> } = {
  auth_tenant: {
    uuid: true,
    name: true,
    slug: true,
    phone: true,
    contact_uuid: true,
    parent_uuid: true,
    default_authentication_method: true,
    created_at: true,
  },
  auth_user: {
    uuid: true,
    username: true,
    password_hash: true,
    password_salt: true,
    firstname: true,
    lastname: true,
    enabled: true,
    tenant_uuid: true,
    purpose: true,
    authentication_method: true,
    created_at: true,
  },
  auth_email: { uuid: true, address: true, confirmed: true, main: true, user_uuid: true },
  auth_group: { uuid: true, name: true, slug: true, tenant_uuid: true, system_managed: true },
  auth_user_group: { group_uuid: true, user_uuid: true },
  auth_policy: {
    uuid: true,
    name: true,
    slug: true,
    description: true,
    tenant_uuid: true,
    config_managed: true,
    shared: true,
  },
  auth_policy_access: { policy_uuid: true, access: true },
  auth_group_policy: { group_uuid: true, policy_uuid: true },
  auth_user_policy: { user_uuid: true, policy_uuid: true },
  auth_session: {
    uuid: true,
    tenant_uuid: true,
    user_uuid: true,
    mobile: true,
    created_at: true,
    grant_uuid: true,
  },
  auth_token: {
    token_hash: true,
    session_uuid: true,
    auth_id: true,
    pbx_user_uuid: true,
    xivo_uuid: true,
    issued_at_ms: true,
    expires_at_ms: true,
    metadata: true,
    user_agent: true,
    remote_addr: true,
    acl: true,
    refresh_token_uuid: true,
    expire_soon_notified: true,
    dpop_jkt: true,
  },
  auth_refresh_token: {
    uuid: true,
    token_hash: true,
    token_ciphertext: true,
    client_id: true,
    user_uuid: true,
    backend: true,
    login: true,
    user_agent: true,
    remote_addr: true,
    mobile: true,
    metadata: true,
    created_at: true,
    last_used_at: true,
    acl: true,
    previous_hash: true,
    rotated_at: true,
  },
  auth_refresh_token_retired: { token_hash: true, refresh_token_uuid: true, retired_at: true },
  auth_tenant_domain: { uuid: true, tenant_uuid: true, name: true },
  auth_address: {
    tenant_uuid: true,
    line_1: true,
    line_2: true,
    city: true,
    state: true,
    country: true,
    zip_code: true,
  },
  auth_login_failure: {
    counter_key: true,
    failures: true,
    window_start_ms: true,
    locked_until_ms: true,
    lock_count: true,
    lock_id: true,
    expires_at_ms: true,
  },
  auth_oauth_client: {
    uuid: true,
    client_id: true,
    tenant_uuid: true,
    name: true,
    client_type: true,
    secret_hash: true,
    token_endpoint_auth_method: true,
    jwks: true,
    redirect_uris: true,
    grant_types: true,
    scopes: true,
    acl: true,
    access_token_lifetime_seconds: true,
    refresh_idle_seconds: true,
    refresh_max_lifetime_seconds: true,
    rotation: true,
    dpop_bound: true,
    skip_consent: true,
    created_at: true,
  },
  auth_oauth_scope: {
    uuid: true,
    tenant_uuid: true,
    name: true,
    description: true,
    acl: true,
  },
  auth_oauth_grant: {
    uuid: true,
    client_id: true,
    user_uuid: true,
    tenant_uuid: true,
    scope: true,
    token_hash: true,
    token_ciphertext: true,
    previous_hash: true,
    generation: true,
    rotated_at_ms: true,
    dpop_jkt: true,
    auth_time_ms: true,
    created_at_ms: true,
    last_used_at_ms: true,
  },
  auth_oauth_retired_token: {
    token_hash: true,
    grant_uuid: true,
    retired_at_ms: true,
  },
  auth_oauth_code: {
    code_hash: true,
    client_id: true,
    user_uuid: true,
    redirect_uri: true,
    scope: true,
    code_challenge: true,
    nonce: true,
    dpop_jkt: true,
    auth_time_ms: true,
    expires_at_ms: true,
    used_at_ms: true,
    grant_uuid: true,
    session_uuid: true,
  },
  auth_oauth_device_code: {
    device_code_hash: true,
    user_code: true,
    client_id: true,
    scope: true,
    status: true,
    user_uuid: true,
    auth_time_ms: true,
    interval_seconds: true,
    last_polled_at_ms: true,
    expires_at_ms: true,
  },
  auth_oauth_signing_key: {
    kid: true,
    alg: true,
    public_jwk: true,
    private_jwk_ciphertext: true,
    created_at_ms: true,
    active_from_ms: true,
    retire_after_ms: true,
  },
};

const TEN_YEARS_MS = 315_360_000 * 1000;
/** Every migration, in order: what a fresh database gets. */
const ALL_MIGRATIONS = [
  '0001-initial',
  '0002-tenant-details',
  '0003-login-failures',
  '0004-refresh-token-acl',
  '0005-oauth',
  '0006-signing-key-slot',
  '0007-refresh-token-rotation',
];

/** A fresh database of the dialect, migrated or not; always disposed. */
async function withDatabase(
  dialect: 'sqlite' | 'postgres',
  body: (storage: Storage, database: TestDatabase) => Promise<void>,
): Promise<void> {
  const database = await createTestDatabase(dialect);
  const storage = openStorage(database.url, { pgSchema: database.pgSchema });
  try {
    await body(storage, database);
  } finally {
    await storage.close();
    await database.dispose();
  }
}

async function listTables(storage: Storage, database: TestDatabase): Promise<Map<string, string[]>> {
  const tables = await storage.db.introspection.getTables();
  return new Map(
    tables
      .filter((t) => database.pgSchema === undefined || t.schema === database.pgSchema)
      .map((t) => [t.name, t.columns.map((c) => c.name).sort()]),
  );
}

async function insertUser(db: Db, tenantUuid: string, username: string): Promise<string> {
  const uuid = newId();
  await db
    .insertInto('auth_user')
    .values({
      uuid,
      username,
      password_hash: null,
      password_salt: null,
      firstname: null,
      lastname: null,
      enabled: true,
      tenant_uuid: tenantUuid,
      purpose: 'user',
      authentication_method: 'default',
      created_at: Date.now(),
    })
    .execute();
  return uuid;
}

/** Runs the insert, expecting a unique violation; returns what uniqueViolation() names. */
async function expectUniqueViolation(insert: () => Promise<unknown>): Promise<string> {
  try {
    await insert();
  } catch (error) {
    const violated = uniqueViolation(error);
    assert.notEqual(violated, null, `not recognised as a unique violation: ${String(error)}`);
    return violated as string;
  }
  assert.fail('expected a unique violation');
}

const postgresSkip = await postgresUnavailableReason();

for (const dialect of ['sqlite', 'postgres'] as const) {
  const skip = dialect === 'postgres' && postgresSkip ? postgresSkip : false;

  describe(`migrations [${dialect}]`, { skip }, () => {
    test('§4 migrateToLatest on a fresh database creates every table of tables.ts with its columns', async () => {
      await withDatabase(dialect, async (storage, database) => {
        assert.deepEqual(await migrateToLatest(storage), ALL_MIGRATIONS);
        const tables = await listTables(storage, database);
        for (const [table, columns] of Object.entries(COLUMNS)) {
          assert.ok(tables.has(table), `table ${table} missing`);
          assert.deepEqual(tables.get(table), Object.keys(columns).sort(), `columns of ${table}`);
        }
      });
    });

    test('§4 running the migrations again applies nothing', async () => {
      await withDatabase(dialect, async (storage, database) => {
        assert.deepEqual(await migrateToLatest(storage), ALL_MIGRATIONS);
        const before = await listTables(storage, database);
        assert.deepEqual(await migrateToLatest(storage), []);
        assert.deepEqual(await listTables(storage, database), before);
      });
    });

    test('§9.2 usernames, emails and slugs are unique case-insensitively (unique violation detected)', async () => {
      await withDatabase(dialect, async (storage) => {
        await migrateToLatest(storage);
        const { db } = storage;
        const tenant = await insertTenantRow(db, { slug: 'top' });
        await insertUser(db, tenant, 'Alice');
        const violated = await expectUniqueViolation(() => insertUser(db, tenant, 'alice'));
        assert.match(violated, /username/);

        const bob = await insertUser(db, tenant, 'bob');
        const email = (address: string) =>
          db
            .insertInto('auth_email')
            .values({ uuid: newId(), address, confirmed: true, main: true, user_uuid: bob })
            .execute();
        await email('Bob@Example.com');
        assert.match(await expectUniqueViolation(() => email('bob@example.COM')), /address/);

        const group = (tenantUuid: string, name: string, slug: string) =>
          db
            .insertInto('auth_group')
            .values({ uuid: newId(), name, slug, tenant_uuid: tenantUuid, system_managed: false })
            .execute();
        await group(tenant, 'Sales', 'Sales');
        assert.match(await expectUniqueViolation(() => group(tenant, 'Sales 2', 'sales')), /slug/);
        // Slugs are unique per tenant only.
        await group(await insertTenantRow(db, { slug: 'other' }), 'Sales', 'sales');

        const policy = (slug: string) =>
          db
            .insertInto('auth_policy')
            .values({
              uuid: newId(),
              name: slug,
              slug,
              description: null,
              tenant_uuid: tenant,
              config_managed: false,
              shared: false,
            })
            .execute();
        await policy('Operators');
        const policySlug = await expectUniqueViolation(() =>
          db
            .insertInto('auth_policy')
            .values({
              uuid: newId(),
              name: 'Operators 2',
              slug: 'OPERATORS',
              description: null,
              tenant_uuid: tenant,
              config_managed: false,
              shared: false,
            })
            .execute(),
        );
        assert.match(policySlug, /slug/);
      });
    });

    test('F68 a token expiring ten years after 2040 round-trips as the same JS number (64-bit ms)', async () => {
      await withDatabase(dialect, async (storage) => {
        await migrateToLatest(storage);
        const { db } = storage;
        const tenant = await insertTenantRow(db, { slug: 'top' });
        const user = await insertUser(db, tenant, 'far-future');
        const session = newId();
        const issuedAtMs = Date.UTC(2040, 0, 1);
        const expiresAtMs = issuedAtMs + TEN_YEARS_MS;
        assert.ok(expiresAtMs / 1000 > 2 ** 31, 'the value overflows wazo-auth int4 seconds');
        await db
          .insertInto('auth_session')
          .values({
            uuid: session,
            tenant_uuid: tenant,
            user_uuid: user,
            mobile: false,
            created_at: issuedAtMs,
          })
          .execute();
        await db
          .insertInto('auth_token')
          .values({
            token_hash: 'a'.repeat(64),
            session_uuid: session,
            auth_id: user,
            pbx_user_uuid: user,
            xivo_uuid: null,
            issued_at_ms: issuedAtMs,
            expires_at_ms: expiresAtMs,
            metadata: '{}',
            user_agent: '',
            remote_addr: '127.0.0.1',
            acl: '[]',
            refresh_token_uuid: null,
          })
          .execute();
        const row = await db
          .selectFrom('auth_token')
          .select(['issued_at_ms', 'expires_at_ms'])
          .where('expires_at_ms', '>', expiresAtMs - 1)
          .executeTakeFirstOrThrow();
        assert.equal(typeof row.expires_at_ms, 'number');
        assert.equal(row.expires_at_ms, expiresAtMs);
        assert.equal(row.issued_at_ms, issuedAtMs);
        const sessionRow = await db
          .selectFrom('auth_session')
          .select('created_at')
          .where('uuid', '=', session)
          .executeTakeFirstOrThrow();
        assert.equal(sessionRow.created_at, issuedAtMs);
      });
    });

    if (dialect === 'postgres') {
      test('§4 a schema migrates while another schema of the same database holds Gatehouse tables', async () => {
        // Several deployments (or test runs) may share one PostgreSQL database, one schema each.
        await withDatabase('postgres', async (neighbour) => {
          await migrateToLatest(neighbour);
          await withDatabase('postgres', async (storage, database) => {
            assert.deepEqual(await migrateToLatest(storage), ALL_MIGRATIONS);
            const tables = await listTables(storage, database);
            for (const table of Object.keys(COLUMNS)) assert.ok(tables.has(table), `table ${table} missing`);
            assert.deepEqual(await migrateToLatest(storage), []);
          });
        });
      });

      test('§4 two instances migrating one PostgreSQL at once both succeed and apply each migration once', async () => {
        const database = await createTestDatabase('postgres');
        const first = openStorage(database.url, { pgSchema: database.pgSchema });
        const second = openStorage(database.url, { pgSchema: database.pgSchema });
        try {
          const results = await Promise.all([migrateToLatest(first), migrateToLatest(second)]);
          assert.deepEqual(results.flat(), ALL_MIGRATIONS, JSON.stringify(results));
          const applied = await sql<{
            n: number | string;
          }>`select count(*) as n from kysely_migration`.execute(first.db);
          assert.equal(Number(applied.rows[0]?.n), ALL_MIGRATIONS.length);
          const tables = await listTables(first, database);
          for (const table of Object.keys(COLUMNS)) assert.ok(tables.has(table), `table ${table} missing`);
        } finally {
          await first.close();
          await second.close();
          await database.dispose();
        }
      });

      test('§4 a migration succeeds while other schemas of the database are created and dropped', async () => {
        // Kysely's own introspector read every schema and failed when one vanished meanwhile
        // (3F000), as test files dropping their schemas made happen now and then in CI.
        const churn = new pg.Client({ connectionString: POSTGRES_URL });
        await churn.connect();
        let migrating = true;
        let dropped = 0;
        const dropping = (async () => {
          while (migrating) {
            const name = `gh_churn_${process.pid}_${dropped}`;
            await churn.query(
              `create schema ${name}; create table ${name}.t (id serial primary key, note text)`,
            );
            await churn.query(`drop schema ${name} cascade`);
            dropped += 1;
          }
        })();
        try {
          for (let run = 0; run < 5; run += 1) {
            await withDatabase('postgres', async (storage) => {
              assert.deepEqual(await migrateToLatest(storage), ALL_MIGRATIONS);
            });
          }
        } finally {
          migrating = false;
          await dropping;
          await churn.end();
        }
        assert.ok(dropped > 0, 'schemas were dropped during the migrations');
      });
    }
  });
}
