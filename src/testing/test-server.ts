import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApp } from '../app.ts';
import { ManualClock } from '../clock/clock.ts';
import { loadConfig } from '../config/config-loader.ts';
import type { Config } from '../config/config-schema.ts';
import { buildContainer, type Container } from '../container.ts';
import { MemoryEventSink } from '../events/event-sink.ts';
import { buildLoggerOptions } from '../logging/logger-options.ts';
import { prepareDatabase } from '../startup.ts';
import { createTestDatabase, type TestDatabase } from './test-databases.ts';

export const ADMIN_USERNAME = 'admin';
export const ADMIN_PASSWORD = 's3cre7-admin-password';

export interface TestServerOptions {
  /** Configuration on top of the test defaults (nested objects are merged by loadConfig). */
  config?: Record<string, unknown>;
  /** Use a hand-moved clock (expiry tests); the real clock otherwise. */
  manualClock?: boolean;
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
  topTenantUuid: string;
  adminUuid: string;
  close(): Promise<void>;
}

export async function startTestServer(
  dialect: 'sqlite' | 'postgres',
  options: TestServerOptions = {},
): Promise<TestServer> {
  const database = await createTestDatabase(dialect);
  const config = loadConfig({}, { ...testDefaults(database), ...(options.config ?? {}) });
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
    topTenantUuid: top.uuid,
    adminUuid: admin.userUuid,
    close: () => closeAll(app, container, database),
  };
}

function testDefaults(database: TestDatabase): Partial<Config> & Record<string, unknown> {
  return {
    database_url: database.url,
    data_dir: database.dataDir,
    xivo_uuid: 'the-predefined-xivo-uuid',
    max_user_concurrent_sessions: 10,
    token_cleanup_interval: 0,
    bootstrap: { username: ADMIN_USERNAME, password: ADMIN_PASSWORD },
  };
}

async function closeAll(app: FastifyInstance, container: Container, database: TestDatabase): Promise<void> {
  await app.close();
  await container.close();
  await database.dispose();
}
