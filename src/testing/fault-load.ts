import { setTimeout as sleep } from 'node:timers/promises';
import { type ApiTarget, basic } from './http-client.ts';

/**
 * The bounded load of the fault tests (security.md §5.2): a few lanes, each sending one request
 * after another to 127.0.0.1 until stopped or until its own deadline, every answer recorded with
 * its start and end time so a test can judge each phase (before, during, after a fault).
 */
export interface Sample {
  kind: string;
  /** HTTP status; 0 for a connection error, -1 when no answer came within the request timeout. */
  status: number;
  start: number;
  end: number;
  /** The token a successful POST /token returned, if any. */
  token?: string;
  error?: string;
}

const REQUEST_TIMEOUT_MS = 8000;

/** One request, never throwing: failures become status 0 (connection) or -1 (timeout). */
export async function probe(
  target: ApiTarget,
  kind: string,
  path: string,
  init: RequestInit = {},
): Promise<Sample> {
  const start = Date.now();
  try {
    const response = await fetch(`${target.api}${path}`, {
      ...init,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    const sample: Sample = { kind, status: response.status, start, end: Date.now() };
    if (response.status === 200 && path === '/token' && init.method === 'POST') {
      sample.token = JSON.parse(text).data.token;
    }
    if (response.status >= 500) sample.error = text.slice(0, 200);
    return sample;
  } catch (error) {
    const timedOut = (error as Error).name === 'TimeoutError';
    return { kind, status: timedOut ? -1 : 0, start, end: Date.now(), error: String(error) };
  }
}

export function checkToken(target: ApiTarget, token: string, kind = 'check'): Promise<Sample> {
  return probe(target, kind, `/token/${token}`, { method: 'HEAD' });
}

export function loginSample(target: ApiTarget, username: string, password: string): Promise<Sample> {
  return probe(target, 'login', '/token', {
    method: 'POST',
    headers: { Authorization: basic(username, password), 'Content-Type': 'application/json' },
    body: JSON.stringify({ expiration: 3600 }),
  });
}

/** Runs `step` in `lanes` parallel loops until `stop()` or `maxMs`, keeping every sample. */
export class LoadLoop {
  readonly samples: Sample[] = [];
  #running = true;
  readonly #done: Promise<void>;

  constructor(lanes: number, step: (lane: number, i: number) => Promise<Sample>, maxMs = 120_000) {
    const deadline = Date.now() + maxMs;
    const lane = async (index: number) => {
      for (let i = 0; this.#running && Date.now() < deadline; i += 1) {
        this.samples.push(await step(index, i));
        await sleep(2);
      }
    };
    this.#done = Promise.all(Array.from({ length: lanes }, (_, i) => lane(i))).then(() => {});
  }

  async stop(): Promise<Sample[]> {
    this.#running = false;
    await this.#done;
    return this.samples;
  }
}

/** Samples whose request started inside [from, to). */
export function startedBetween(samples: readonly Sample[], from: number, to: number): Sample[] {
  return samples.filter((s) => s.start >= from && s.start < to);
}

/** "status×count" pairs, e.g. "204×120 503×7", for assertion messages and the docs. */
export function tally(samples: readonly Sample[]): string {
  const counts = new Map<number, number>();
  for (const s of samples) counts.set(s.status, (counts.get(s.status) ?? 0) + 1);
  return [...counts.entries()]
    .sort(([a], [b]) => a - b)
    .map(([status, count]) => `${status}×${count}`)
    .join(' ');
}

/** The p-th percentile (0–100) of the samples' durations in ms. */
export function percentileMs(samples: readonly Sample[], p: number): number {
  const durations = samples.map((s) => s.end - s.start).sort((a, b) => a - b);
  if (durations.length === 0) return 0;
  return durations[Math.min(durations.length - 1, Math.floor((p / 100) * durations.length))] ?? 0;
}
