// Keeps Node's `process.nextTick` on V8's fast path for the life of the server (issue #4).
//
// nextTick builds each queued tick as `{ [async_id_symbol]: id, [trigger_async_id_symbol]: id,
// callback, args }`. Computed keys are defined through inline caches that remember, weakly, the
// map (hidden class) the object had before each key. Between requests no tick object is alive, so
// a major collection can free those intermediate maps; the next tick then builds fresh ones, each
// cache sees a map that differs from its cleared entry and turns megamorphic, for good. From then
// on every tick (about six per HTTP request: socket write callbacks, request stream end) defines
// its properties in V8's runtime. Measured with `perf` on a check under load: 11 to 14% of the
// server's CPU in `Runtime_DefineKeyedOwnPropertyInLiteral`, and 0% with one tick object held.
//
// Holding one tick object keeps its map, and through each map's back pointer every map before it,
// alive: the caches keep a live entry and stay monomorphic. Node offers no way to name the tick's
// symbols, so the object is taken from an async hook enabled around a single nextTick. This module
// must be imported before anything else, while those caches still hold their first maps.
import { createHook } from 'node:async_hooks';

/** The tick object held for the life of the process, or null if this Node version queued none. */
export const heldTickObject = captureTickObject();

/** A tick object, from one `process.nextTick` queued under an async hook (tests compare it with the held one). */
export function captureTickObject() {
  let captured = null;
  const hook = createHook({
    init(_asyncId, type, _triggerAsyncId, resource) {
      if (type === 'TickObject') captured ??= resource;
    },
  });
  hook.enable();
  try {
    process.nextTick(() => {});
  } finally {
    hook.disable();
  }
  return captured;
}
