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
        server = await startWithOneRetry(`${title} [${dialect}]`, dialect, options);
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

/**
 * Starting a server is set-up, not the behaviour under test: on a loaded 2-core CI machine a
 * PostgreSQL connection can miss its timeout while another suite hashes passwords. One retry,
 * with the first error printed so that a real start-up defect still shows (and fails the second time).
 */
async function startWithOneRetry(
  suite: string,
  dialect: 'sqlite' | 'postgres',
  options: TestServerOptions,
): Promise<TestServer> {
  try {
    return await startTestServer(dialect, options);
  } catch (error) {
    console.error(`# ${suite}: test server did not start, retrying once:`, error);
    return startTestServer(dialect, options);
  }
}
