import type { FastifyInstance, FastifyReply } from 'fastify';
import type { OAuthServices } from '../oauth-services.ts';
import { authorizationServerMetadata, type MetadataFacts, openidConfiguration } from './server-metadata.ts';

/**
 * GET /.well-known/oauth-authorization-server (RFC 8414 §3) and /.well-known/openid-configuration
 * (OIDC Discovery §4). Public documents: any origin may read them (whatever http.cors_* says).
 */
export function registerMetadataRoutes(app: FastifyInstance, oauth: OAuthServices): void {
  const facts = async (): Promise<MetadataFacts> => ({
    issuer: oauth.issuer.value,
    scopes: await oauth.scopeCatalog.namesOf(null),
    idTokenAlgorithm: oauth.idTokenSigner?.algorithm ?? null,
  });
  app.get('/.well-known/oauth-authorization-server', async (_request, reply) =>
    publicDocument(reply).send(authorizationServerMetadata(await facts())),
  );
  app.get('/.well-known/openid-configuration', async (_request, reply) =>
    publicDocument(reply).send(openidConfiguration(await facts())),
  );
}

function publicDocument(reply: FastifyReply): FastifyReply {
  return reply.header('access-control-allow-origin', '*');
}
