import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';

export interface StatusRoutesOptions {
  /** Resolves when the database answers. */
  ping: () => Promise<void>;
  backends: readonly string[];
}

const PING_TIMEOUT_MS = 2000;

const StatusBody = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('fail')]),
  database: Type.Object({ status: Type.Union([Type.Literal('ok'), Type.Literal('fail')]) }),
});

/** Readiness (`HEAD /status`: 200 when the database answers, 503 otherwise) and `GET /backends`. */
export const statusRoutes: FastifyPluginAsync<StatusRoutesOptions> = async (base, options) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  // A hung database must not hang the readiness probe: no answer within the limit counts as down.
  const databaseStatus = async () => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('database ping timed out')), PING_TIMEOUT_MS);
    });
    try {
      await Promise.race([options.ping(), timeout]);
      return 'ok' as const;
    } catch {
      return 'fail' as const;
    } finally {
      clearTimeout(timer);
    }
  };

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
