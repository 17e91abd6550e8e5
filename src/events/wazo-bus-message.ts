import type { DomainEvent } from './event-sink.ts';

/** One AMQP message as wazo-bus's WazoEventMixin would publish it (reference §3.14). */
export interface WazoBusMessage {
  routingKey: string;
  headers: Record<string, unknown>;
  /** The JSON payload: the headers (the envelope) plus `data`. */
  content: Buffer;
}

/**
 * wazo-bus session events carry their session UUID as an extra header (it is an attribute of the
 * event object, and wazo-bus turns every attribute into a header); consumers bind on it.
 */
function extraHeaders(event: DomainEvent): Record<string, unknown> {
  if (event.name.startsWith('auth_session_') && typeof event.data.uuid === 'string') {
    return { session_uuid: event.data.uuid };
  }
  return {};
}

/** Headers of a user event (`user_uuid:<uuid>`), or `user_uuid:*` when the event concerns every user. */
function userHeaders(event: DomainEvent): Record<string, true> {
  const uuids = event.userUuids.length > 0 ? event.userUuids : ['*'];
  return Object.fromEntries(uuids.map((uuid) => [`user_uuid:${uuid}`, true as const]));
}

/**
 * Builds the message: headers `name`, `origin_uuid`, `timestamp`, `tenant_uuid`, `user_uuid:*`,
 * `required_access: event.<name>` and the legacy `required_acl: events.<routing key>`; the body is
 * those headers plus `data`. A null tenant is left out, as wazo-bus's service events have none.
 */
export function toWazoBusMessage(event: DomainEvent, originUuid: string | null, now: Date): WazoBusMessage {
  const headers: Record<string, unknown> = {
    ...(event.tenantUuid === null ? {} : { tenant_uuid: event.tenantUuid }),
    ...userHeaders(event),
    ...extraHeaders(event),
    required_access: `event.${event.name}`,
    required_acl: `events.${event.routingKey}`,
    name: event.name,
    origin_uuid: originUuid,
    timestamp: now.toISOString(),
  };
  const content = Buffer.from(JSON.stringify({ ...headers, data: event.data }));
  return { routingKey: event.routingKey, headers, content };
}

/** The URI with its password replaced, for log lines. */
export function redactUri(uri: string): string {
  try {
    const url = new URL(uri);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '[unparsable uri]';
  }
}
