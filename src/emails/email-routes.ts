import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { requireBody } from '../http/json-body.ts';
import {
  AdminEmailsBody,
  EmailConfirmParams,
  EmailList,
  TokenQuery,
  UserEmailConfirmParams,
  UserEmailParams,
  UserEmailsBody,
} from './email-schemas.ts';
import type { EmailService } from './email-service.ts';

export interface EmailRoutesOptions {
  emailService: EmailService;
  /** The page GET /emails/{e}/confirm answers with, and its Content-Type (wazo config). */
  confirmedPage: { body: string; mimetype: string };
}

const config = (acl: string) => ({ acl, resource: 'emails' });
const tags = ['emails'];

/**
 * wazo-auth's email links put the token in `?token=`; there it wins over X-Auth-Token (§1.2).
 * Runs before the shared auth hook, which reads only the header.
 */
async function tokenFromQuery(request: FastifyRequest): Promise<void> {
  const { token } = request.query as { token?: unknown };
  if (typeof token === 'string' && token !== '') request.headers['x-auth-token'] = token;
}

/** wazo's user_email and email_confirm plugins (§2.4). */
export const emailRoutes: FastifyPluginAsync<EmailRoutesOptions> = async (base, options) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const service = options.emailService;

  app.put(
    '/users/:user_uuid/emails',
    {
      config: config('auth.users.{user_uuid}.emails.update'),
      schema: { tags, params: UserEmailParams, body: UserEmailsBody, response: { 200: EmailList } },
      preValidation: requireBody,
    },
    async (request) => {
      const emails = request.body.emails.map(({ address, main }) => ({ address, main }));
      return service.replace(request.auth, request.params.user_uuid, emails);
    },
  );

  app.put(
    '/admin/users/:user_uuid/emails',
    {
      config: config('auth.admin.users.{user_uuid}.emails.update'),
      schema: { tags, params: UserEmailParams, body: AdminEmailsBody, response: { 200: EmailList } },
      preValidation: requireBody,
    },
    async (request) => service.replace(request.auth, request.params.user_uuid, request.body.emails),
  );

  app.get(
    '/users/:user_uuid/emails/:email_uuid/confirm',
    {
      config: config('auth.users.{user_uuid}.emails.{email_uuid}.confirm.read'),
      schema: { tags, params: UserEmailConfirmParams },
    },
    async (request, reply) => {
      await service.resend(request.auth, request.params.user_uuid, request.params.email_uuid);
      return reply.code(204).send();
    },
  );

  app.put(
    '/emails/:email_uuid/confirm',
    {
      config: config('auth.emails.{email_uuid}.confirm.update'),
      schema: { tags, params: EmailConfirmParams },
    },
    async (request, reply) => {
      await service.confirm(request.auth, request.params.email_uuid);
      return reply.code(204).send();
    },
  );

  app.get(
    '/emails/:email_uuid/confirm',
    {
      config: config('auth.emails.{email_uuid}.confirm.update'),
      schema: { tags, params: EmailConfirmParams, querystring: TokenQuery },
      onRequest: tokenFromQuery,
    },
    async (request, reply) => {
      await service.confirm(request.auth, request.params.email_uuid);
      return reply.code(200).type(options.confirmedPage.mimetype).send(options.confirmedPage.body);
    },
  );
};
