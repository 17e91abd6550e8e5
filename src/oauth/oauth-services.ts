import type { Config } from '../config/config-schema.ts';
import type { SecretBox } from '../crypto/secret-box.ts';
import type { Db } from '../storage/database.ts';
import type { TenantRepository } from '../tenants/tenant-repository.ts';
import type { SessionRevoker } from '../tokens/session-revoker.ts';
import type { TokenCheckService } from '../tokens/token-check-service.ts';
import type { UserRepository } from '../users/user-repository.ts';
import { deriveTransactionKey } from './authorize/signed-blob.ts';
import { OAuthClientRepository } from './clients/oauth-client-repository.ts';
import { OAuthClientService } from './clients/oauth-client-service.ts';
import { AuthorizationCodeRepository } from './codes/authorization-code-repository.ts';
import { DeviceCodeRepository } from './codes/device-code-repository.ts';
import { JtiReplayCache } from './dpop/dpop-proof.ts';
import { Issuer } from './issuer.ts';
import type { IdTokenSigner } from './oidc/id-token-signer.ts';
import { Keyring } from './oidc/keyring.ts';
import { SigningKeyRepository } from './oidc/signing-key-repository.ts';
import { UserinfoService } from './oidc/userinfo-service.ts';
import { OAuthScopeRepository } from './scopes/oauth-scope-repository.ts';
import { OAuthScopeService } from './scopes/oauth-scope-service.ts';
import { ScopeCatalog } from './scopes/scope-catalog.ts';

export interface OAuthServiceDeps {
  config: Readonly<Config>;
  db: Db;
  now: () => number;
  revoker: SessionRevoker;
  tenants: TenantRepository;
  /** Seals the private halves of the ID-token signing keys (oauth.signing_key_encryption_key). */
  signingKeyBox: SecretBox;
  /** Shared with the token check, so a proof is accepted once per instance whatever it is shown to. */
  dpopReplay?: JtiReplayCache;
  tokenCheck: TokenCheckService;
  users: UserRepository;
}

/** The longest access-token lifetime a client may have, so the longest an ID token may live. */
const MAX_ID_TOKEN_LIFETIME_SECONDS = 86_400;

/**
 * Everything of the OAuth 2.1 / OpenID Connect interface (issue #6), built once by the container.
 * Its routes are in oauth-routes.ts (/oauth2/, /.well-known/) and oauth-admin-routes.ts (/0.1/oauth/).
 */
export function buildOAuthServices(deps: OAuthServiceDeps) {
  const { config, db } = deps;
  const clients = new OAuthClientRepository(db);
  const scopes = new OAuthScopeRepository(db);
  const scopeCatalog = new ScopeCatalog(scopes, config.oauth.scopes);
  const keyring = buildKeyring(deps);
  return {
    config: config.oauth,
    issuer: new Issuer(config.oauth.issuer, config.http.path_prefix),
    repositories: {
      clients,
      scopes,
      codes: new AuthorizationCodeRepository(db),
      deviceCodes: new DeviceCodeRepository(db),
    },
    scopeCatalog,
    /** DPoP proof ids seen by this instance (RFC 9449 §11.1). */
    dpopReplay: deps.dpopReplay ?? new JtiReplayCache(),
    /** The OpenID Connect signing keys: signer of ID tokens, source of the JWKS. */
    keyring,
    idTokenSigner: keyring as IdTokenSigner,
    userinfo: new UserinfoService({ tokenCheck: deps.tokenCheck, users: deps.users }),
    clientService: new OAuthClientService({
      clients,
      tenants: deps.tenants,
      scopeCatalog,
      revoker: deps.revoker,
      defaults: {
        accessTokenLifetimeSeconds: config.oauth.default_access_token_lifetime_seconds,
        refreshIdleSeconds: config.oauth.default_refresh_idle_seconds,
        refreshMaxLifetimeSeconds: config.oauth.default_refresh_max_lifetime_seconds,
      },
      now: deps.now,
    }),
    scopeService: new OAuthScopeService({ scopes, tenants: deps.tenants, configured: config.oauth.scopes }),
    /** Signs the hidden fields of the login and consent pages (authorize/transaction.ts). */
    transactionKey: deriveTransactionKey(config),
  };
}

function buildKeyring(deps: OAuthServiceDeps): Keyring {
  const { oauth } = deps.config;
  return new Keyring({
    keys: new SigningKeyRepository(deps.db),
    box: deps.signingKeyBox,
    now: deps.now,
    settings: {
      lifetimeMs: oauth.signing_key_lifetime_seconds * 1000,
      prepublishMs: oauth.signing_key_prepublish_seconds * 1000,
      maxTokenLifetimeMs: MAX_ID_TOKEN_LIFETIME_SECONDS * 1000,
    },
  });
}

export type OAuthServices = ReturnType<typeof buildOAuthServices>;
