import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync } from 'fastify';
import { requireBody } from '../http/json-body.ts';
import type { TenantDetails } from './tenant.ts';
import {
  DomainList,
  TenantCreateBody,
  TenantEditBody,
  TenantList,
  TenantListQuery,
  TenantObject,
  TenantParams,
  TenantParentParams,
} from './tenant-schemas.ts';
import type { TenantService } from './tenant-service.ts';

export interface TenantRoutesOptions {
  tenantService: TenantService;
}

const config = (acl: string) => ({ acl, resource: 'tenants' });
const tags = ['tenants'];

/** wazo-auth's tenants plugin (§2.5). */
export const tenantRoutes: FastifyPluginAsync<TenantRoutesOptions> = async (base, options) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const service = options.tenantService;

  app.get(
    '/tenants',
    {
      config: config('auth.tenants.read'),
      schema: { tags, querystring: TenantListQuery, response: { 200: TenantList } },
    },
    async (request) => {
      const list = await service.list(request.auth, request.query);
      return { ...list, items: list.items.map(renderTenant) };
    },
  );

  app.post(
    '/tenants',
    {
      config: config('auth.tenants.create'),
      schema: { tags, body: TenantCreateBody, response: { 200: TenantObject } },
      preValidation: requireBody,
    },
    async (request) => renderTenant(await service.create(request.auth, request.body)),
  );

  app.get(
    '/tenants/:tenant_uuid',
    {
      config: config('auth.tenants.{tenant_uuid}.read'),
      schema: { tags, params: TenantParams, response: { 200: TenantObject } },
    },
    async (request) => renderTenant(await service.get(request.auth, request.params.tenant_uuid)),
  );

  app.put(
    '/tenants/:tenant_uuid',
    {
      config: config('auth.tenants.{tenant_uuid}.update'),
      schema: { tags, params: TenantParams, body: TenantEditBody, response: { 200: TenantObject } },
      preValidation: requireBody,
    },
    async (request) =>
      renderTenant(await service.update(request.auth, request.params.tenant_uuid, request.body)),
  );

  app.delete(
    '/tenants/:tenant_uuid',
    { config: config('auth.tenants.{tenant_uuid}.delete'), schema: { tags, params: TenantParams } },
    async (request, reply) => {
      await service.delete(request.auth, request.params.tenant_uuid);
      return reply.code(204).send();
    },
  );

  app.get(
    '/tenants/:tenant_uuid/domains',
    {
      config: config('auth.tenants.{tenant_uuid}.domains.read'),
      schema: { tags, params: TenantParams, response: { 200: DomainList } },
    },
    async (request) => service.domains(request.auth, request.params.tenant_uuid),
  );

  app.put(
    '/tenants/:tenant_uuid/parent/:parent_tenant_uuid',
    {
      config: config('auth.tenants.{tenant_uuid}.parent.{parent_tenant_uuid}.update'),
      schema: { tags, params: TenantParentParams },
    },
    async (request, reply) => {
      const { tenant_uuid, parent_tenant_uuid } = request.params;
      await service.reparent(request.auth, tenant_uuid, parent_tenant_uuid);
      return reply.code(204).send();
    },
  );
};

export function renderTenant(tenant: TenantDetails) {
  return {
    uuid: tenant.uuid,
    parent_uuid: tenant.parentUuid,
    name: tenant.name,
    slug: tenant.slug,
    contact: tenant.contactUuid,
    phone: tenant.phone,
    domain_names: tenant.domainNames,
    default_authentication_method: tenant.defaultAuthenticationMethod,
    address: tenant.address,
  };
}
