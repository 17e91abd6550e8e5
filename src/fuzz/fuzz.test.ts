import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { describeEachDialect } from '../testing/dialect-suite.ts';
import { compareSnapshots, healthProblems, type Snapshot, snapshot, witnessProblems } from './fuzz-health.ts';
import { describeFailure, FuzzRun, loadCorpus, prepareFuzz } from './fuzz-runner.ts';
import { loadOperations } from './openapi-operations.ts';

/**
 * The short form of the fuzz suite (security.md §5.4, issue #5 item 4), run by `npm test` on both
 * dialects: the whole committed corpus, then FUZZ_RUNS (default 300) random requests derived from
 * the served OpenAPI document with seed FUZZ_SEED (default fixed, so CI is reproducible), then the
 * whole-run checks U4–U7. `npm run fuzz` is the long form (docs/fuzzing.md).
 */

const corpus = loadCorpus();
const seed = Number(process.env.FUZZ_SEED ?? 20_261_129);
const runs = Number(process.env.FUZZ_RUNS ?? 300);

await describeEachDialect('fuzz short form', {}, ({ server }) => {
  let run: FuzzRun;
  let initial: Snapshot;
  let rssBefore: number;

  before(async () => {
    run = new FuzzRun(await prepareFuzz(server()));
    initial = await snapshot(server().container.storage);
    rssBefore = process.memoryUsage().rss;
  });

  for (const [group, cases] of Object.entries(corpus)) {
    test(`${group} corpus replay (${cases.length} cases): U1 U2 U3 and the case's expected statuses`, async () => {
      const failures = await run.replay(cases);
      assert.equal(failures.length, 0, failures.slice(0, 5).map(describeFailure).join('\n'));
    });
  }

  test(`FZ-RANDOM ${runs} requests from the OpenAPI document (FUZZ_SEED=${seed}): U1 U2 U3`, async () => {
    const operations = await loadOperations(server().api);
    assert.ok(operations.length >= 50, `only ${operations.length} operations in api.yml`);
    await run.random(operations, seed, runs);
  });

  test('U4 U5 U6 U7 after the fuzzing: cheap rejections, healthy process, no stray writes, earlier tokens valid', async (t) => {
    const p99 = run.stats.rejectedPercentile(99);
    t.diagnostic(`${run.stats.cases} cases, statuses ${JSON.stringify(run.stats.statusTable())}`);
    t.diagnostic(
      `U4 rejected-request latency p50 ${run.stats.rejectedPercentile(50).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms`,
    );
    const { storage } = server().container;
    const problems = [
      ...(await healthProblems(server().api, storage, rssBefore, { maxRssGrowthMiB: 256 })),
      ...compareSnapshots(initial, await snapshot(storage), run.accepted),
      ...(await witnessProblems(server().api, run.setup.witnessTokens)),
    ];
    assert.deepEqual(problems, []);
    const { token, clientId } = run.setup.witnessRefresh;
    const refreshed = await fetch(`${server().api}/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ refresh_token: token, client_id: clientId }),
    });
    assert.equal(refreshed.status, 200, 'U7 the refresh token issued before the run no longer works');
  });
});
