/**
 * First setup file of the warm checker's test worker (lib/cli/warm.ts; only with
 * COURSE_GRADER_WARM=1, lib/grader/vitest.grade.config.ts). That worker is one process kept
 * across runs (vitest `isolate: false`, one fork that lib/cli/warm-main.mjs does not recycle), so
 * tfjs-node, vitest and the backend choice are loaded once. vitest keeps the worker's module
 * cache between runs too; this file empties it at the start of every run, except node_modules
 * (loaded by Node itself, tfjs among them) and the modules that patch tfjs once per process
 * (the backend choice, the tensor and layer origin hooks) with everything they import. So the
 * student's files, the tests and the course library are evaluated afresh, as in a new process:
 * a save is always seen and no module state of one run (a cached array a submission mutated)
 * reaches the next. What a run can leave in the process itself (patched globals, tfjs flags,
 * open scopes, background work) is checked at its end by warm-guard.ts; a worker left so is
 * replaced before the next run.
 */
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const KEEP_ROOTS = ['lib/backend/index.ts', 'lib/grader/tensor-origins.ts', 'test/support/layer-origins.ts'].map((f) => path.join(root, f));

interface CachedModule {
  imports?: Set<string>;
}
type ModuleCache = Map<string, CachedModule>;

/** The modules to keep: the roots and everything they import (so no kept module sees a newer copy of its imports). */
function keepSet(cache: ModuleCache): Set<string> {
  const keep = new Set<string>();
  const todo = KEEP_ROOTS.filter((f) => cache.has(f));
  while (todo.length > 0) {
    const id = todo.pop()!;
    if (keep.has(id)) continue;
    keep.add(id);
    for (const dep of cache.get(id)?.imports ?? []) todo.push(dep);
  }
  return keep;
}

const cache = (globalThis as { __vitest_worker__?: { moduleCache?: ModuleCache } }).__vitest_worker__?.moduleCache;
if (cache) {
  const keep = keepSet(cache);
  let dropped = 0;
  for (const id of [...cache.keys()]) {
    if (keep.has(id) || id.includes('/node_modules/') || id.startsWith('node:')) continue;
    cache.delete(id);
    dropped++;
  }
  if (process.env.COURSE_WARM_DEBUG) process.stderr.write(`warm: reset kept ${keep.size} modules, dropped ${dropped}\n`);
}

// variables the previous run registered (a name registered twice would throw); its leaked
// tensors stay allocated but tests count leaks as differences, and warm-guard.ts replaces a
// worker holding too much
tf.disposeVariables();
