import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { SessionService } from './session-service.ts';
import {
  SessionList,
  SessionListQuery,
  SessionParams,
  UserSessionParams,
  UserTokensParams,
} from './token-schemas.ts';
import { renderSession } from './token-view.ts';

export interface SessionRoutesOptions {
  sessionService: SessionService;
}

const tags = ['sessions'];

/** The sessions plugins of wazo-auth (§2.9). */
export const sessionRoutes: FastifyPluginAsync<SessionRoutesOptions> = async (base, options) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const service = options.sessionService;

  app.get(
    '/sessions',
    {
      config: { acl: 'auth.sessions.read' },
      schema: { tags, querystring: SessionListQuery, response: { 200: SessionList } },
    },
    async (request) => render(await service.list(request.auth, request.query)),
  );

  app.delete(
    '/sessions/:session_uuid',
    { config: { acl: 'auth.sessions.{session_uuid}.delete' }, schema: { tags, params: SessionParams } },
    async (request, reply) => {
      await service.delete(request.auth, request.params.session_uuid);
      return reply.code(204).send();
    },
  );

  app.get(
    '/users/:user_uuid/sessions',
    {
      config: { acl: 'auth.users.{user_uuid}.sessions.read' },
      schema: {
        tags,
        params: UserTokensParams,
        querystring: SessionListQuery,
        response: { 200: SessionList },
      },
    },
    async (request) =>
      render(await service.listForUser(request.auth, request.params.user_uuid, request.query)),
  );

  app.delete(
    '/users/:user_uuid/sessions/:session_uuid',
    {
      config: { acl: 'auth.users.{user_uuid}.sessions.{session_uuid}.delete' },
      schema: { tags, params: UserSessionParams },
    },
    async (request, reply) => {
      await service.deleteForUser(request.auth, request.params.user_uuid, request.params.session_uuid);
      return reply.code(204).send();
    },
  );
};

function render(list: { total: number; filtered: number; items: Parameters<typeof renderSession>[0][] }) {
  return { total: list.total, filtered: list.filtered, items: list.items.map(renderSession) };
}
