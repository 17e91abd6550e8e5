import { buildApp } from './app.ts';
import type { Config } from './config/config-schema.ts';
import { buildContainer } from './container.ts';
import { listenMetrics } from './metrics/metrics-routes.ts';
import { prepareDatabase } from './startup.ts';

/**
 * `gatehouse serve`: prepare the database, listen, and on SIGTERM/SIGINT stop accepting, let
 * in-flight requests finish (bounded by shutdown_timeout_seconds) and exit.
 */
export async function serve(config: Readonly<Config>): Promise<void> {
  const container = buildContainer(config);
  const { admin } = await prepareDatabase(container);
  if (admin.generatedPassword) {
    process.stdout.write(
      `\nGatehouse created the administrator "${config.bootstrap.username}" with the password:\n\n` +
        `    ${admin.generatedPassword}\n\nIt is shown once and saved in ${admin.passwordFile} (mode 0600).\n\n`,
    );
  }
  const app = await buildApp(container);
  await container.startBackground();
  await app.listen({ host: config.host, port: config.port });
  const { metrics } = config;
  const metricsServer =
    metrics.enabled && metrics.port !== null
      ? await listenMetrics(container.metrics, metrics.host, metrics.port)
      : null;

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    container.log.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      container.log.warn('shutdown timeout reached; exiting with requests still in flight');
      process.exit(1);
    }, config.shutdown_timeout_seconds * 1000);
    deadline.unref();
    void (async () => {
      metricsServer?.close();
      await app.close();
      await container.close();
      process.exit(0);
    })();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
