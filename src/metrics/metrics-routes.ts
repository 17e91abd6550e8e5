import { createServer, type Server } from 'node:http';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Metrics } from './metrics.ts';

const TOKEN_CHECK_ROUTE = /\/token\/:token$/;

/**
 * Records every response by route pattern (a token in the URL never becomes a label), and
 * classifies token checks as wazo clients read them: 2xx valid, 403 forbidden, 404 unknown.
 */
export function recordRequestMetrics(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = routePattern(request);
    metrics.observeRequest(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    if ((request.method === 'HEAD' || request.method === 'GET') && TOKEN_CHECK_ROUTE.test(route)) {
      const status = reply.statusCode;
      if (status < 300) metrics.observeCheck('valid');
      else if (status === 403) metrics.observeCheck('forbidden');
      else if (status === 404) metrics.observeCheck('unknown');
    }
  });
}

function routePattern(request: { routeOptions?: { url?: string } }): string {
  try {
    return request.routeOptions?.url ?? 'unmatched';
  } catch {
    return 'unmatched';
  }
}

/** `GET /metrics` on the main port, behind the `auth.metrics.read` ACL. */
export const metricsRoutes: FastifyPluginAsync<{ metrics: Metrics }> = async (app, options) => {
  app.get(
    '/metrics',
    { config: { acl: 'auth.metrics.read' }, schema: { hide: true } },
    async (_request, reply) =>
      reply.type(options.metrics.registry.contentType).send(await options.metrics.registry.metrics()),
  );
};

/** `GET /metrics` alone on a separate port, for scrapers that cannot send a token. */
export async function listenMetrics(metrics: Metrics, host: string, port: number): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"Not found"}');
      return;
    }
    void metrics.registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      () => response.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return server;
}
