import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, test } from 'node:test';
import pino from 'pino';
import { describeEachDialect } from '../testing/dialect-suite.ts';
import { login } from '../testing/http-client.ts';
import { TcpFaultProxy } from '../testing/tcp-fault-proxy.ts';
import { newUser } from '../testing/test-fixtures.ts';
import type { TestServer } from '../testing/test-server.ts';
import { AmqpEventSink } from './amqp-event-sink.ts';
import { RABBITMQ_URI, rabbitmqUnavailableReason, TestQueue, testExchangeName } from './amqp-test-queue.ts';
import { sessionCreated } from './auth-events.ts';

/**
 * The publisher when the broker is away: requests never wait for it, the buffer stays bounded
 * (oldest events dropped and counted), the broker password never reaches a log line, and what is
 * buffered is delivered once the broker is back.
 */
const BROKER_PASSWORD = 'n0t-in-any-log-line';

/** A local port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address ? address.port : 0;
}

function sinkOf(server: TestServer): AmqpEventSink {
  const sink = server.container.amqpSink;
  assert.ok(sink, 'amqp.enabled should build the sink');
  return sink;
}

async function droppedMetric(server: TestServer): Promise<number> {
  const metric = await server.container.metrics.registry
    .getSingleMetric('gatehouse_events_dropped_total')
    ?.get();
  return metric?.values[0]?.value ?? 0;
}

async function until(condition: () => boolean, timeoutMs: number, label: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const downPort = await closedPort();
const unavailable = await rabbitmqUnavailableReason();

await describeEachDialect(
  'events when RabbitMQ is down',
  {
    config: {
      amqp: {
        enabled: true,
        uri: `amqp://guest:${BROKER_PASSWORD}@127.0.0.1:${downPort}/`,
        exchange_name: testExchangeName(),
        buffer_limit: 4,
      },
    },
  },
  ({ server }) => {
    test('logins still succeed at once; the buffer keeps the newest buffer_limit events and counts drops', async () => {
      const user = await newUser(server());
      for (let i = 0; i < 6; i += 1) {
        const started = Date.now();
        await login(server(), user.username, user.password);
        assert.ok(Date.now() - started < 2000, 'a login waited for the broker');
      }
      const published = server().events.events.length;
      const { stats } = sinkOf(server());
      assert.equal(stats.connected, false);
      assert.equal(stats.buffered, 4);
      assert.equal(stats.dropped, published - 4);
      assert.equal(await droppedMetric(server()), published - 4);
    });

    test('the broker password never appears in a log line', async () => {
      await until(
        () => server().logs.some((l) => l.includes('AMQP: cannot connect')),
        5000,
        'a connect failure',
      );
      const failure = server().logs.find((l) => l.includes('AMQP: cannot connect')) ?? '';
      assert.match(failure, new RegExp(`amqp://guest:\\*\\*\\*@127\\.0\\.0\\.1:${downPort}`));
      assert.deepEqual(
        server().logs.filter((l) => l.includes(BROKER_PASSWORD)),
        [],
      );
    });
  },
);

test('close() gives up on an unreachable broker within close_timeout_ms and counts what it drops', async () => {
  const dropped: number[] = [];
  const sink = new AmqpEventSink({
    uri: `amqp://guest:guest@127.0.0.1:${downPort}/`,
    exchangeName: 'unused',
    exchangeType: 'topic',
    originUuid: null,
    bufferLimit: 10,
    connectTimeoutMs: 1000,
    reconnectMaxDelayMs: 1000,
    closeTimeoutMs: 200,
    log: pino({ level: 'silent' }),
    onDropped: () => dropped.push(1),
  });
  sink.publish(sessionCreated({ uuid: 's1', tenantUuid: 't', userUuid: 'u' }, false));
  sink.publish(sessionCreated({ uuid: 's2', tenantUuid: 't', userUuid: 'u' }, false));
  const started = Date.now();
  await sink.close();
  assert.ok(Date.now() - started < 1500, `close took ${Date.now() - started} ms`);
  assert.equal(dropped.length, 2);
  // After close, publish still neither throws nor blocks; the event is counted as dropped.
  sink.publish(sessionCreated({ uuid: 's3', tenantUuid: 't', userUuid: 'u' }, false));
  assert.equal(dropped.length, 3);
});

if (unavailable) {
  test('AMQP outage and recovery', { skip: unavailable }, () => {});
} else {
  const exchange = testExchangeName();
  const proxy = await TcpFaultProxy.start({ targetHost: '127.0.0.1', targetPort: 5672 });
  after(() => proxy.close());

  await describeEachDialect(
    'events after a RabbitMQ outage',
    {
      config: {
        amqp: {
          enabled: true,
          uri: proxy.urlFor(RABBITMQ_URI),
          exchange_name: exchange,
          buffer_limit: 3,
          reconnect_max_delay_ms: 300,
        },
      },
    },
    ({ server }) => {
      let queue: TestQueue;
      before(async () => {
        queue = await TestQueue.open(exchange);
      });
      after(async () => {
        await queue.close();
      });

      test('events buffered during the outage are delivered on reconnection, the oldest beyond the limit dropped', async () => {
        const user = await newUser(server());
        const first = await login(server(), user.username, user.password);
        await queue.waitFor(`auth.sessions.${first.session_uuid}.created`);
        const sink = sinkOf(server());
        const droppedBefore = sink.stats.dropped;

        proxy.pause();
        await until(() => !sink.stats.connected, 5000, 'the sink to notice the outage');
        const from = server().events.events.length;
        for (let i = 0; i < 5; i += 1) await login(server(), user.username, user.password);
        const during = server()
          .events.events.slice(from)
          .map((e) => e.routingKey);
        assert.ok(during.length >= 5);
        assert.equal(sink.stats.dropped - droppedBefore, during.length - 3);

        proxy.resume();
        const kept = during.slice(-3);
        for (const key of kept) await queue.waitFor(key, 1, 10_000);
        for (const key of during.slice(0, -3)) assert.deepEqual(queue.withKey(key), [], `${key} was dropped`);
        await until(() => sink.stats.buffered === 0 && sink.stats.connected, 5000, 'the buffer to drain');
      });
    },
  );
}
