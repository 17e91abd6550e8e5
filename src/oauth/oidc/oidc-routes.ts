import { type Static, Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { directDpop } from '../dpop/dpop-request.ts';
import { OAuthError } from '../oauth-error.ts';
import type { Keyring } from './keyring.ts';
import type { UserinfoCredentials, UserinfoService } from './userinfo-service.ts';

export interface OidcRoutesOptions {
  keyring: Keyring;
  userinfo: UserinfoService;
  /** oauth.issuer: the public origin DPoP proofs name in `htu`. */
  configuredIssuer: string | null;
}

const Jwks = Type.Object({ keys: Type.Array(Type.Object({}, { additionalProperties: true })) });
const Userinfo = Type.Object({}, { additionalProperties: true });

/** Relying parties refetch on an unknown kid; five minutes is far below the pre-publication lead. */
const JWKS_CACHE_CONTROL = 'public, max-age=300';

/** OpenID Connect: the signing keys (jwks_uri) and the UserInfo endpoint (Core §5.3). */
export const oidcRoutes: FastifyPluginAsync<OidcRoutesOptions> = async (app, options) => {
  app.get(
    '/oauth2/jwks',
    {
      schema: { tags: ['oauth2'], response: { 200: Jwks } },
      // The global no-cache pragma would contradict the public Cache-Control of a JWKS.
      onSend: async (_request, reply, payload) => {
        reply.removeHeader('pragma');
        return payload;
      },
    },
    async (_request, reply): Promise<Static<typeof Jwks>> => {
      reply.header('cache-control', JWKS_CACHE_CONTROL);
      return options.keyring.jwks();
    },
  );

  const userinfo = async (request: FastifyRequest): Promise<Static<typeof Userinfo>> =>
    options.userinfo.claims(credentialsOf(request, options.configuredIssuer));
  const route = { schema: { tags: ['oauth2'], response: { 200: Userinfo } } };
  app.get('/oauth2/userinfo', route, userinfo);
  app.post('/oauth2/userinfo', route, userinfo);
};

const AUTHORIZATION = /^(Bearer|DPoP) +([A-Za-z0-9\-._~+/]+=*)$/i;

/**
 * The access token from the Authorization header only (RFC 6750 §2.1, RFC 9449 §7.1). A token in
 * the URL ends up in logs and browser history (RFC 6750 §5.3, OAuth 2.1 §5.2): it is refused.
 */
function credentialsOf(request: FastifyRequest, configuredIssuer: string | null): UserinfoCredentials | null {
  const query = request.query as Record<string, unknown> | undefined;
  if (query && 'access_token' in query) {
    throw new OAuthError('invalid_request', 'Send the access token in the Authorization header.', {
      headers: { 'www-authenticate': 'Bearer error="invalid_request"' },
    });
  }
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? AUTHORIZATION.exec(header) : null;
  if (!match?.[1] || !match[2]) return null;
  const token = match[2];
  if (match[1].toLowerCase() === 'bearer') return { scheme: 'Bearer', token };
  return { scheme: 'DPoP', token, dpop: directDpop(request, configuredIssuer) };
}
