import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { RefreshTokenService } from './refresh-token-service.ts';
import {
  MeClientParams,
  RefreshTokenList,
  RefreshTokenListQuery,
  UserClientParams,
  UserTokensParams,
} from './token-schemas.ts';
import { renderRefreshToken } from './token-view.ts';

export interface RefreshTokenRoutesOptions {
  refreshTokenService: RefreshTokenService;
}

const tags = ['token'];

/** Refresh-token listing and deletion (wazo §2.1 rows 6–8b); `me` routes are static so they win. */
export const refreshTokenRoutes: FastifyPluginAsync<RefreshTokenRoutesOptions> = async (base, options) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const service = options.refreshTokenService;
  const listSchema = { tags, querystring: RefreshTokenListQuery, response: { 200: RefreshTokenList } };

  app.get('/tokens', { config: { acl: 'auth.tokens.read' }, schema: listSchema }, async (request) =>
    render(await service.listAll(request.auth, request.query)),
  );

  app.get(
    '/users/me/tokens',
    { config: { acl: 'auth.users.me.tokens.read' }, schema: listSchema },
    async (request) => render(await service.listOwn(request.auth, request.query)),
  );

  app.get(
    '/users/:user_uuid/tokens',
    {
      config: { acl: 'auth.users.{user_uuid}.tokens.read' },
      schema: { ...listSchema, params: UserTokensParams },
    },
    async (request) =>
      render(await service.listForUser(request.auth, request.params.user_uuid, request.query)),
  );

  app.delete(
    '/users/me/tokens/:client_id',
    { config: { acl: 'auth.users.me.tokens.{client_id}.delete' }, schema: { tags, params: MeClientParams } },
    async (request, reply) => {
      await service.deleteOwn(request.auth, request.params.client_id);
      return reply.code(204).send();
    },
  );

  app.delete(
    '/users/:user_uuid/tokens/:client_id',
    {
      config: { acl: 'auth.users.{user_uuid}.tokens.{client_id}.delete' },
      schema: { tags, params: UserClientParams },
    },
    async (request, reply) => {
      await service.delete(request.auth, request.params.user_uuid, request.params.client_id);
      return reply.code(204).send();
    },
  );
};

function render(list: {
  total: number;
  filtered: number;
  items: Parameters<typeof renderRefreshToken>[0][];
}) {
  return { total: list.total, filtered: list.filtered, items: list.items.map(renderRefreshToken) };
}
