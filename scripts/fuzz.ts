// npm run fuzz: the long form of the fuzz suite (docs/fuzzing.md). For each dialect in
// FUZZ_DIALECTS (default sqlite), starts a throwaway server, replays the whole corpus, sends
// FUZZ_RUNS (default 10,000) random requests generated from the served OpenAPI document with seed
// FUZZ_SEED (default: random, printed), then checks U4–U7. Every failure is printed with the seed
// and the case; the exit status is 1 when there was any.
import { compareSnapshots, healthProblems, snapshot, witnessProblems } from '../src/fuzz/fuzz-health.ts';
import {
  type CaseFailure,
  describeFailure,
  FuzzRun,
  loadCorpus,
  prepareFuzz,
  sampleAndSend,
} from '../src/fuzz/fuzz-runner.ts';
import { loadOperations } from '../src/fuzz/openapi-operations.ts';
import { startTestServer } from '../src/testing/test-server.ts';

const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const runs = Number(process.env.FUZZ_RUNS ?? 10_000);
const dialects = (process.env.FUZZ_DIALECTS ?? 'sqlite').split(',') as ('sqlite' | 'postgres')[];
const U4_P99_MS = 50;

async function fuzzDialect(dialect: 'sqlite' | 'postgres'): Promise<number> {
  const server = await startTestServer(dialect);
  try {
    const started = performance.now();
    const run = new FuzzRun(await prepareFuzz(server));
    const { storage } = server.container;
    const before = await snapshot(storage);
    const rssBefore = process.memoryUsage().rss;
    const failures: CaseFailure[] = [];
    for (const cases of Object.values(loadCorpus())) failures.push(...(await run.replay(cases)));
    failures.push(...(await sampleAndSend(run, await loadOperations(server.api), seed, runs)));
    const wholeRun = [
      ...(await healthProblems(server.api, storage, rssBefore, { maxRssGrowthMiB: 256 })),
      ...compareSnapshots(before, await snapshot(storage), run.accepted),
      ...(await witnessProblems(server.api, run.setup.witnessTokens)),
    ];
    const p99 = run.stats.rejectedPercentile(99);
    if (p99 > U4_P99_MS) wholeRun.push(`U4 rejected-request p99 ${p99.toFixed(1)} ms > ${U4_P99_MS} ms`);
    report(dialect, run, failures, wholeRun, (performance.now() - started) / 1000);
    return failures.length + wholeRun.length;
  } finally {
    await server.close();
  }
}

function report(
  dialect: string,
  run: FuzzRun,
  failures: CaseFailure[],
  wholeRun: string[],
  seconds: number,
): void {
  const { stats } = run;
  console.log(
    `\n== ${dialect}: ${stats.cases} cases in ${seconds.toFixed(0)} s (FUZZ_SEED=${seed} FUZZ_RUNS=${runs})`,
  );
  console.log(`statuses: ${JSON.stringify(stats.statusTable())}`);
  for (const [group, counts] of [...stats.byGroup.entries()].sort()) {
    const table = [...counts.entries()].sort(([a], [b]) => a - b).map(([s, n]) => `${s}:${n}`);
    console.log(`  ${group.padEnd(10)} ${table.join(' ')}`);
  }
  const p50 = stats.rejectedPercentile(50).toFixed(1);
  console.log(
    `U4 rejected requests: ${stats.rejectedMs.length}, p50 ${p50} ms, p99 ${stats.rejectedPercentile(99).toFixed(1)} ms`,
  );
  console.log(
    `accepted mutations: ${run.accepted}; U5/U6/U7 problems: ${wholeRun.length ? wholeRun.join('; ') : 'none'}`,
  );
  console.log(`case failures: ${failures.length}`);
  for (const failure of failures.slice(0, 50)) console.log(`  FUZZ_SEED=${seed} ${describeFailure(failure)}`);
}

let problems = 0;
for (const dialect of dialects) problems += await fuzzDialect(dialect);
console.log(problems === 0 ? '\nfuzz: no failure' : `\nfuzz: ${problems} failures`);
process.exit(problems === 0 ? 0 : 1);
