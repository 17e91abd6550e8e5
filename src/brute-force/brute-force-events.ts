import { escapeRoutingKeyPart } from '../events/auth-events.ts';
import type { DomainEvent } from '../events/event-sink.ts';

/**
 * Published when repeated failures lock an existing user's login from one address. Not a wazo-auth
 * event (additive): it lets a tenant's tooling see attacks. Locks on unknown login names are only
 * logged, so the bus never tells which names exist.
 */
export function loginLocked(
  user: { uuid: string; tenantUuid: string },
  remoteAddr: string,
  lockedUntilMs: number,
): DomainEvent {
  return {
    name: 'auth_user_login_locked',
    routingKey: `auth.users.${escapeRoutingKeyPart(user.uuid)}.login.locked`,
    data: {
      user_uuid: user.uuid,
      tenant_uuid: user.tenantUuid,
      remote_addr: remoteAddr,
      locked_until: new Date(lockedUntilMs).toISOString(),
    },
    tenantUuid: user.tenantUuid,
    userUuids: [user.uuid],
  };
}
