import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { DatabaseHealth } from './database-health.ts';

export interface StatusRoutesOptions {
  /** Resolves when the database answers. */
  ping: () => Promise<void>;
  backends: readonly string[];
}

const StatusBody = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('fail')]),
  database: Type.Object({ status: Type.Union([Type.Literal('ok'), Type.Literal('fail')]) }),
});

/** Readiness (`HEAD /status`: 200 when the database answers, 503 otherwise) and `GET /backends`. */
export const statusRoutes: FastifyPluginAsync<StatusRoutesOptions> = async (base, options) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  // A hung database must not hang the readiness probe (FT-4): see DatabaseHealth.
  const health = new DatabaseHealth({ ping: options.ping });
  const databaseStatus = () => health.state();

  app.head('/status', { schema: { tags: ['status'] } }, async (_request, reply) => {
    const status = await databaseStatus();
    return reply
      .code(status === 'ok' ? 200 : 503)
      .header('cache-control', 'no-store')
      .send();
  });

  app.get(
    '/status',
    { schema: { tags: ['status'], response: { 200: StatusBody, 503: StatusBody } } },
    async (_r, reply) => {
      const status = await databaseStatus();
      reply.code(status === 'ok' ? 200 : 503).header('cache-control', 'no-store');
      return { status, database: { status } };
    },
  );

  app.get(
    '/backends',
    { schema: { tags: ['status'], response: { 200: Type.Object({ data: Type.Array(Type.String()) }) } } },
    async () => ({ data: [...options.backends] }),
  );
};
