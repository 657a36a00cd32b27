/**
 * Compiled training steps (lib/backend/graph compileStep) inside loops the project owns but
 * student code calls: 02's trainEpoch (called by the student's compareActivations) and fitModel
 * (behind trainWithAdam, called by 05's compareStrategies). A full run opts in for a stretch of
 * code:
 *
 *   const runs = await withGraphSteps(() => impl.compareStrategies(config));
 *
 * Inside, those loops run their per-batch step as one TensorFlow graph on tfjs-node; outside
 * (graded tests call student code, and these helpers, eagerly) they run eagerly as before.
 * Steps made with `scopedStep` are compiled once per key (a model and its optimizer) and reused
 * by later calls (epochs); every one is disposed when `fn` returns or its promise settles, so no
 * TensorFlow session outlives the scope.
 *
 * A step that can't be compiled (another backend, a value read back mid-step, …) runs eagerly
 * with one line saying why: the first such line per loop ('trainEpoch', 'fitModel') in the
 * process, however many models or runs fall back after it.
 */
import type * as tf from '@tensorflow/tfjs';
import { AsyncLocalStorage } from 'node:async_hooks';
import { type CompiledStep, compileStep } from '../backend/graph/index.js';
import type { StepResult } from '../backend/graph/trace.js';

/** What became of one compiled step, reported when it is released. */
export interface StepReport {
  name: string;
  mode: CompiledStep<StepResult>['mode'];
  reason: string | null;
  /** graph nodes (0 unless mode is 'graph') */
  opCount: number;
}

export interface GraphScopeOptions {
  /** called once per compiled step made in the scope, just before it is released */
  onRelease?: (report: StepReport) => void;
}

interface Scope {
  steps: { keys: object[] | null; step: CompiledStep<StepResult> }[];
  options: GraphScopeOptions;
}

const store = new AsyncLocalStorage<Scope>();
const printed = new Set<string>();

/** compileStep's log for steps called `name`: the first line only, once per process. */
function logOnce(name: string): (line: string) => void {
  return (line) => {
    if (printed.has(name)) return;
    printed.add(name);
    console.error(line);
  };
}

/** Run `fn` with compiled steps on in the project's loops it calls (see the file comment). */
export function withGraphSteps<T>(fn: () => T, options: GraphScopeOptions = {}): T {
  const scope: Scope = { steps: [], options };
  const release = (): void => {
    for (const { step } of scope.steps.splice(0)) step.dispose();
  };
  let result: T;
  try {
    result = store.run(scope, fn);
  } catch (err) {
    release();
    throw err;
  }
  if (result instanceof Promise) return result.finally(release) as T;
  release();
  return result;
}

/** Whether the caller runs inside withGraphSteps. */
export function graphStepsEnabled(): boolean {
  return store.getStore() !== undefined;
}

/** compileStep(fn) registered with `scope`: released (and reported) by its own dispose or at the scope's end. */
function compileIn<R extends StepResult>(scope: Scope, keys: object[] | null, name: string, fn: (...args: tf.Tensor[]) => R): CompiledStep<R> {
  const step = compileStep(fn, { name, log: logOnce(name) });
  let released = false;
  const wrapped = ((...args: tf.Tensor[]) => step(...args)) as CompiledStep<R>;
  Object.defineProperties(wrapped, {
    mode: { get: () => step.mode },
    reason: { get: () => step.reason },
    opCount: { get: () => step.opCount },
    dispose: {
      value: () => {
        if (released) return;
        released = true;
        const at = scope.steps.findIndex((s) => s.step === wrapped);
        if (at >= 0) scope.steps.splice(at, 1);
        scope.options.onRelease?.({ name, mode: step.mode, reason: step.reason, opCount: step.opCount });
        step.dispose();
      },
    },
  });
  scope.steps.push({ keys, step: wrapped as CompiledStep<StepResult> });
  return wrapped;
}

/**
 * The compiled version of the step `make()` returns, made once per `keys` (compared by identity)
 * in the current scope and disposed with it; null outside withGraphSteps.
 */
export function scopedStep<R extends StepResult>(keys: object[], name: string, make: () => (...args: tf.Tensor[]) => R): CompiledStep<R> | null {
  const scope = store.getStore();
  if (!scope) return null;
  const found = scope.steps.find((s) => s.keys && s.keys.length === keys.length && s.keys.every((k, i) => k === keys[i]));
  if (found) return found.step as CompiledStep<R>;
  return compileIn(scope, keys, name, make());
}

/**
 * A step compiled for one loop run by the caller, who disposes it when the loop ends (the scope's
 * end disposes it otherwise): compileStep(fn) inside withGraphSteps, null outside.
 */
export function compileInScope<R extends StepResult>(name: string, fn: (...args: tf.Tensor[]) => R): CompiledStep<R> | null {
  const scope = store.getStore();
  return scope ? compileIn(scope, null, name, fn) : null;
}
