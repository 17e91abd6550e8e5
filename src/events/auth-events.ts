import type { DomainEvent } from './event-sink.ts';

/** wazo-bus escapes these characters in routing-key variables. */
export function escapeRoutingKeyPart(value: string): string {
  return value.replaceAll('.', '__DOT__').replaceAll('#', '__HASH__').replaceAll('*', '__STAR__');
}

export interface SessionRef {
  uuid: string;
  tenantUuid: string;
  userUuid: string | null;
}

export function sessionCreated(session: SessionRef, mobile: boolean): DomainEvent {
  return {
    name: 'auth_session_created',
    routingKey: `auth.sessions.${escapeRoutingKeyPart(session.uuid)}.created`,
    data: { uuid: session.uuid, tenant_uuid: session.tenantUuid, user_uuid: session.userUuid, mobile },
    tenantUuid: session.tenantUuid,
    userUuids: session.userUuid ? [session.userUuid] : [],
  };
}

export function sessionDeleted(session: SessionRef): DomainEvent {
  return {
    name: 'auth_session_deleted',
    routingKey: `auth.sessions.${escapeRoutingKeyPart(session.uuid)}.deleted`,
    data: { uuid: session.uuid, user_uuid: session.userUuid, tenant_uuid: session.tenantUuid },
    tenantUuid: session.tenantUuid,
    userUuids: session.userUuid ? [session.userUuid] : [],
  };
}

export function sessionExpireSoon(session: SessionRef): DomainEvent {
  const user = escapeRoutingKeyPart(session.userUuid ?? 'None');
  return {
    name: 'auth_session_expire_soon',
    routingKey: `auth.users.${user}.sessions.${escapeRoutingKeyPart(session.uuid)}.expire_soon`,
    data: { uuid: session.uuid, user_uuid: session.userUuid, tenant_uuid: session.tenantUuid },
    tenantUuid: session.tenantUuid,
    userUuids: session.userUuid ? [session.userUuid] : [],
  };
}

export interface RefreshTokenRef {
  clientId: string;
  userUuid: string;
  tenantUuid: string;
  mobile: boolean;
}

function refreshTokenEvent(suffix: 'created' | 'deleted', token: RefreshTokenRef): DomainEvent {
  return {
    name: `auth_refresh_token_${suffix}`,
    routingKey: `auth.users.${escapeRoutingKeyPart(token.userUuid)}.tokens.${escapeRoutingKeyPart(token.clientId)}.${suffix}`,
    data: {
      client_id: token.clientId,
      user_uuid: token.userUuid,
      tenant_uuid: token.tenantUuid,
      mobile: token.mobile,
    },
    tenantUuid: token.tenantUuid,
    userUuids: [token.userUuid],
  };
}

export const refreshTokenCreated = (t: RefreshTokenRef) => refreshTokenEvent('created', t);
export const refreshTokenDeleted = (t: RefreshTokenRef) => refreshTokenEvent('deleted', t);

/**
 * An OAuth refresh token was presented again after it had been rotated away (outside the grace
 * window): the whole family was revoked (D3, RFC 9700 §4.14.2). Sent to the user, whose
 * applications may want to ask them to sign in again.
 */
export function refreshTokenReuseDetected(grant: {
  uuid: string;
  clientId: string;
  userUuid: string | null;
  tenantUuid: string;
}): DomainEvent {
  const user = escapeRoutingKeyPart(grant.userUuid ?? 'None');
  return {
    name: 'auth_refresh_token_reuse_detected',
    routingKey: `auth.users.${user}.tokens.${escapeRoutingKeyPart(grant.clientId)}.reuse_detected`,
    data: {
      grant_uuid: grant.uuid,
      client_id: grant.clientId,
      user_uuid: grant.userUuid,
      tenant_uuid: grant.tenantUuid,
    },
    tenantUuid: grant.tenantUuid,
    userUuids: grant.userUuid ? [grant.userUuid] : [],
  };
}

/** Tenant events go to every user of the tenant (`user_uuid:*`). */
function tenantEvent(name: string, suffix: string, uuid: string, data: Record<string, unknown>): DomainEvent {
  return {
    name,
    routingKey: `auth.tenants.${escapeRoutingKeyPart(uuid)}.${suffix}`,
    data,
    tenantUuid: uuid,
    userUuids: [],
  };
}

export const tenantAdded = (t: { uuid: string; name: string | null; slug: string; domainNames: string[] }) =>
  tenantEvent('auth_tenant_added', 'created', t.uuid, {
    uuid: t.uuid,
    name: t.name,
    slug: t.slug,
    domain_names: t.domainNames,
  });

export const tenantUpdated = (t: { uuid: string; name: string | null }) =>
  tenantEvent('auth_tenant_updated', 'updated', t.uuid, { uuid: t.uuid, name: t.name });

export const tenantDeleted = (uuid: string) => tenantEvent('auth_tenant_deleted', 'deleted', uuid, { uuid });
