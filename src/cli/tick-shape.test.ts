import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';

const tickShapeUrl = new URL('../../bin/tick-shape.js', import.meta.url).href;

/**
 * Runs `script` in a plain Node process with V8's test intrinsics (`%HaveSameMap`) and `gc()`.
 * What the held object saves (V8 inline caches staying monomorphic) has no observable effect but
 * speed, which the benchmark measures; these tests check the mechanism it relies on.
 */
function runWithIntrinsics(script: string): unknown {
  const run = spawnSync(
    process.execPath,
    ['--allow-natives-syntax', '--expose-gc', '--input-type=module', '-e', script],
    { env: { PATH: process.env.PATH }, encoding: 'utf8', timeout: 60_000 },
  );
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout);
}

describe('bin/tick-shape.js: one tick object held for the life of the process', () => {
  test('it holds a real tick object: the two async-id symbols, callback and args', () => {
    const shape = runWithIntrinsics(`
      import { heldTickObject } from ${JSON.stringify(tickShapeUrl)};
      console.log(JSON.stringify({
        symbols: Object.getOwnPropertySymbols(heldTickObject).length,
        names: Object.keys(heldTickObject),
      }));
    `);
    assert.deepEqual(shape, { symbols: 2, names: ['callback', 'args'] });
  });

  test('ticks queued after major collections still get the map of the held one', () => {
    const result = runWithIntrinsics(`
      import { captureTickObject, heldTickObject } from ${JSON.stringify(tickShapeUrl)};
      // Let the ticks of startup run, so that the held object is the only one alive, then collect.
      await new Promise((resolve) => setTimeout(resolve, 20));
      for (let i = 0; i < 4; i++) globalThis.gc();
      console.log(JSON.stringify(%HaveSameMap(heldTickObject, captureTickObject())));
    `);
    assert.equal(result, true);
  });

  test('the gatehouse command imports it before any other module', () => {
    const entry = readFileSync(new URL('../../bin/gatehouse.js', import.meta.url), 'utf8');
    const imports = entry.match(/^import .*$/gm) ?? [];
    assert.equal(imports[0], "import './tick-shape.js';");
  });
});
