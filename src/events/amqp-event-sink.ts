import { type ChannelModel, type ConfirmChannel, connect } from 'amqplib';
import type { Logger } from 'pino';
import type { DomainEvent, EventSink } from './event-sink.ts';
import { redactUri, toWazoBusMessage, type WazoBusMessage } from './wazo-bus-message.ts';

export interface AmqpEventSinkOptions {
  uri: string;
  exchangeName: string;
  exchangeType: string;
  /** The stack UUID, sent as `origin_uuid`. */
  originUuid: string | null;
  /** Messages kept while the broker is away; beyond it the oldest are dropped. */
  bufferLimit: number;
  connectTimeoutMs: number;
  reconnectMaxDelayMs: number;
  closeTimeoutMs: number;
  log: Logger;
  /** Called once per dropped event (the container counts them in gatehouse_events_dropped_total). */
  onDropped: () => void;
}

const RECONNECT_INITIAL_DELAY_MS = 250;
/** Messages published before waiting for their confirms; bounds what is in flight. */
const BATCH_SIZE = 200;

export interface AmqpSinkStats {
  buffered: number;
  inFlight: number;
  dropped: number;
  published: number;
  connected: boolean;
}

/**
 * Publishes domain events to RabbitMQ the way wazo-bus does. `publish` only appends to a bounded
 * in-memory buffer and returns: requests never wait for, nor fail because of, the broker. A
 * background loop connects lazily (on the first event), declares the exchange, and drains the
 * buffer through a confirm channel; a message leaves the buffer only once the broker confirmed
 * it, so a lost connection re-sends the unconfirmed ones (at-least-once). On connection loss it
 * reconnects with exponential backoff.
 *
 * When the buffer is full the OLDEST event is dropped: during a long outage the newest events
 * (sessions that still exist, tokens about to expire) are the ones consumers can still act on.
 */
export class AmqpEventSink implements EventSink {
  readonly #options: AmqpEventSinkOptions;
  #buffer: WazoBusMessage[] = [];
  #inFlight = 0;
  #model: ChannelModel | null = null;
  #channel: ConfirmChannel | null = null;
  #connecting = false;
  #flushing: Promise<void> | null = null;
  #retryTimer: NodeJS.Timeout | null = null;
  #attempt = 0;
  #closed = false;
  #dropping = false;
  #dropped = 0;
  #published = 0;

  constructor(options: AmqpEventSinkOptions) {
    this.#options = options;
  }

  get stats(): AmqpSinkStats {
    return {
      buffered: this.#buffer.length,
      inFlight: this.#inFlight,
      dropped: this.#dropped,
      published: this.#published,
      connected: this.#channel !== null,
    };
  }

  publish(event: DomainEvent): void {
    if (this.#closed) {
      this.#drop(1);
      return;
    }
    try {
      this.#buffer.push(toWazoBusMessage(event, this.#options.originUuid, new Date()));
    } catch (error) {
      // An event whose data cannot be serialized is a bug; it must not fail the request.
      this.#options.log.error({ event: event.name, error: String(error) }, 'AMQP: cannot encode event');
      this.#drop(1);
      return;
    }
    this.#trim();
    this.#ensureConnection();
    this.#kick();
  }

  /** Tries to deliver what is buffered within closeTimeoutMs, then disconnects; later events are dropped. */
  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    const deadline = Date.now() + this.#options.closeTimeoutMs;
    // Wait while there is something to send and a connection exists or is being opened.
    while (
      (this.#buffer.length > 0 || this.#flushing) &&
      (this.#channel || this.#connecting) &&
      Date.now() < deadline
    ) {
      this.#kick();
      await Promise.race([this.#flushing ?? delay(20), delay(Math.max(1, deadline - Date.now()))]);
    }
    this.#closed = true;
    const left = this.#buffer.length + this.#inFlight;
    if (left > 0) {
      this.#options.log.warn({ count: left }, 'AMQP: events not delivered before shutdown');
      this.#drop(this.#buffer.length);
      this.#buffer = [];
    }
    const model = this.#model;
    this.#model = null;
    this.#channel = null;
    await model?.close().catch(() => undefined);
  }

  #trim(): void {
    const excess = this.#buffer.length - this.#options.bufferLimit;
    if (excess <= 0) {
      this.#dropping = false;
      return;
    }
    this.#buffer.splice(0, excess);
    this.#drop(excess);
    if (!this.#dropping) {
      this.#dropping = true;
      this.#options.log.warn(
        { buffer_limit: this.#options.bufferLimit },
        'AMQP: event buffer full, dropping the oldest events',
      );
    }
  }

  #drop(count: number): void {
    for (let i = 0; i < count; i += 1) {
      this.#dropped += 1;
      this.#options.onDropped();
    }
  }

  #ensureConnection(): void {
    if (this.#closed || this.#connecting || this.#model || this.#retryTimer) return;
    this.#connecting = true;
    void this.#connect().finally(() => {
      this.#connecting = false;
    });
  }

  async #connect(): Promise<void> {
    const { uri, exchangeName, exchangeType, connectTimeoutMs, log } = this.#options;
    let model: ChannelModel | null = null;
    try {
      model = await connect(uri, { timeout: connectTimeoutMs, clientProperties: { product: 'gatehouse' } });
      model.on('error', (error: Error) => log.warn({ error: this.#scrub(error) }, 'AMQP connection error'));
      const current = model;
      model.on('close', () => this.#lost(current));
      const channel = await model.createConfirmChannel();
      channel.on('error', (error: Error) => log.warn({ error: this.#scrub(error) }, 'AMQP channel error'));
      channel.on('close', () => this.#lost(current));
      await channel.assertExchange(exchangeName, exchangeType, { durable: true });
      if (this.#closed) throw new Error('closed while connecting');
      this.#model = model;
      this.#channel = channel;
      this.#attempt = 0;
      log.info({ uri: redactUri(uri), exchange: exchangeName }, 'AMQP: connected');
      this.#kick();
    } catch (error) {
      await model?.close().catch(() => undefined);
      if (this.#closed) return;
      log.warn({ uri: redactUri(uri), error: this.#scrub(error) }, 'AMQP: cannot connect');
      this.#scheduleReconnect();
    }
  }

  #lost(model: ChannelModel): void {
    if (this.#model !== model) return;
    this.#model = null;
    this.#channel = null;
    void model.close().catch(() => undefined);
    if (this.#closed) return;
    this.#options.log.warn({ uri: redactUri(this.#options.uri) }, 'AMQP: connection lost, reconnecting');
    this.#scheduleReconnect();
  }

  /** Exponential backoff with jitter: 250 ms, 500 ms, 1 s… up to reconnectMaxDelayMs. */
  #scheduleReconnect(): void {
    if (this.#closed || this.#retryTimer) return;
    const base = Math.min(this.#options.reconnectMaxDelayMs, RECONNECT_INITIAL_DELAY_MS * 2 ** this.#attempt);
    const wait = Math.round(base * (0.8 + Math.random() * 0.4));
    this.#attempt = Math.min(this.#attempt + 1, 30);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      this.#ensureConnection();
    }, wait);
    this.#retryTimer.unref();
  }

  #kick(): void {
    const channel = this.#channel;
    if (!channel || this.#flushing || this.#buffer.length === 0) return;
    this.#flushing = this.#flush(channel)
      .catch((error: unknown) => this.#options.log.error({ error: this.#scrub(error) }, 'AMQP: flush failed'))
      .finally(() => {
        this.#flushing = null;
        this.#kick();
      });
  }

  /** Sends batches until the buffer is empty or the channel fails; failed messages go back first in line. */
  async #flush(channel: ConfirmChannel): Promise<void> {
    while (this.#buffer.length > 0 && this.#channel === channel) {
      const batch = this.#buffer.splice(0, BATCH_SIZE);
      this.#inFlight = batch.length;
      const confirmed = await Promise.all(batch.map((message) => this.#send(channel, message)));
      this.#inFlight = 0;
      const failed = batch.filter((_, i) => !confirmed[i]);
      this.#published += batch.length - failed.length;
      if (failed.length > 0) {
        if (this.#closed) {
          this.#drop(failed.length);
          return;
        }
        this.#buffer.unshift(...failed);
        this.#trim();
        if (this.#channel === channel && this.#model) this.#lost(this.#model);
        return;
      }
    }
  }

  #send(channel: ConfirmChannel, message: WazoBusMessage): Promise<boolean> {
    return new Promise((resolve) => {
      try {
        channel.publish(
          this.#options.exchangeName,
          message.routingKey,
          message.content,
          {
            headers: message.headers,
            contentType: 'application/json',
            contentEncoding: 'utf-8',
            persistent: true,
          },
          (error: unknown) => resolve(!error),
        );
      } catch {
        resolve(false);
      }
    });
  }

  /** An error's message without the broker password, which some messages could quote. */
  #scrub(error: unknown): string {
    const text = error instanceof Error ? error.message : String(error);
    let password = '';
    try {
      password = new URL(this.#options.uri).password;
    } catch {
      return text;
    }
    if (!password) return text;
    return text.replaceAll(password, '***').replaceAll(decodeURIComponent(password), '***');
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
