/**
 * Grader harness: a setup file that only `course grade` adds (lib/grader/vitest.grade.config.ts).
 * It runs in the worker before the test file imports the submission, and
 *  - appends "start <test name>" to COURSE_GRADER_PROGRESS before each test, synchronously, so
 *    the parent knows which test a hang or crash hit even if the worker never reports again;
 *  - skips the tests listed in COURSE_GRADER_SKIP (finished or fatal in an earlier attempt);
 *  - fails a test during which a promise rejection or exception went unhandled;
 *  - fails a test during or before which the submission replaced a function the tests rely
 *    on (expect/chai, tfjs and its engine/backend prototypes, kernels, gradients, JS built-ins),
 *    or added, removed or redefined any key of a built-in prototype (Object.prototype, …: an
 *    inherited chai flag), then restores the originals; checked before and after each test and
 *    at every assertion;
 *  - makes each test's verdict sticky: the moment vitest marks a test failed, a line saying so goes
 *    to stderr (and the progress file), and the test's `result.state` can no longer leave 'fail'.
 *    The parent fails every test with such a line whatever the reporter says, so a submission
 *    that reaches vitest's runner (a hook, `task.fails`, the worker→main RPC) cannot turn a
 *    failure into a pass;
 *  - cuts what a test throws (message, stack) to a few thousand characters before vitest copies
 *    it: a 10 MB message cost minutes and ran workers out of heap (lib/grader/plain-text.ts).
 */
import fs from 'node:fs';
import { getFn, setFn, type Test } from '@vitest/runner';
import { afterEach, beforeEach, chai, expect, type TestContext } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../lib/backend/index.js';
import { gradientRegistry, IntegrityGuard, readKernels, watchPrototypeKeys, watchTestGlobals } from '../../lib/grader/integrity.js';
import { shrinkThrown } from '../../lib/grader/plain-text.js';

const progressFile = process.env.COURSE_GRADER_PROGRESS;
const skip = new Set<string>(JSON.parse(process.env.COURSE_GRADER_SKIP ?? '[]') as string[]);
const appendFileSync = fs.appendFileSync;
const writeSync = fs.writeSync;
const fstatSync = fs.fstatSync;
const killSelf = process.kill.bind(process, process.pid, 'SIGKILL');
const defineProperty = Object.defineProperty;
/** the worker's stderr (a pipe to the grader): bytes written there cannot be taken back */
const stderrId = (() => {
  try {
    const s = fstatSync(2);
    return `${s.dev}:${s.ino}`;
  } catch {
    return null;
  }
})();

/**
 * "This test failed", said where the submission cannot take it back: a line on stderr (the
 * parent reads the pipe; lib/grader/runner.ts FAIL_MARK) and in the progress file. If stderr is
 * no longer the pipe it was at start-up, the worker kills itself: the test fails as a crash.
 */
function reportFailed(name: string): void {
  if (progressFile) {
    try {
      appendFileSync(progressFile, `fail ${name}\n`);
    } catch {
      // the stderr line is the one that counts
    }
  }
  let told = false;
  try {
    const s = fstatSync(2);
    if (stderrId !== null && `${s.dev}:${s.ino}` === stderrId) {
      writeSync(2, `\n${'course-grader-verdict'} fail ${JSON.stringify(name)}\n`);
      told = true;
    }
  } catch {
    told = false;
  }
  if (!told && stderrId !== null) killSelf();
}

// The backend must exist before we record its methods and kernels (idempotent with setup.ts).
// The wasm backend's emscripten glue adds process listeners that rethrow any unhandled
// rejection, which kills the worker: remove whatever the backend added, so a stray rejection
// fails one test with a clear message instead (see the listeners at the end of this file).
const listenersBefore = {
  unhandledRejection: process.listeners('unhandledRejection'),
  uncaughtException: process.listeners('uncaughtException'),
};
await initBackend({ quiet: true });
for (const l of process.listeners('unhandledRejection')) {
  if (!listenersBefore.unhandledRejection.includes(l)) process.removeListener('unhandledRejection', l);
}
for (const l of process.listeners('uncaughtException')) {
  if (!listenersBefore.uncaughtException.includes(l)) process.removeListener('uncaughtException', l);
}

// The warm checker of `course watch` (lib/cli/warm.ts) is the student's own loop on their own
// code: no tamper checks there (re-reading every tfjs prototype at each assertion made a check
// 6–8× slower). A graded run never has this: sandboxEnv drops COURSE_GRADER_* from the grader's
// environment and the runner does not set it.
const warm = process.env.COURSE_GRADER_WARM === '1';
const guard = new IntegrityGuard({ off: warm });
watchTestGlobals(guard, { tf, expect, chai });
// Every own key of the built-in prototypes (Object.prototype…), recorded now: tfjs, vitest and the
// backend are loaded (their polyfills are in the record), the submission is not. A new key there
// is inherited by every object, chai's assertion flags included. COURSE_GRADER_SELFTEST_PROTO=off
// (only test/grader/judge.test.ts's control, through the sandbox run's `prototypeKeys: false`, sandbox/index.ts; the
// sandbox drops COURSE_GRADER_* from outside) leaves it out; it is read here, before any
// submission code runs, so a submission cannot turn it off for itself.
if (process.env.COURSE_GRADER_SELFTEST_PROTO !== 'off') watchPrototypeKeys(guard);
const engine = tf.engine();
// Leak counts: tf.memory() reads engine.state.numTensors / numDataBuffers, plain numbers a
// submission could lower to hide a leak. tfjs changes them only by ±1 inside trackTensor,
// disposeTensor and removeDataId: those are wrapped (on the engine instance, watched below) to
// mark when a change is tfjs's own, and accessors on the counters keep the true values, ignore
// any other write and report it as tampering.
const counterTampering: string[] = [];
const inside = { trackTensor: 0, disposeTensor: 0, removeDataId: 0 };
const engineProto = Object.getPrototypeOf(engine) as Record<string, (...args: unknown[]) => unknown>;
for (const method of Object.keys(inside) as (keyof typeof inside)[]) {
  const original = engineProto[method]!;
  Object.defineProperty(engine, method, {
    configurable: true,
    writable: true,
    value: function (this: unknown, ...args: unknown[]) {
      inside[method]++;
      try {
        return original.apply(this, args);
      } finally {
        inside[method]--;
      }
    },
  });
}
const legitimate = (key: string, delta: number): boolean =>
  (delta === 1 && inside.trackTensor > 0) || (delta === -1 && (key === 'numTensors' ? inside.disposeTensor : inside.removeDataId) > 0);
const state = (engine as unknown as { state: Record<string, number> }).state;
for (const key of ['numTensors', 'numDataBuffers']) {
  let value = state[key]!;
  Object.defineProperty(state, key, {
    configurable: true,
    enumerable: true,
    get: () => value,
    set: (v: number) => {
      if (legitimate(key, v - value)) value = v;
      else counterTampering.push(`tf.engine().state.${key} was set from ${value} to ${v} outside tfjs (the true count is kept)`);
    },
  });
}
guard.watch('tf.engine()', engine);
guard.watch('tf.engine().state', state);
guard.watchTable('tf.engine()', () => new Map([['state', (engine as unknown as { state: unknown }).state]]));
const backendName = tf.getBackend();
const kernelConfigs = new Map(tf.getKernelsForBackend(backendName).map((k) => [k.kernelName, k]));
const gradRegistry = gradientRegistry();
const gradientConfigs = new Map(gradRegistry ?? []);
const gradientFuncs = new Map([...(gradRegistry ?? [])].map(([k, c]) => [k, c.gradFunc]));

function restoreKernels(): void {
  const now = readKernels(tf, backendName);
  for (const [name, config] of kernelConfigs) {
    if (now.get(name) === config.kernelFunc) continue;
    if (now.has(name)) tf.unregisterKernel(name, backendName);
    tf.registerKernel(config);
  }
}

function restoreGradients(): void {
  if (!gradRegistry) return;
  for (const [name, config] of gradientConfigs) {
    config.gradFunc = gradientFuncs.get(name);
    gradRegistry.set(name, config);
  }
}

function checkIntegrity(when: string): void {
  const found = [...guard.check(), ...counterTampering.splice(0)];
  if (found.length === 0) return;
  guard.restore();
  restoreKernels();
  restoreGradients();
  const list = found.slice(0, 3).join('; ') + (found.length > 3 ? `; and ${found.length - 3} more` : '');
  throw new Error(`tampering detected ${when}: ${list}`);
}

// Checked on every assertion too, synchronously: a patch undone in a microtask before afterEach
// would otherwise never be seen. chai reads config.useProxy each time it builds an Assertion
// (every expect() and every chained word), so a getter there runs the check at that moment.
// A test that patches tfjs itself for a moment (01's autodiff guard) runs that code through
// pauseAssertionChecks; what is still patched when it returns is caught at the next check.
let useProxy = chai.config.useProxy;
let checking = false;
let paused = 0;
// The warm checker's worker runs this file again for every run (test/support/warm-reset.ts); the
// property is non-configurable, so it stays the first run's (the checks it pauses are off there)
const pauseKey = Symbol.for('course.grader.pauseAssertionChecks');
if (!(warm && pauseKey in globalThis)) Object.defineProperty(globalThis, pauseKey, {
  value: <R>(fn: () => R): R => {
    paused++;
    try {
      return fn();
    } finally {
      paused--;
    }
  },
  writable: false,
  configurable: false,
});
Object.defineProperty(chai.config, 'useProxy', {
  configurable: true,
  enumerable: true,
  get(): boolean {
    if (!warm && !checking && paused === 0) {
      checking = true;
      try {
        checkIntegrity('when an assertion was made');
      } finally {
        checking = false;
      }
    }
    return useProxy;
  },
  set(v: boolean) {
    useProxy = v;
  },
});
guard.watch('chai.config', chai.config);

// Unhandled rejections / exceptions from the submission fail the test they happened in.
const stray: string[] = [];
const describe = (reason: unknown): string =>
  reason instanceof Error ? `${reason.name}: ${reason.message.split('\n')[0]}` : String(reason);
const onRejection = (reason: unknown) => stray.push(`unhandled promise rejection: ${describe(reason)}`);
const onException = (err: unknown) => stray.push(`uncaught exception: ${describe(err)}`);
if (warm) {
  // one long-lived worker runs this file once per run: the previous run's listeners go
  const previous = (globalThis as Record<symbol, [typeof onRejection, typeof onException] | undefined>)[Symbol.for('course.grader.warmListeners')];
  if (previous) {
    process.removeListener('unhandledRejection', previous[0]);
    process.removeListener('uncaughtException', previous[1]);
  }
  (globalThis as Record<symbol, unknown>)[Symbol.for('course.grader.warmListeners')] = [onRejection, onException];
}
process.on('unhandledRejection', onRejection);
process.on('uncaughtException', onException);

function fullName(ctx: TestContext): string {
  const names: string[] = [ctx.task.name];
  for (let s = ctx.task.suite; s && s.type === 'suite' && s !== (ctx.task.file as unknown); s = s.suite) {
    if (s.name && s.file !== (s as unknown)) names.unshift(s.name);
  }
  return names.join(' > ');
}

/**
 * From now on `task.result` (and any object later assigned to it) reports 'fail' for good once
 * it was set to 'fail', with the errors it had then, and that moment is reported (reportFailed).
 * All are non-configurable accessors: code that runs later cannot redefine them.
 */
function stickyVerdict(task: { result?: unknown }, name: string): void {
  let failed = false;
  let state: unknown;
  let errors: unknown;
  const setState = (v: unknown) => {
    if (v === 'fail' && !failed) {
      failed = true;
      reportFailed(name);
    }
    state = v;
  };
  // once failed, recorded errors stay (they can be replaced by as many or more): the feedback says why
  const setErrors = (v: unknown) => {
    const had = Array.isArray(errors) ? errors.length : 0;
    if (!failed || had === 0 || (Array.isArray(v) && v.length >= had)) errors = v;
  };
  const seal = (r: unknown): unknown => {
    if (r === null || typeof r !== 'object') return r;
    const fresh: Record<string, unknown> = { ...(r as Record<string, unknown>) };
    setState(fresh.state);
    setErrors(fresh.errors);
    defineProperty(fresh, 'state', { configurable: false, enumerable: true, get: () => (failed ? 'fail' : state), set: setState });
    defineProperty(fresh, 'errors', { configurable: false, enumerable: true, get: () => errors, set: setErrors });
    return fresh;
  };
  let result = seal(task.result);
  defineProperty(task, 'result', {
    configurable: false,
    enumerable: true,
    get: () => result,
    set: (r: unknown) => {
      result = seal(r);
    },
  });
}

beforeEach((ctx) => {
  const name = fullName(ctx);
  if (skip.has(name)) {
    ctx.skip();
    return;
  }
  if (progressFile) appendFileSync(progressFile, `start ${name}\n`);
  try {
    stickyVerdict(ctx.task as { result?: unknown }, name);
  } catch {
    // something redefined this test's result before it ran: its verdict cannot be trusted
    reportFailed(name);
    throw new Error("tampering detected before this test: the test's result was redefined");
  }
  stray.length = 0;
  shrinkErrorsOf(ctx.task as Test);
  checkIntegrity('before this test (at import or in an earlier hook)');
});

/** The test's function, wrapped so that what it throws is cut before vitest serializes it (runs after beforeEach). */
function shrinkErrorsOf(task: Test): void {
  const fn = getFn(task);
  setFn(task, async () => {
    try {
      await fn();
    } catch (thrown) {
      throw shrinkThrown(thrown);
    }
  });
}

afterEach(async () => {
  // let rejections from the test's last microtasks surface before judging
  await new Promise((r) => setImmediate(r));
  checkIntegrity('during this test');
  if (stray.length > 0) {
    const first = stray[0]!;
    stray.length = 0;
    throw new Error(`${first} (a promise was not awaited or an error escaped a callback)`);
  }
});
