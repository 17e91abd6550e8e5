import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Counter, Histogram, Registry } from 'prom-client';
import { TallyCounter, TallyHistogram } from './tallies.ts';

/**
 * The tallies replace prom-client's Counter and Histogram on the request path (issue #4); a
 * scraper must not see any difference. prom-client's own metrics, fed the same observations, are
 * the reference for the exposed text.
 */
const BOUNDS = [0.001, 0.01, 0.1, 1];
/** On a bound (a bucket's `le` includes it), between bounds, above every bound, below the first. */
const OBSERVED = [0.0002, 0.001, 0.05, 0.1, 0.3, 7];

async function exposedByPromClient(): Promise<string> {
  const registry = new Registry();
  const counter = new Counter({
    name: 'c_total',
    help: 'c',
    labelNames: ['route', 'status'],
    registers: [registry],
  });
  const histogram = new Histogram({
    name: 'h_seconds',
    help: 'h',
    labelNames: ['route'],
    buckets: BOUNDS,
    registers: [registry],
  });
  for (const seconds of OBSERVED) {
    counter.labels('/a', '200').inc();
    histogram.labels('/a').observe(seconds);
  }
  counter.labels('/b', '404').inc();
  histogram.labels('/b').observe(0.02);
  return registry.metrics();
}

async function exposedByTallies(registry = new Registry()): Promise<string> {
  const counter = new TallyCounter(registry, 'c_total', 'c', ['route', 'status']);
  const histogram = new TallyHistogram(registry, 'h_seconds', 'h', ['route'], BOUNDS);
  const count = counter.tally({ route: '/a', status: '200' });
  const latency = histogram.tally({ route: '/a' });
  for (const seconds of OBSERVED) {
    count.inc();
    latency.observe(seconds);
  }
  counter.tally({ status: '404', route: '/b' }).inc();
  histogram.tally({ route: '/b' }).observe(0.02);
  return registry.metrics();
}

test('§issue-4 tallies expose exactly what prom-client exposes for the same observations', async () => {
  assert.equal(await exposedByTallies(), await exposedByPromClient());
});

test('§issue-4 a label set resolves to one tally, whatever the order of its labels', () => {
  const counter = new TallyCounter(new Registry(), 'c_total', 'c', ['route', 'status']);
  assert.equal(counter.tally({ route: '/a', status: '200' }), counter.tally({ status: '200', route: '/a' }));
  assert.notEqual(
    counter.tally({ route: '/a', status: '200' }),
    counter.tally({ route: '/a', status: '201' }),
  );
});

test('§issue-4 resetting the registry zeroes every tally, which keeps counting afterwards', async () => {
  const registry = new Registry();
  const histogram = new TallyHistogram(registry, 'h_seconds', 'h', ['route'], BOUNDS);
  const latency = histogram.tally({ route: '/a' });
  latency.observe(0.5);
  registry.resetMetrics();
  latency.observe(0.005);
  const text = await registry.metrics();
  assert.match(text, /^h_seconds_count\{route="\/a"\} 1$/m);
  assert.match(text, /^h_seconds_sum\{route="\/a"\} 0\.005$/m);
  assert.match(text, /^h_seconds_bucket\{le="0\.001",route="\/a"\} 0$/m);
  assert.match(text, /^h_seconds_bucket\{le="0\.01",route="\/a"\} 1$/m);
});
