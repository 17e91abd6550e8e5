import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DomainEvent } from './event-sink.ts';
import { redactUri, toWazoBusMessage } from './wazo-bus-message.ts';

const NOW = new Date('2024-05-06T07:08:09.010Z');

test('an event naming no user is for every user: header user_uuid:*', () => {
  const event: DomainEvent = {
    name: 'auth_tenant_deleted',
    routingKey: 'auth.tenants.t1.deleted',
    data: { uuid: 't1' },
    tenantUuid: 't1',
    userUuids: [],
  };
  const message = toWazoBusMessage(event, 'stack-uuid', NOW);
  assert.equal(message.routingKey, 'auth.tenants.t1.deleted');
  assert.deepEqual(message.headers, {
    name: 'auth_tenant_deleted',
    origin_uuid: 'stack-uuid',
    timestamp: '2024-05-06T07:08:09.010Z',
    tenant_uuid: 't1',
    'user_uuid:*': true,
    required_access: 'event.auth_tenant_deleted',
    required_acl: 'events.auth.tenants.t1.deleted',
  });
  assert.deepEqual(JSON.parse(message.content.toString()), { ...message.headers, data: { uuid: 't1' } });
});

test('an event about several users carries one user_uuid:<uuid> header per user and no user_uuid:*', () => {
  const event: DomainEvent = {
    name: 'some_event',
    routingKey: 'auth.some',
    data: {},
    tenantUuid: null,
    userUuids: ['u1', 'u2'],
  };
  const { headers } = toWazoBusMessage(event, null, NOW);
  assert.equal(headers['user_uuid:u1'], true);
  assert.equal(headers['user_uuid:u2'], true);
  assert.equal('user_uuid:*' in headers, false);
  // No tenant: no tenant_uuid header; no stack UUID configured: origin_uuid null.
  assert.equal('tenant_uuid' in headers, false);
  assert.equal(headers.origin_uuid, null);
});

test('session events also carry session_uuid, as wazo-bus session events do', () => {
  const event: DomainEvent = {
    name: 'auth_session_deleted',
    routingKey: 'auth.sessions.s1.deleted',
    data: { uuid: 's1', user_uuid: 'u1', tenant_uuid: 't1' },
    tenantUuid: 't1',
    userUuids: ['u1'],
  };
  assert.equal(toWazoBusMessage(event, null, NOW).headers.session_uuid, 's1');
});

test('redactUri hides the password and keeps the rest', () => {
  assert.equal(redactUri('amqp://guest:s3cret@rabbit:5672/vhost'), 'amqp://guest:***@rabbit:5672/vhost');
  assert.equal(redactUri('amqp://rabbit:5672/'), 'amqp://rabbit:5672/');
  assert.equal(redactUri('not a uri with s3cret'), '[unparsable uri]');
});
