import type { Logger } from 'pino';
import type { DomainEvent, EventSink } from './event-sink.ts';

/** The audit trail: one structured line per domain event. Events carry ids, never secrets. */
export class LogEventSink implements EventSink {
  readonly #log: Logger;

  constructor(log: Logger) {
    this.#log = log;
  }

  publish(event: DomainEvent): void {
    this.#log.info({ event: event.name, routing_key: event.routingKey, data: event.data }, 'event');
  }
}
