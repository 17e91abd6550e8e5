import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { requireBody } from '../http/json-body.ts';
import { CONFIG_READ_ACL, CONFIG_UPDATE_ACL, type ConfigService } from './config-service.ts';

export interface ConfigRoutesOptions {
  configService: ConfigService;
}

const ConfigPatchBody = Type.Array(
  Type.Object({
    op: Type.Literal('replace'),
    path: Type.Union([Type.Literal('/debug'), Type.Literal('/profiling_enabled')]),
    value: Type.Boolean(),
  }),
  {
    maxItems: 100,
    description: 'JSON-Patch operations; only boolean replaces of /debug and /profiling_enabled.',
  },
);

const ConfigView = Type.Object(
  { debug: Type.Boolean(), profiling_enabled: Type.Boolean() },
  { additionalProperties: true, description: 'The running configuration, secrets redacted.' },
);

const routeConfig = (acl: string) => ({ acl, resource: 'config' });
const tags = ['config'];

/** wazo-auth's config plugin (§2.12): read the running configuration, toggle debug logging. */
export const configRoutes: FastifyPluginAsync<ConfigRoutesOptions> = async (base, options) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const service = options.configService;

  app.get(
    '/config',
    { config: routeConfig(CONFIG_READ_ACL), schema: { tags, response: { 200: ConfigView } } },
    async (request) => service.get(request.auth),
  );

  app.patch(
    '/config',
    {
      config: routeConfig(CONFIG_UPDATE_ACL),
      schema: { tags, body: ConfigPatchBody, response: { 200: ConfigView } },
      preValidation: requireBody,
    },
    async (request) => service.patch(request.auth, request.body),
  );
};
