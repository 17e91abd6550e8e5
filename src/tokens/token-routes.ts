import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { parseBasicCredentials } from '../http/basic-auth.ts';
import { clientAddress } from '../http/client-address.ts';
import { requireBody } from '../http/json-body.ts';
import type { DpopPresentation, TokenCheckService } from './token-check-service.ts';
import { parseTokenRequest } from './token-request.ts';
import {
  RevokedResponse,
  ScopesCheckBody,
  ScopesCheckResult,
  TokenCheckQuery,
  TokenEnvelope,
  TokenParams,
  TokenRequestBody,
} from './token-schemas.ts';
import { type ScopeCaps, scopeCapsHook } from './token-scope-caps.ts';
import type { TokenService } from './token-service.ts';
import { renderToken } from './token-view.ts';

export interface TokenRoutesOptions {
  tokenService: TokenService;
  tokenCheck: TokenCheckService;
  maxExpirationSeconds: number;
  scopeCaps: ScopeCaps;
}

const tokenRoute = { config: { errorShape: 'legacy' as const }, schema: { tags: ['token'] } };

/** Validation of POST /token is parseTokenRequest's own; the schema only documents the body. */
const documentOnly = () => (value: unknown) => ({ value });

/** wazo-auth's token plugin (§2.1, §3.6): create, check, read, revoke, scopes check. */
export const tokenRoutes: FastifyPluginAsync<TokenRoutesOptions> = async (base, options) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const { tokenService, tokenCheck } = options;
  const checkScopeCaps = scopeCapsHook(options.scopeCaps);

  app.post(
    '/token',
    {
      ...tokenRoute,
      schema: { ...tokenRoute.schema, body: TokenRequestBody, response: { 200: TokenEnvelope } },
      validatorCompiler: documentOnly,
      preValidation: requireBody,
    },
    async (request, reply) => {
      const issued = await tokenService.create({
        request: parseTokenRequest(request.body, options.maxExpirationSeconds, options.scopeCaps),
        credentials: parseBasicCredentials(request.headers.authorization),
        mobile: String(request.headers['wazo-session-type'] ?? '').toLowerCase() === 'mobile',
        userAgent: String(request.headers['user-agent'] ?? ''),
        remoteAddr: clientAddress(request),
      });
      noStore(reply).header('wazo-sessions-revoked', String(issued.sessionsRevoked));
      return {
        data: renderToken(issued.token, issued.record, { precise: true, refreshToken: issued.refreshToken }),
      };
    },
  );

  app.get(
    '/token/:token',
    {
      ...tokenRoute,
      schema: {
        ...tokenRoute.schema,
        params: TokenParams,
        querystring: TokenCheckQuery,
        response: { 200: TokenEnvelope },
      },
      preValidation: checkScopeCaps,
    },
    async (request, reply) => {
      const record = await tokenCheck.check(request.params.token, request.query, forwardedDpop(request));
      noStore(reply);
      return { data: renderToken(request.params.token, record, { precise: false }) };
    },
  );

  app.head(
    '/token/:token',
    {
      ...tokenRoute,
      schema: { ...tokenRoute.schema, params: TokenParams, querystring: TokenCheckQuery },
      preValidation: checkScopeCaps,
    },
    async (request, reply) => {
      await tokenCheck.check(request.params.token, request.query, forwardedDpop(request));
      return reply.code(204).send();
    },
  );

  app.delete(
    '/token/:token',
    {
      ...tokenRoute,
      schema: { ...tokenRoute.schema, params: TokenParams, response: { 200: RevokedResponse } },
    },
    async (request) => {
      await tokenCheck.revoke(request.params.token);
      return { data: { message: 'success' } };
    },
  );

  app.post(
    '/token/:token/scopes/check',
    {
      ...tokenRoute,
      schema: {
        ...tokenRoute.schema,
        params: TokenParams,
        body: ScopesCheckBody,
        response: { 200: ScopesCheckResult },
      },
      preValidation: [requireBody, checkScopeCaps],
    },
    async (request) => ({
      scopes: await tokenCheck.checkScopes(
        request.params.token,
        request.body.scopes,
        request.body.tenant_uuid,
        forwardedDpop(request),
      ),
    }),
  );
};

/**
 * RFC 9449 at the token check: the resource service forwards its client's `DPoP` header, and may
 * say which request the proof was made for (`DPoP-Method`, `DPoP-Url`) so `htm`/`htu` are checked
 * too. Without a `DPoP` header there is nothing to verify; a bound token is then refused.
 */
function forwardedDpop(request: FastifyRequest): DpopPresentation | undefined {
  const proof = singleHeader(request.headers.dpop);
  if (proof === undefined) return undefined;
  return {
    proof,
    method: singleHeader(request.headers['dpop-method']),
    url: singleHeader(request.headers['dpop-url']),
  };
}

function singleHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? undefined : value;
}

function noStore(reply: FastifyReply): FastifyReply {
  return reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
}
