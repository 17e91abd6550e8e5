import type { AuditLog } from '../../audit/audit-log.ts';
import type { LoginGate } from '../../brute-force/login-gate.ts';
import type { Config } from '../../config/config-schema.ts';
import type { SecretBox } from '../../crypto/secret-box.ts';
import type { EventSink } from '../../events/event-sink.ts';
import type { PolicyRepository } from '../../policies/policy-repository.ts';
import type { Db } from '../../storage/database.ts';
import type { SessionRevoker } from '../../tokens/session-revoker.ts';
import type { TokenCheckService } from '../../tokens/token-check-service.ts';
import type { TokenRepository } from '../../tokens/token-repository.ts';
import type { UserRepository } from '../../users/user-repository.ts';
import { ClientAuthenticator } from '../clients/client-authenticator.ts';
import { JtiReplayCache } from '../dpop/dpop-proof.ts';
import type { OAuthServices } from '../oauth-services.ts';
import { AccessTokenIssuer } from './access-token-issuer.ts';
import { DeviceAuthorization } from './device-authorization.ts';
import { FamilyRevocation } from './family-revocation.ts';
import { AuthorizationCodeGrant } from './grant-authorization-code.ts';
import { ClientCredentialsGrant } from './grant-client-credentials.ts';
import { DEVICE_CODE_GRANT, DeviceCodeGrant } from './grant-device-code.ts';
import { RefreshTokenGrant } from './grant-refresh-token.ts';
import { GrantRepository, RETIRED_RETENTION_MS } from './grant-repository.ts';
import { RefreshFamilies } from './rotation.ts';
import { TokenAcl } from './token-acl.ts';
import { TokenEndpoint } from './token-endpoint.ts';
import { TokenIntrospection } from './token-introspection.ts';
import { TokenRevocation } from './token-revocation.ts';
import { UserGrantIssuer } from './user-grant-issuer.ts';

export interface OAuthTokenServiceDeps {
  config: Readonly<Config>;
  db: Db;
  oauth: OAuthServices;
  tokens: TokenRepository;
  users: UserRepository;
  policies: PolicyRepository;
  revoker: SessionRevoker;
  tokenCheck: TokenCheckService;
  gate: LoginGate;
  events: EventSink;
  audit: AuditLog;
  secretBox: SecretBox;
  now: () => number;
}

/** A spent code is kept this long past its expiry, so that a late replay still revokes (RFC 6749 §4.1.2). */
const CODE_REPLAY_MARGIN_MS = 3_600_000;

/** The token side of the OAuth interface (issue #6 §4, §6): token, revocation, introspection, device. */
export function buildOAuthTokenServices(deps: OAuthTokenServiceDeps) {
  const { config, oauth, now } = deps;
  const grants = new GrantRepository(deps.db);
  const families = new RefreshFamilies({
    grants,
    secretBox: deps.secretBox,
    now,
    graceSeconds: config.oauth.rotation_grace_seconds,
  });
  const revocation = new FamilyRevocation({ revoker: deps.revoker, events: deps.events, audit: deps.audit });
  const tokenAcl = new TokenAcl({
    scopeCatalog: oauth.scopeCatalog,
    policies: deps.policies,
    defaultUserPolicy: config.default_user_policy,
  });
  const accessTokens = new AccessTokenIssuer({
    tokens: deps.tokens,
    events: deps.events,
    audit: deps.audit,
    now,
    xivoUuid: config.xivo_uuid,
    maxUserSessions: config.max_user_concurrent_sessions,
  });
  const userGrants = new UserGrantIssuer({
    users: deps.users,
    tokenAcl,
    accessTokens,
    families,
    revocation,
    issuer: oauth.issuer,
    idTokenSigner: () => oauth.idTokenSigner,
    now,
  });
  const clientAuthenticator = new ClientAuthenticator({
    clients: oauth.repositories.clients,
    gate: deps.gate,
    issuer: oauth.issuer,
    assertionReplay: new JtiReplayCache(),
    audit: deps.audit,
    now,
  });
  const { codes, deviceCodes } = oauth.repositories;
  return {
    grants,
    /** Ends a family and its sessions on every instance (e.g. when a client or a consent is removed). */
    familyRevocation: revocation,
    clientAuthenticator,
    tokenEndpoint: new TokenEndpoint({
      clientAuthenticator,
      gate: deps.gate,
      audit: deps.audit,
      proof: {
        get tokenEndpointUrl() {
          return oauth.issuer.url('/oauth2/token');
        },
        maxAgeSeconds: config.oauth.dpop_proof_max_age_seconds,
        replay: oauth.dpopReplay,
        now,
      },
      grants: {
        authorization_code: new AuthorizationCodeGrant({ codes, userGrants, revocation, now }),
        refresh_token: new RefreshTokenGrant({
          families,
          revocation,
          users: deps.users,
          tokenAcl,
          accessTokens,
          now,
        }),
        client_credentials: new ClientCredentialsGrant({ tokenAcl, accessTokens }),
        [DEVICE_CODE_GRANT]: new DeviceCodeGrant({ deviceCodes, userGrants, now }),
      },
    }),
    revocation: new TokenRevocation({ families, revocation, tokens: deps.tokens, revoker: deps.revoker }),
    introspection: new TokenIntrospection({
      tokenCheck: deps.tokenCheck,
      families,
      issuer: oauth.issuer,
      now,
    }),
    deviceAuthorization: new DeviceAuthorization({
      deviceCodes,
      tokenAcl,
      issuer: oauth.issuer,
      now,
      lifetimeSeconds: config.oauth.device_code_lifetime_seconds,
      intervalSeconds: config.oauth.device_poll_interval_seconds,
    }),
    /** The expiry job's share: spent codes, expired device codes, families past their lifetimes, old retired digests. */
    purgeExpired: async (batchSize: number): Promise<number> => {
      const nowMs = now();
      return (
        (await codes.purgeExpired(nowMs - CODE_REPLAY_MARGIN_MS, batchSize)) +
        (await deviceCodes.purgeExpired(nowMs)) +
        (await grants.purgeExpired(nowMs, batchSize)) +
        (await grants.purgeRetired(nowMs - RETIRED_RETENTION_MS, batchSize))
      );
    },
  };
}

export type OAuthTokenServices = ReturnType<typeof buildOAuthTokenServices>;
