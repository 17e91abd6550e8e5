import { randomBytes } from 'node:crypto';
import { type Channel, type ChannelModel, connect } from 'amqplib';

/**
 * Test support for the AMQP suites: a probe of the local RabbitMQ and a consumer queue bound to a
 * test exchange. Suites that cannot reach RabbitMQ are skipped with the reason, unless
 * GATEHOUSE_TEST_REQUIRE_RABBITMQ=1 (CI), which makes an unreachable broker fail the run.
 */
export const RABBITMQ_URI = process.env.TEST_RABBITMQ_URI ?? 'amqp://guest:guest@127.0.0.1:5672/';

let probe: Promise<string | null> | null = null;

/** Resolves to null when RabbitMQ answers, or to the reason it does not. */
export function rabbitmqUnavailableReason(): Promise<string | null> {
  probe ??= probeRabbitmq();
  return probe;
}

/** A busy broker (several suites connecting at once) can be slow to finish the handshake. */
const CONNECT_TIMEOUT_MS = 10_000;

async function probeRabbitmq(): Promise<string | null> {
  let lastError: unknown;
  // A refused connection fails at once; only a slow broker uses the second attempt.
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const model = await connect(RABBITMQ_URI, { timeout: CONNECT_TIMEOUT_MS / 2 });
      await model.close();
      return null;
    } catch (error) {
      lastError = error;
    }
  }
  const reason = `RabbitMQ not reachable at 127.0.0.1:5672: ${(lastError as Error).message}`;
  if (process.env.GATEHOUSE_TEST_REQUIRE_RABBITMQ === '1') throw new Error(reason);
  return reason;
}

/** A fresh exchange name per test file, so parallel runs never see each other's events. */
export function testExchangeName(): string {
  return `xivo_test_${randomBytes(6).toString('hex')}`;
}

export interface ReceivedMessage {
  routingKey: string;
  headers: Record<string, unknown>;
  body: Record<string, unknown>;
  contentType: string | undefined;
  deliveryMode: number | undefined;
}

/** An exclusive, auto-deleted queue bound to `exchange` that records every message it receives. */
export class TestQueue {
  readonly messages: ReceivedMessage[] = [];
  readonly #model: ChannelModel;
  readonly #channel: Channel;
  readonly #exchange: string;

  private constructor(model: ChannelModel, channel: Channel, exchange: string) {
    this.#model = model;
    this.#channel = channel;
    this.#exchange = exchange;
  }

  /** Declares the exchange as the sink does (durable topic), then binds a new queue with `bindingKey`. */
  static async open(exchange: string, bindingKey = 'auth.#'): Promise<TestQueue> {
    const model = await connect(RABBITMQ_URI, { timeout: CONNECT_TIMEOUT_MS });
    const channel = await model.createChannel();
    await channel.assertExchange(exchange, 'topic', { durable: true });
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
    await channel.bindQueue(queue, exchange, bindingKey);
    const testQueue = new TestQueue(model, channel, exchange);
    await channel.consume(
      queue,
      (message) => {
        if (!message) return;
        testQueue.messages.push({
          routingKey: message.fields.routingKey,
          headers: (message.properties.headers ?? {}) as Record<string, unknown>,
          body: JSON.parse(message.content.toString('utf8')) as Record<string, unknown>,
          contentType: message.properties.contentType as string | undefined,
          deliveryMode: message.properties.deliveryMode as number | undefined,
        });
      },
      { noAck: true },
    );
    return testQueue;
  }

  /** Messages whose routing key is `routingKey`. */
  withKey(routingKey: string): ReceivedMessage[] {
    return this.messages.filter((m) => m.routingKey === routingKey);
  }

  /** Waits until `count` messages carry `routingKey` (fails after `timeoutMs`); returns them. */
  async waitFor(routingKey: string, count = 1, timeoutMs = 5000): Promise<ReceivedMessage[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.withKey(routingKey).length < count) {
      if (Date.now() > deadline) {
        const seen = this.messages.map((m) => m.routingKey).join(', ');
        throw new Error(`no message ${routingKey} within ${timeoutMs} ms (seen: ${seen || 'none'})`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return this.withKey(routingKey);
  }

  /** Removes the test exchange (it is durable) and disconnects. */
  async close(): Promise<void> {
    await this.#channel.deleteExchange(this.#exchange).catch(() => undefined);
    await this.#model.close().catch(() => undefined);
  }
}
