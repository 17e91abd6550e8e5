import type { OAuthClient } from './oauth-client.ts';

/** A client on the wire (snake_case); the secret digest never leaves, the secret only once. */
export function renderClient(client: OAuthClient, secret: string | null = null) {
  return {
    uuid: client.uuid,
    tenant_uuid: client.tenantUuid,
    client_id: client.clientId,
    name: client.name,
    client_type: client.type,
    token_endpoint_auth_method: client.tokenEndpointAuthMethod,
    jwks: client.jwks,
    redirect_uris: client.redirectUris,
    grant_types: client.grantTypes,
    scopes: client.scopes,
    acl: client.acl,
    access_token_lifetime_seconds: client.accessTokenLifetimeSeconds,
    refresh_idle_seconds: client.refreshIdleSeconds,
    refresh_max_lifetime_seconds: client.refreshMaxLifetimeSeconds,
    rotation: client.rotation,
    dpop_bound: client.dpopBound,
    skip_consent: client.skipConsent,
    created_at: new Date(client.createdAtMs).toISOString(),
    ...(secret === null ? {} : { client_secret: secret }),
  };
}
