import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { requireBody } from '../http/json-body.ts';
import type { User } from './user.ts';
import {
  PasswordChangeBody,
  UserCreateBody,
  UserEditBody,
  UserList,
  UserListQuery,
  UserObject,
  UserParams,
} from './user-schemas.ts';
import type { UserService } from './user-service.ts';

export interface UserRoutesOptions {
  userService: UserService;
}

const config = (acl: string) => ({ acl, resource: 'users' });
const tags = ['users'];

/** wazo-auth's users plugin (§2.2). */
export const userRoutes: FastifyPluginAsync<UserRoutesOptions> = async (base, options) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const service = options.userService;

  app.get(
    '/users',
    {
      config: config('auth.users.read'),
      schema: { tags, querystring: UserListQuery, response: { 200: UserList } },
    },
    async (request) => {
      const list = await service.list(request.auth, request.query);
      return { ...list, items: list.items.map(renderUser) };
    },
  );

  app.post(
    '/users',
    {
      config: config('auth.users.create'),
      schema: { tags, body: UserCreateBody, response: { 200: UserObject } },
      preValidation: requireBody,
    },
    async (request) => renderUser(await service.create(request.auth, request.body)),
  );

  app.get(
    '/users/:user_uuid',
    {
      config: config('auth.users.{user_uuid}.read'),
      schema: { tags, params: UserParams, response: { 200: UserObject } },
    },
    async (request) => renderUser(await service.get(request.auth, request.params.user_uuid)),
  );

  app.put(
    '/users/:user_uuid',
    {
      config: config('auth.users.{user_uuid}.update'),
      schema: { tags, params: UserParams, body: UserEditBody, response: { 200: UserObject } },
      preValidation: requireBody,
    },
    async (request) => renderUser(await service.update(request.auth, request.params.user_uuid, request.body)),
  );

  app.delete(
    '/users/:user_uuid',
    { config: config('auth.users.{user_uuid}.delete'), schema: { tags, params: UserParams } },
    async (request, reply) => {
      await service.delete(request.auth, request.params.user_uuid);
      return reply.code(204).send();
    },
  );

  app.put(
    '/users/:user_uuid/password',
    {
      config: config('auth.users.{user_uuid}.password.update'),
      schema: { tags, params: UserParams, body: PasswordChangeBody },
      preValidation: requireBody,
    },
    async (request, reply) => {
      const { old_password, new_password } = request.body;
      await service.changePassword(request.auth, request.params.user_uuid, old_password, new_password);
      return reply.code(204).send();
    },
  );
};

/** The wire shape of a user (wazo §2.2), also printed by `gatehouse user list --json`. */
export function renderUser(user: User) {
  return {
    uuid: user.uuid,
    username: user.username,
    firstname: user.firstname,
    lastname: user.lastname,
    purpose: user.purpose,
    tenant_uuid: user.tenantUuid,
    enabled: user.enabled,
    authentication_method: user.authenticationMethod,
    emails: user.emails,
  };
}
