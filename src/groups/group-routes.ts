import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { requireBody } from '../http/json-body.ts';
import { renderUser } from '../users/user-routes.ts';
import { UserList, UserListQuery } from '../users/user-schemas.ts';
import { renderGroup } from './group.ts';
import {
  GroupCreateBody,
  GroupEditBody,
  GroupList,
  GroupListQuery,
  GroupObject,
  GroupParams,
  GroupUserParams,
  UserParams,
} from './group-schemas.ts';
import type { GroupService } from './group-service.ts';

export interface GroupRoutesOptions {
  groupService: GroupService;
}

const config = (acl: string) => ({ acl, resource: 'groups' });
const tags = ['groups'];

/** wazo-auth's groups and user_group plugins (§2.6); group ↔ policy routes live with the policies. */
export const groupRoutes: FastifyPluginAsync<GroupRoutesOptions> = async (base, options) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const service = options.groupService;

  app.get(
    '/groups',
    {
      config: config('auth.groups.read'),
      schema: { tags, querystring: GroupListQuery, response: { 200: GroupList } },
    },
    async (request) => {
      const list = await service.list(request.auth, request.query);
      return { ...list, items: list.items.map(renderGroup) };
    },
  );

  app.post(
    '/groups',
    {
      config: config('auth.groups.create'),
      schema: { tags, body: GroupCreateBody, response: { 200: GroupObject } },
      preValidation: requireBody,
    },
    async (request) => renderGroup(await service.create(request.auth, request.body)),
  );

  app.get(
    '/groups/:group_uuid',
    {
      config: config('auth.groups.{group_uuid}.read'),
      schema: { tags, params: GroupParams, response: { 200: GroupObject } },
    },
    async (request) => renderGroup(await service.get(request.auth, request.params.group_uuid)),
  );

  app.put(
    '/groups/:group_uuid',
    {
      config: config('auth.groups.{group_uuid}.update'),
      schema: { tags, params: GroupParams, body: GroupEditBody, response: { 200: GroupObject } },
      preValidation: requireBody,
    },
    async (request) =>
      renderGroup(await service.update(request.auth, request.params.group_uuid, request.body)),
  );

  app.delete(
    '/groups/:group_uuid',
    { config: config('auth.groups.{group_uuid}.delete'), schema: { tags, params: GroupParams } },
    async (request, reply) => {
      await service.delete(request.auth, request.params.group_uuid);
      return reply.code(204).send();
    },
  );

  app.get(
    '/groups/:group_uuid/users',
    {
      config: config('auth.groups.{group_uuid}.users.read'),
      schema: { tags, params: GroupParams, querystring: UserListQuery, response: { 200: UserList } },
    },
    async (request) => {
      const list = await service.listUsers(request.auth, request.params.group_uuid, request.query);
      return { ...list, items: list.items.map(renderUser) };
    },
  );

  app.put(
    '/groups/:group_uuid/users/:user_uuid',
    {
      config: config('auth.groups.{group_uuid}.users.{user_uuid}.create'),
      schema: { tags, params: GroupUserParams },
    },
    async (request, reply) => {
      await service.addUser(request.auth, request.params.group_uuid, request.params.user_uuid);
      return reply.code(204).send();
    },
  );

  app.delete(
    '/groups/:group_uuid/users/:user_uuid',
    {
      config: config('auth.groups.{group_uuid}.users.{user_uuid}.delete'),
      schema: { tags, params: GroupUserParams },
    },
    async (request, reply) => {
      await service.removeUser(request.auth, request.params.group_uuid, request.params.user_uuid);
      return reply.code(204).send();
    },
  );

  app.get(
    '/users/:user_uuid/groups',
    {
      config: config('auth.users.{user_uuid}.groups.read'),
      schema: { tags, params: UserParams, querystring: GroupListQuery, response: { 200: GroupList } },
    },
    async (request) => {
      const list = await service.listUserGroups(request.auth, request.params.user_uuid, request.query);
      return { ...list, items: list.items.map(renderGroup) };
    },
  );
};
