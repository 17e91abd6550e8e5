// The reference every Gatehouse figure is divided by: a bare node:http server answering the same
// check requests, measured like a scenario.
import { type LoadResult, runLoad } from './load.ts';
import { startBare } from './processes.ts';
import { checkMix } from './requests.ts';
import { type BenchSettings, HOT, median, medianOf } from './scenarios.ts';
import type { TokenSet } from './seed-data.ts';

export async function measureBare(
  settings: BenchSettings,
  tokens: TokenSet,
  repeat = settings.repeat,
): Promise<LoadResult> {
  const bare = await startBare();
  try {
    const spec = {
      url: bare.url,
      serverCpuMs: bare.cpuMs,
      connections: settings.connections,
      requestsFor: (c: number) => checkMix({ tokens, count: HOT }, c),
    };
    await runLoad({ ...spec, durationSec: Math.min(2, settings.durationSec) });
    const runs = [];
    for (let i = 0; i < repeat; i++) runs.push(await runLoad({ ...spec, durationSec: settings.durationSec }));
    return median(runs);
  } finally {
    await bare.stop();
  }
}

/**
 * Each run of `scenario` right after a run of the bare server, and the median of their ratios.
 * The bare rate of the run's start can be minutes old by the time a scenario runs, and on a
 * shared machine it swings by 2x from one minute to the next (issue #4, eighth session: 20,786 to
 * 43,671 req/s); a ratio taken beside each run follows the machine's state.
 */
export async function besideBare(
  settings: BenchSettings,
  tokens: TokenSet,
  scenario: () => Promise<LoadResult>,
): Promise<{ result: LoadResult; ratio: number }> {
  const runs: LoadResult[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < settings.repeat; i++) {
    const bare = await measureBare(settings, tokens, 1);
    const run = await scenario();
    runs.push(run);
    ratios.push(run.rps / bare.rps);
  }
  return { result: median(runs), ratio: medianOf(ratios) };
}
