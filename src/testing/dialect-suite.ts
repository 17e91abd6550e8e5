import { after, before, describe } from 'node:test';
import { postgresUnavailableReason } from './test-databases.ts';
import { startTestServer, type TestServer, type TestServerOptions } from './test-server.ts';

export interface SuiteContext {
  /** The server of the current dialect (started in `before`). */
  server(): TestServer;
}

/**
 * Declares the same suite once per database engine. PostgreSQL suites that cannot run are
 * declared skipped with the reason, so the runner's summary shows them.
 */
export async function describeEachDialect(
  title: string,
  options: TestServerOptions,
  body: (context: SuiteContext) => void,
): Promise<void> {
  const postgresSkip = await postgresUnavailableReason();
  for (const dialect of ['sqlite', 'postgres'] as const) {
    const skip = dialect === 'postgres' && postgresSkip ? postgresSkip : false;
    describe(`${title} [${dialect}]`, { skip }, () => {
      let server: TestServer | undefined;
      before(async () => {
        server = await startTestServer(dialect, options);
      });
      after(async () => {
        await server?.close();
      });
      body({
        server: () => {
          if (!server) throw new Error('server not started');
          return server;
        },
      });
    });
  }
}
