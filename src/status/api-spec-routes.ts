import type { FastifyPluginAsync } from 'fastify';

/** GET /api/api.yml: the OpenAPI document generated from the same TypeBox schemas that validate requests. */
export const apiSpecRoutes: FastifyPluginAsync = async (app) => {
  app.get('/api/api.yml', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('application/x-yaml').send(app.swagger({ yaml: true })),
  );
};
