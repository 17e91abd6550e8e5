import type { FastifyInstance } from 'fastify';
import type { Container } from '../../container.ts';
import { deviceRoutes } from '../device/device-routes.ts';
import { type AuthorizeRoutesOptions, authorizeRoutes } from './authorize-routes.ts';
import { AuthorizeService } from './authorize-service.ts';
import { BlobSigner } from './signed-blob.ts';
import { TransactionSeal } from './transaction.ts';

/**
 * Wires the login, consent and device pages from the container's parts: the OAuth repositories
 * and the Authenticator, LoginGate and AuditLog the wazo login already uses.
 */
export function buildAuthorizePages(container: Container): AuthorizeRoutesOptions {
  const { oauth, config } = container;
  const now = () => container.clock.now();
  const prefix = config.http.path_prefix;
  const service = new AuthorizeService({
    oauth,
    authenticator: container.authenticator,
    loginGate: container.loginGate,
    tenants: container.repositories.tenants,
    users: container.repositories.users,
    audit: container.audit,
    now,
  });
  return {
    interaction: {
      service,
      seal: new TransactionSeal(new BlobSigner(oauth.transactionKey), now),
      cookie: { path: `${prefix}/oauth2/`, secure: (config.oauth.issuer ?? '').startsWith('https:') },
      actions: { code: `${prefix}/oauth2/authorize`, device: `${prefix}/oauth2/device` },
    },
    validation: { clients: oauth.repositories.clients, scopeCatalog: oauth.scopeCatalog },
    issuer: () => oauth.issuer.value,
  };
}

/** GET/POST /oauth2/authorize and /oauth2/device, in the /oauth2 plugin (oauth-routes.ts). */
export async function registerAuthorizePages(app: FastifyInstance, container: Container): Promise<void> {
  const pages = buildAuthorizePages(container);
  await app.register(authorizeRoutes, pages);
  await app.register(deviceRoutes, pages);
}
