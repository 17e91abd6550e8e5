import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApp } from '../app.ts';
import { ManualClock } from '../clock/clock.ts';
import { loadConfig } from '../config/config-loader.ts';
import { buildContainer, type Container } from '../container.ts';
import { MemoryEventSink } from '../events/event-sink.ts';
import { buildLoggerOptions } from '../logging/logger-options.ts';
import { prepareDatabase } from '../startup.ts';
import { createTestDatabase, type TestDatabase } from './test-databases.ts';

export const ADMIN_USERNAME = 'admin';
export const ADMIN_PASSWORD = 's3cre7-admin-password';
const TEST_REFRESH_TOKEN_KEY = Buffer.alloc(32, 7).toString('base64');

export interface TestServerOptions {
  /** Configuration on top of the test defaults; sections such as `http` are merged key by key. */
  config?: Record<string, unknown>;
  /** Use a hand-moved clock (expiry tests); the real clock otherwise. */
  manualClock?: boolean;
  /** Run a second instance on the database of an existing test server (multi-instance tests). */
  shareDatabaseWith?: TestServer;
  /** Connect to PostgreSQL through this URL instead (e.g. a fault proxy in front of the real server). */
  databaseUrlOverride?: string;
}

/**
 * A real Gatehouse listening on 127.0.0.1 on a random port, over a real SQLite file or a throwaway
 * PostgreSQL schema, with every log line and event captured for assertions.
 */
export interface TestServer {
  /** http://127.0.0.1:<port>/0.1 */
  api: string;
  origin: string;
  dialect: 'sqlite' | 'postgres';
  container: Container;
  app: FastifyInstance;
  events: MemoryEventSink;
  logs: string[];
  clock: ManualClock | null;
  database: TestDatabase;
  topTenantUuid: string;
  adminUuid: string;
  close(): Promise<void>;
}

export async function startTestServer(
  dialect: 'sqlite' | 'postgres',
  options: TestServerOptions = {},
): Promise<TestServer> {
  const shared = options.shareDatabaseWith?.database;
  const database = shared ?? (await createTestDatabase(dialect));
  const defaults = testDefaults(database);
  if (options.databaseUrlOverride) defaults.database_url = options.databaseUrlOverride;
  const config = loadConfig({}, mergeSections(defaults, options.config ?? {}));
  const logs: string[] = [];
  const logger = pino(buildLoggerOptions('info'), { write: (line: string) => logs.push(line) });
  const events = new MemoryEventSink();
  const clock = options.manualClock ? new ManualClock() : null;
  const container = buildContainer(config, {
    logger,
    eventSinks: [events],
    ...(clock ? { clock } : {}),
    storage: { pgSchema: database.pgSchema, poolSize: 5 },
  });
  const { top, admin } = await prepareDatabase(container);
  const app = await buildApp(container);
  // Tests run the expiry job by hand (runOnce) so its effects are deterministic.
  await container.startBackground({ expiryJob: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const origin = `http://127.0.0.1:${port}`;
  return {
    api: `${origin}${config.http.path_prefix}/0.1`,
    origin,
    dialect,
    container,
    app,
    events,
    logs,
    clock,
    database,
    topTenantUuid: top.uuid,
    adminUuid: admin.userUuid,
    // Only the server that created the database disposes of it.
    close: () => closeAll(app, container, shared ? null : database),
  };
}

function testDefaults(database: TestDatabase): Record<string, unknown> {
  return {
    database_url: database.url,
    data_dir: database.dataDir,
    xivo_uuid: 'the-predefined-xivo-uuid',
    max_user_concurrent_sessions: 10,
    token_cleanup_interval: 0,
    // Production answers 503 after 2 s; a loaded 2-core CI box can take that long for honest work.
    // Suites about the bound itself (FT-2, FT-4) set it back.
    database_timeout_ms: 10_000,
    bootstrap: { username: ADMIN_USERNAME, password: ADMIN_PASSWORD },
    // Instances of one test database share the refresh-token key, as production instances must.
    refresh_tokens: { encryption_key: TEST_REFRESH_TOKEN_KEY },
  };
}

/** Overrides replace top-level values but merge into sections (`http`, `bootstrap`…) key by key. */
function mergeSections(
  base: Record<string, unknown>,
  extra: Record<string, unknown>,
): Record<string, unknown> {
  const out = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = out[key];
    const bothObjects = [current, value].every(
      (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
    );
    out[key] = bothObjects ? { ...(current as object), ...(value as object) } : value;
  }
  return out;
}

async function closeAll(
  app: FastifyInstance,
  container: Container,
  database: TestDatabase | null,
): Promise<void> {
  await app.close();
  await container.close();
  await database?.dispose();
}
