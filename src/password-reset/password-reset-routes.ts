import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { clientAddress } from '../http/client-address.ts';
import { requireBody } from '../http/json-body.ts';
import type { PasswordResetService } from './password-reset-service.ts';

export interface PasswordResetRoutesOptions {
  passwordResetService: PasswordResetService;
}

const tags = ['users'];

const ResetRequestQuery = Type.Object({
  username: Type.Optional(Type.String()),
  email: Type.Optional(Type.String()),
  login: Type.Optional(Type.String({ description: 'A username or an email address.' })),
});

const ResetQuery = Type.Object({
  user_uuid: Type.Optional(Type.String()),
  token: Type.Optional(Type.String({ description: 'The link token; wins over X-Auth-Token (wazo §1.2).' })),
});

const ResetBody = Type.Object(
  { password: Type.Union([Type.String({ minLength: 1 }), Type.Null()]) },
  { additionalProperties: false },
);

/**
 * wazo's password_reset plugin (§2.3). Neither route has a route ACL: the request is open to
 * anyone, and the reset checks its token itself because the ACL names a query parameter.
 */
export const passwordResetRoutes: FastifyPluginAsync<PasswordResetRoutesOptions> = async (base, options) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const service = options.passwordResetService;

  app.get(
    '/users/password/reset',
    { config: { resource: 'reset' }, schema: { tags, querystring: ResetRequestQuery } },
    async (request, reply) => {
      await service.request(request.query, clientAddress(request));
      return reply.code(204).send();
    },
  );

  app.post(
    '/users/password/reset',
    {
      config: { resource: 'reset' },
      schema: { tags, querystring: ResetQuery, body: ResetBody },
      preValidation: requireBody,
    },
    async (request, reply) => {
      const header = request.headers['x-auth-token'];
      const token = request.query.token || (Array.isArray(header) ? header[0] : header) || '';
      await service.reset(token, request.query.user_uuid ?? '', request.body.password);
      return reply.code(204).send();
    },
  );
};
