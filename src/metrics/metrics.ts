import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { type CounterTally, type HistogramTally, TallyCounter, TallyHistogram } from './tallies.ts';

/** Readings taken from other components when Prometheus scrapes, so the hot path pays nothing. */
export interface MetricSources {
  cache(): { hits: number; misses: number; evictions: number; flushes: number; size: number };
  hashQueueDepth(): number;
  pool(): { total: number; idle: number; waiting: number } | null;
}

export type CheckResult = 'valid' | 'forbidden' | 'unknown';

interface RequestTallies {
  count: CounterTally;
  latency: HistogramTally;
}

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/**
 * Gatehouse's Prometheus metrics (issue #4). Request metrics are recorded per route pattern, never
 * per URL, so no token ever becomes a label. What every request records goes to tallies of plain
 * numbers (tallies.ts), each label set looked up once.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly #requests = new TallyCounter(
    this.registry,
    'gatehouse_http_requests_total',
    'HTTP requests by route pattern, method and status.',
    ['method', 'route', 'status'],
  );
  readonly #latency = new TallyHistogram(
    this.registry,
    'gatehouse_http_request_duration_seconds',
    'HTTP request latency by route pattern and method.',
    ['method', 'route'],
    LATENCY_BUCKETS,
  );
  readonly #checks = new TallyCounter(
    this.registry,
    'gatehouse_token_checks_total',
    'Token checks (HEAD/GET /token/{token}) by result.',
    ['result'],
  );
  readonly #hashWait = new Histogram({
    name: 'gatehouse_password_hash_wait_seconds',
    help: 'Time each password hash waited in the queue before running (0 when a thread was free).',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly #eventsDropped = new Counter({
    name: 'gatehouse_events_dropped_total',
    help: 'Domain events a sink failed to take.',
    registers: [this.registry],
  });
  readonly #children = new Map<string, RequestTallies>();
  readonly #checkChildren = new Map<CheckResult, CounterTally>();

  constructor(sources: MetricSources) {
    this.#registerReadings(sources);
  }

  observeRequest(method: string, route: string, status: number, seconds: number): void {
    const child = this.#child(method, route, status);
    child.count.inc();
    child.latency.observe(seconds);
  }

  /**
   * `observeRequest` and `observeCheck` with their labels looked up once, for the token check fast
   * path, which records the same few outcomes on every request.
   */
  checkRecorder(
    method: string,
    route: string,
    status: number,
    result: CheckResult,
  ): (seconds: number) => void {
    const { count, latency } = this.#child(method, route, status);
    const check = this.#checkChild(result);
    return (seconds) => {
      count.inc();
      latency.observe(seconds);
      check.inc();
    };
  }

  observeCheck(result: CheckResult): void {
    this.#checkChild(result).inc();
  }

  #child(method: string, route: string, status: number): RequestTallies {
    const key = `${method} ${route} ${status}`;
    let child = this.#children.get(key);
    if (!child) {
      child = {
        count: this.#requests.tally({ method, route, status: String(status) }),
        latency: this.#latency.tally({ method, route }),
      };
      this.#children.set(key, child);
    }
    return child;
  }

  #checkChild(result: CheckResult): CounterTally {
    let child = this.#checkChildren.get(result);
    if (!child) {
      child = this.#checks.tally({ result });
      this.#checkChildren.set(result, child);
    }
    return child;
  }

  observeHashWait(seconds: number): void {
    this.#hashWait.observe(seconds);
  }

  eventDropped(): void {
    this.#eventsDropped.inc();
  }

  #registerReadings(sources: MetricSources): void {
    const registers = [this.registry];
    const cacheCounter = (name: string, help: string, read: () => number) => {
      let reported = 0;
      new Counter({
        name,
        help,
        registers,
        collect() {
          const value = read();
          if (value > reported) this.inc(value - reported);
          reported = value;
        },
      });
    };
    cacheCounter(
      'gatehouse_token_cache_hits_total',
      'Token checks answered from the cache.',
      () => sources.cache().hits,
    );
    cacheCounter(
      'gatehouse_token_cache_misses_total',
      'Token checks that read the database.',
      () => sources.cache().misses,
    );
    cacheCounter(
      'gatehouse_token_cache_evictions_total',
      'Entries pushed out by the size bound.',
      () => sources.cache().evictions,
    );
    cacheCounter(
      'gatehouse_token_cache_flushes_total',
      'Whole-cache flushes (notification channel lost).',
      () => sources.cache().flushes,
    );
    const gauge = (name: string, help: string, read: () => number | null) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          const value = read();
          if (value !== null) this.set(value);
        },
      });
    gauge('gatehouse_token_cache_entries', 'Tokens currently cached.', () => sources.cache().size);
    gauge('gatehouse_password_hash_queue_depth', 'Password hashes waiting for a worker.', () =>
      sources.hashQueueDepth(),
    );
    gauge(
      'gatehouse_db_pool_connections',
      'PostgreSQL pool connections open.',
      () => sources.pool()?.total ?? null,
    );
    gauge('gatehouse_db_pool_idle', 'PostgreSQL pool connections idle.', () => sources.pool()?.idle ?? null);
    gauge(
      'gatehouse_db_pool_waiting',
      'Queries waiting for a PostgreSQL connection.',
      () => sources.pool()?.waiting ?? null,
    );
  }
}
