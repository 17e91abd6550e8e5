import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { clientAddress } from '../../http/client-address.ts';
import type { ClientAuthRequest } from '../clients/client-authenticator.ts';
import type { Issuer } from '../issuer.ts';
import { OAuthError } from '../oauth-error.ts';
import type { OAuthTokenServices } from './token-services.ts';

/**
 * POST /oauth2/token, /oauth2/revoke, /oauth2/introspect and /oauth2/device_authorization. No
 * business rule here: form parsing, client identification and the response headers.
 */
export function registerTokenRoutes(
  app: FastifyInstance,
  services: OAuthTokenServices,
  issuer: Issuer,
): void {
  app.post('/oauth2/token', async (request, reply) => {
    const call = clientCall(request, issuer.url('/oauth2/token'));
    const response = await services.tokenEndpoint.handle({ ...call, dpop: request.headers.dpop });
    return noStore(reply).send(response);
  });

  app.post('/oauth2/revoke', async (request, reply) => {
    const call = clientCall(request, issuer.url('/oauth2/revoke'));
    const client = await services.clientAuthenticator.authenticate(call);
    const token = requiredToken(call.params);
    await services.revocation.revoke(client, token, call.params.token_type_hint);
    return noStore(reply).code(200).send();
  });

  app.post('/oauth2/introspect', async (request, reply) => {
    const call = clientCall(request, issuer.url('/oauth2/introspect'));
    const client = await services.clientAuthenticator.authenticate(call);
    const token = requiredToken(call.params);
    return noStore(reply).send(
      await services.introspection.introspect(client, token, call.params.token_type_hint),
    );
  });

  app.post('/oauth2/device_authorization', async (request, reply) => {
    const call = clientCall(request, issuer.url('/oauth2/device_authorization'));
    const client = await services.clientAuthenticator.authenticate(call);
    return noStore(reply).send(await services.deviceAuthorization.start(client, call.params));
  });
}

function clientCall(request: FastifyRequest, endpointUrl: string): ClientAuthRequest {
  const authorization = request.headers.authorization;
  return {
    authorization: typeof authorization === 'string' ? authorization : undefined,
    params: formParams(request),
    remoteAddr: clientAddress(request),
    userAgent: String(request.headers['user-agent'] ?? ''),
    endpointUrl,
  };
}

/**
 * RFC 6749 §3.2: these endpoints take application/x-www-form-urlencoded only (a JSON body is
 * invalid_request), and no parameter may appear twice.
 */
function formParams(request: FastifyRequest): Record<string, string> {
  const type = String(request.headers['content-type'] ?? '');
  if (!/^application\/x-www-form-urlencoded\s*(;|$)/i.test(type)) {
    throw new OAuthError('invalid_request', 'The body must be application/x-www-form-urlencoded.');
  }
  // No prototype: a parameter named __proto__ or constructor is just a name here.
  const params: Record<string, string> = Object.create(null);
  const body = (request.body ?? {}) as Record<string, unknown>;
  for (const [name, value] of Object.entries(body)) {
    if (typeof value !== 'string') throw new OAuthError('invalid_request', 'A parameter is repeated.');
    // RFC 6749 §3.2: parameters sent without a value are treated as omitted.
    if (value !== '') params[name] = value;
  }
  return params;
}

function requiredToken(params: Readonly<Record<string, string>>): string {
  if (!params.token) throw new OAuthError('invalid_request', 'token is required.');
  return params.token;
}

/** RFC 6749 §5.1, OAuth 2.1: token responses are never stored by caches (B18). */
function noStore(reply: FastifyReply): FastifyReply {
  return reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
}
