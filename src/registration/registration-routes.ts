import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { EmailAddress } from '../emails/email-schemas.ts';
import { requireBody } from '../http/json-body.ts';
import { UserObject } from '../users/user-schemas.ts';
import type { RegistrationService } from './registration-service.ts';

export interface RegistrationRoutesOptions {
  registrationService: RegistrationService;
}

const Name = Type.Optional(Type.Union([Type.String({ maxLength: 512 }), Type.Null()]));

const RegisterBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 256 }),
    password: Type.String({ minLength: 1 }),
    email_address: EmailAddress,
    firstname: Name,
    lastname: Name,
  },
  { additionalProperties: false },
);

/** POST /users/register (wazo §2.3): open to anyone, so only registered when enabled in config. */
export const registrationRoutes: FastifyPluginAsync<RegistrationRoutesOptions> = async (base, options) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  app.post(
    '/users/register',
    {
      config: { resource: 'users' },
      schema: { tags: ['users'], body: RegisterBody, response: { 200: UserObject } },
      preValidation: requireBody,
    },
    async (request) => {
      const user = await options.registrationService.register(request.body);
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
    },
  );
};
