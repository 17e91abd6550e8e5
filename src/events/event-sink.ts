/**
 * Domain events with wazo-bus names, routing keys and payloads (reference §3.14). Services hand
 * them to one EventSink after their transaction commits; sinks decide where they go (audit log,
 * memory for tests, RabbitMQ later). Publishing never fails a request.
 */
export interface DomainEvent {
  name: string;
  routingKey: string;
  data: Record<string, unknown>;
  tenantUuid: string | null;
  /** User UUIDs the event concerns (`user_uuid:<uuid>` headers); empty means every user (`user_uuid:*`). */
  userUuids: string[];
}

export interface EventSink {
  publish(event: DomainEvent): void;
}

/** Keeps events in memory; tests read `events` to check what was published. */
export class MemoryEventSink implements EventSink {
  readonly events: DomainEvent[] = [];

  publish(event: DomainEvent): void {
    this.events.push(event);
  }

  named(name: string): DomainEvent[] {
    return this.events.filter((e) => e.name === name);
  }

  clear(): void {
    this.events.length = 0;
  }
}

/** Sends each event to several sinks; one failing sink does not stop the others. */
export class FanOutEventSink implements EventSink {
  readonly #sinks: EventSink[];
  readonly #onError: (error: unknown) => void;

  constructor(sinks: EventSink[], onError: (error: unknown) => void) {
    this.#sinks = sinks;
    this.#onError = onError;
  }

  publish(event: DomainEvent): void {
    for (const sink of this.#sinks) {
      try {
        sink.publish(event);
      } catch (error) {
        this.#onError(error);
      }
    }
  }
}
