// Closed-loop load with autocannon: every connection sends its own pre-built list of requests in a
// loop (the buffers are built once, so the generator spends nothing per request on building them).
// Latencies are recorded here from every response, whatever its status, at full precision.
import autocannon, { type AutocannonClient, type AutocannonRequest } from 'autocannon';

export interface LoadSpec {
  url: string;
  connections: number;
  /** Seconds to run; ignored when `amount` is set. */
  durationSec?: number;
  /** Total requests to send, split evenly between connections. */
  amount?: number;
  /** Offered rate in requests per second over all connections (open loop); closed loop when unset. */
  ratePerSec?: number;
  /** The requests connection number `connection` cycles through. */
  requestsFor(connection: number): AutocannonRequest[];
  /** CPU time of the server process, to report its CPU cost per request. */
  serverCpuMs?: () => number;
  /** SQL statements the server has sent so far (see probe.mjs). */
  serverStatements?: () => Promise<number>;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  statuses: Record<string, number>;
  errors: number;
  timeouts: number;
  /** Server CPU time per response, in microseconds (NaN when not measured). */
  cpuUsPerRequest: number;
  /** SQL statements per response (NaN when not measured). */
  statementsPerRequest: number;
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  let connection = 0;
  const latencies = new LatencyLog();
  const statuses: Record<string, number> = {};
  const started = performance.now();
  const cpuBefore = spec.serverCpuMs?.() ?? Number.NaN;
  const statementsBefore = (await spec.serverStatements?.()) ?? Number.NaN;
  const instance = autocannon({
    url: spec.url,
    connections: spec.connections,
    ...(spec.amount === undefined ? { duration: spec.durationSec } : { amount: spec.amount }),
    timeout: 10,
    ...(spec.ratePerSec === undefined ? {} : { overallRate: spec.ratePerSec }),
    setupClient: (client) => {
      const requests = spec.requestsFor(connection++);
      client.setRequests(requests);
      // The parser's callbacks are installed after setupClient returns and before any response.
      if (requests.every((r) => r.method === 'HEAD')) queueMicrotask(() => skipResponseBodies(client));
    },
  });
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    latencies.add(ms);
    statuses[status] = (statuses[status] ?? 0) + 1;
  });
  const result = await instance;
  const seconds = (performance.now() - started) / 1000;
  const requests = latencies.count;
  const cpuMs = (spec.serverCpuMs?.() ?? Number.NaN) - cpuBefore;
  const statements = ((await spec.serverStatements?.()) ?? Number.NaN) - statementsBefore;
  return {
    requests,
    seconds,
    rps: requests / seconds,
    p50: latencies.percentile(0.5),
    p99: latencies.percentile(0.99),
    statuses,
    errors: result.errors,
    timeouts: result.timeouts,
    cpuUsPerRequest: (cpuMs * 1000) / requests,
    statementsPerRequest: statements / requests,
  };
}

type ParserCallback = (...args: unknown[]) => unknown;
interface ResponseParser {
  constructor: { kOnHeadersComplete?: number };
  [callback: number]: ParserCallback | undefined;
}

/**
 * autocannon's response parser is not told which responses answer a HEAD, so a 403 or 404 to a HEAD
 * (no body, but the Content-Length of the body GET would get) stalls the connection until the timeout.
 * For connections that send only HEAD, make the parser skip every body, as Node's client does.
 */
function skipResponseBodies(client: AutocannonClient): void {
  const parser = (client as unknown as { parser?: ResponseParser }).parser;
  const key = parser?.constructor.kOnHeadersComplete;
  const original = key === undefined ? undefined : parser?.[key];
  if (!parser || key === undefined || !original) throw new Error('autocannon internals changed: no parser');
  parser[key] = (...args: unknown[]) => {
    original(...args);
    return 1;
  };
}

/** Status counts that are not in `expected`, e.g. `{ "500": 3 }`; empty when all is as expected. */
export function unexpectedStatuses(
  result: Pick<LoadResult, 'statuses'>,
  expected: readonly number[],
): Record<string, number> {
  return Object.fromEntries(
    Object.entries(result.statuses).filter(([status]) => !expected.includes(Number(status))),
  );
}

export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

class LatencyLog {
  #values = new Float64Array(1 << 16);
  count = 0;

  add(ms: number): void {
    if (this.count === this.#values.length) {
      const bigger = new Float64Array(this.#values.length * 2);
      bigger.set(this.#values);
      this.#values = bigger;
    }
    this.#values[this.count++] = ms;
  }

  percentile(q: number): number {
    return percentile(this.#values.slice(0, this.count).sort(), q);
  }
}

/** Fisher-Yates, with a seeded generator so that every run sends the same mix. */
export function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

/** mulberry32: small, fast and good enough to pick requests. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
