// The reference every Gatehouse figure is divided by: a bare node:http server answering the same
// check requests, measured like a scenario.
import { type LoadResult, runLoad } from './load.ts';
import { startBare } from './processes.ts';
import { checkMix } from './requests.ts';
import { type BenchSettings, HOT, median } from './scenarios.ts';
import type { TokenSet } from './seed-data.ts';

export async function measureBare(settings: BenchSettings, tokens: TokenSet): Promise<LoadResult> {
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
    for (let i = 0; i < settings.repeat; i++)
      runs.push(await runLoad({ ...spec, durationSec: settings.durationSec }));
    return median(runs);
  } finally {
    await bare.stop();
  }
}
