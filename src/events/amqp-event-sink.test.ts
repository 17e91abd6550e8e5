import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { describeEachDialect } from '../testing/dialect-suite.ts';
import { adminRequest, login, MOBILE_SESSION, request } from '../testing/http-client.ts';
import { newUser, type UserRef } from '../testing/test-fixtures.ts';
import type { TestServer } from '../testing/test-server.ts';
import {
  type ReceivedMessage,
  rabbitmqUnavailableReason,
  TestQueue,
  testExchangeName,
} from './amqp-test-queue.ts';

/**
 * End-to-end checks of the RabbitMQ publisher (reference §3.14): each token-core event reaches a
 * queue bound with `auth.#` on the configured exchange with wazo-bus's routing key, headers and
 * body (the headers plus `data`).
 */
const EXCHANGE = testExchangeName();
const XIVO_UUID = 'the-predefined-xivo-uuid';

/** The headers wazo-bus puts on an event about one user (`extra`: e.g. session_uuid). */
function userEventHeaders(
  name: string,
  routingKey: string,
  user: UserRef,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    name,
    origin_uuid: XIVO_UUID,
    tenant_uuid: user.tenant_uuid,
    [`user_uuid:${user.uuid}`]: true,
    required_access: `event.${name}`,
    required_acl: `events.${routingKey}`,
    ...extra,
  };
}

/** Checks routing key, every header (timestamp: a recent ISO time), the body and the message properties. */
function assertWazoMessage(
  message: ReceivedMessage,
  expectedHeaders: Record<string, unknown>,
  data: Record<string, unknown>,
): void {
  const { timestamp, ...headers } = message.headers;
  assert.deepEqual(headers, expectedHeaders);
  assert.equal(typeof timestamp, 'string');
  const age = Date.now() - Date.parse(timestamp as string);
  assert.ok(age >= -1000 && age < 60_000, `timestamp ${String(timestamp)}`);
  assert.deepEqual(message.body, { ...message.headers, data });
  assert.equal(message.contentType, 'application/json');
  assert.equal(message.deliveryMode, 2);
}

async function offlineLogin(
  server: TestServer,
  user: { username: string; password: string },
  clientId: string,
) {
  return login(server, user.username, user.password, { access_type: 'offline', client_id: clientId });
}

const unavailable = await rabbitmqUnavailableReason();
if (unavailable) {
  test('AMQP event suites', { skip: unavailable }, () => {});
} else {
  await describeEachDialect(
    'events on RabbitMQ',
    {
      manualClock: true,
      config: {
        token_cleanup_interval: 5,
        amqp: { enabled: true, exchange_name: EXCHANGE, reconnect_max_delay_ms: 500 },
      },
    },
    ({ server }) => {
      let queue: TestQueue;
      before(async () => {
        queue = await TestQueue.open(EXCHANGE);
      });
      after(async () => {
        await queue.close();
      });

      test('D58 a login publishes auth_session_created with the wazo-bus key, headers and data', async () => {
        const user = await newUser(server());
        const token = await login(server(), user.username, user.password, {}, MOBILE_SESSION);
        const key = `auth.sessions.${token.session_uuid}.created`;
        const [message] = await queue.waitFor(key);
        assert.ok(message);
        const headers = userEventHeaders('auth_session_created', key, user, {
          session_uuid: token.session_uuid,
        });
        assertWazoMessage(message, headers, {
          uuid: token.session_uuid,
          tenant_uuid: user.tenant_uuid,
          user_uuid: user.uuid,
          mobile: true,
        });
      });

      test('D58 D59 DELETE /token publishes auth_session_deleted', async () => {
        const user = await newUser(server());
        const token = await login(server(), user.username, user.password);
        const revoked = await request(server(), `/token/${token.token}`, { method: 'DELETE' });
        assert.equal(revoked.status, 200, revoked.text);
        const key = `auth.sessions.${token.session_uuid}.deleted`;
        const [message] = await queue.waitFor(key);
        assert.ok(message);
        const headers = userEventHeaders('auth_session_deleted', key, user, {
          session_uuid: token.session_uuid,
        });
        assertWazoMessage(message, headers, {
          uuid: token.session_uuid,
          user_uuid: user.uuid,
          tenant_uuid: user.tenant_uuid,
        });
      });

      test('B26 a first offline login publishes auth_refresh_token_created (client_id escaped in the key)', async () => {
        const user = await newUser(server());
        await offlineLogin(server(), user, 'my.app#1*');
        const key = `auth.users.${user.uuid}.tokens.my__DOT__app__HASH__1__STAR__.created`;
        const [message] = await queue.waitFor(key);
        assert.ok(message);
        assertWazoMessage(message, userEventHeaders('auth_refresh_token_created', key, user), {
          client_id: 'my.app#1*',
          mobile: false,
          user_uuid: user.uuid,
          tenant_uuid: user.tenant_uuid,
        });
      });

      test('B35 deleting a refresh token publishes auth_refresh_token_deleted', async () => {
        const user = await newUser(server());
        await offlineLogin(server(), user, 'b35-app');
        const deleted = await adminRequest(server(), `/users/${user.uuid}/tokens/b35-app`, {
          method: 'DELETE',
        });
        assert.equal(deleted.status, 204, deleted.text);
        const key = `auth.users.${user.uuid}.tokens.b35-app.deleted`;
        const [message] = await queue.waitFor(key);
        assert.ok(message);
        assertWazoMessage(message, userEventHeaders('auth_refresh_token_deleted', key, user), {
          client_id: 'b35-app',
          mobile: false,
          user_uuid: user.uuid,
          tenant_uuid: user.tenant_uuid,
        });
      });

      test('D59 the expiry job publishes auth_session_expire_soon, then auth_session_deleted', async () => {
        const user = await newUser(server());
        const token = await login(server(), user.username, user.password, { expiration: 3 });
        await server().container.expiryJob.runOnce();
        const key = `auth.users.${user.uuid}.sessions.${token.session_uuid}.expire_soon`;
        const [message] = await queue.waitFor(key);
        assert.ok(message);
        const headers = userEventHeaders('auth_session_expire_soon', key, user, {
          session_uuid: token.session_uuid,
        });
        assertWazoMessage(message, headers, {
          uuid: token.session_uuid,
          user_uuid: user.uuid,
          tenant_uuid: user.tenant_uuid,
        });
        server().clock?.advance(4000);
        await server().container.expiryJob.runOnce();
        await queue.waitFor(`auth.sessions.${token.session_uuid}.deleted`);
        // Exactly one notice for the session, even after a second run.
        assert.equal(queue.withKey(key).length, 1);
      });

      test('every event published is confirmed by the broker: nothing buffered, nothing dropped', async () => {
        const user = await newUser(server());
        const token = await login(server(), user.username, user.password);
        await queue.waitFor(`auth.sessions.${token.session_uuid}.created`);
        const sink = server().container.amqpSink;
        assert.ok(sink);
        const deadline = Date.now() + 2000;
        while ((sink.stats.buffered > 0 || sink.stats.inFlight > 0) && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        assert.equal(sink.stats.buffered, 0);
        assert.equal(sink.stats.dropped, 0);
        assert.equal(sink.stats.connected, true);
        assert.ok(sink.stats.published > 0);
      });
    },
  );
}
