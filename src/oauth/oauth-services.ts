import type { Config } from '../config/config-schema.ts';
import type { Db } from '../storage/database.ts';
import { deriveTransactionKey } from './authorize/signed-blob.ts';
import { OAuthClientRepository } from './clients/oauth-client-repository.ts';
import { AuthorizationCodeRepository } from './codes/authorization-code-repository.ts';
import { DeviceCodeRepository } from './codes/device-code-repository.ts';
import { Issuer } from './issuer.ts';
import { OAuthScopeRepository } from './scopes/oauth-scope-repository.ts';
import { ScopeCatalog } from './scopes/scope-catalog.ts';

export interface OAuthServiceDeps {
  config: Readonly<Config>;
  db: Db;
  now: () => number;
}

/**
 * Everything of the OAuth 2.1 / OpenID Connect interface (issue #6), built once by the container.
 * Its routes are in oauth-routes.ts (/oauth2/, /.well-known/) and clients/ (the admin API).
 */
export function buildOAuthServices(deps: OAuthServiceDeps) {
  const { config, db } = deps;
  const clients = new OAuthClientRepository(db);
  const scopes = new OAuthScopeRepository(db);
  return {
    config: config.oauth,
    issuer: new Issuer(config.oauth.issuer, config.http.path_prefix),
    repositories: {
      clients,
      scopes,
      codes: new AuthorizationCodeRepository(db),
      deviceCodes: new DeviceCodeRepository(db),
    },
    scopeCatalog: new ScopeCatalog(scopes, config.oauth.scopes),
    /** Signs the hidden fields of the login and consent pages (authorize/transaction.ts). */
    transactionKey: deriveTransactionKey(config),
  };
}

export type OAuthServices = ReturnType<typeof buildOAuthServices>;
