import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { requireBody } from '../../http/json-body.ts';
import {
  OAuthClientCreateBody,
  OAuthClientEditBody,
  OAuthClientList,
  OAuthClientListQuery,
  OAuthClientObject,
  OAuthClientParams,
  OAuthClientWithSecret,
} from './oauth-client-schemas.ts';
import type { IssuedClient, OAuthClientService } from './oauth-client-service.ts';
import { renderClient } from './oauth-client-view.ts';

export interface OAuthClientRoutesOptions {
  oauthClientService: OAuthClientService;
}

const config = (acl: string) => ({ acl, resource: 'oauth_clients' });
const tags = ['oauth'];
const issued = ({ client, secret }: IssuedClient) => renderClient(client, secret);

/** The OAuth client registry (issue #6 §2): CRUD plus secret rotation, tenant-scoped. */
export const oauthClientRoutes: FastifyPluginAsync<OAuthClientRoutesOptions> = async (base, options) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const service = options.oauthClientService;

  app.get(
    '/oauth/clients',
    {
      config: config('auth.oauth.clients.read'),
      schema: { tags, querystring: OAuthClientListQuery, response: { 200: OAuthClientList } },
    },
    async (request) => {
      const list = await service.list(request.auth, request.query);
      return { ...list, items: list.items.map((client) => renderClient(client)) };
    },
  );

  app.post(
    '/oauth/clients',
    {
      config: config('auth.oauth.clients.create'),
      schema: { tags, body: OAuthClientCreateBody, response: { 200: OAuthClientWithSecret } },
      preValidation: requireBody,
    },
    async (request) => issued(await service.create(request.auth, request.body)),
  );

  app.get(
    '/oauth/clients/:client_uuid',
    {
      config: config('auth.oauth.clients.{client_uuid}.read'),
      schema: { tags, params: OAuthClientParams, response: { 200: OAuthClientObject } },
    },
    async (request) => renderClient(await service.get(request.auth, request.params.client_uuid)),
  );

  app.put(
    '/oauth/clients/:client_uuid',
    {
      config: config('auth.oauth.clients.{client_uuid}.update'),
      schema: {
        tags,
        params: OAuthClientParams,
        body: OAuthClientEditBody,
        response: { 200: OAuthClientWithSecret },
      },
      preValidation: requireBody,
    },
    async (request) => issued(await service.update(request.auth, request.params.client_uuid, request.body)),
  );

  app.delete(
    '/oauth/clients/:client_uuid',
    {
      config: config('auth.oauth.clients.{client_uuid}.delete'),
      schema: { tags, params: OAuthClientParams },
    },
    async (request, reply) => {
      await service.delete(request.auth, request.params.client_uuid);
      return reply.code(204).send();
    },
  );

  app.post(
    '/oauth/clients/:client_uuid/secret',
    {
      config: config('auth.oauth.clients.{client_uuid}.secret.update'),
      schema: { tags, params: OAuthClientParams, response: { 200: OAuthClientWithSecret } },
    },
    async (request) => issued(await service.rotateSecret(request.auth, request.params.client_uuid)),
  );
};
