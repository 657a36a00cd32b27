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
 * A step that can't be compiled (another backend, dropout drawn in JavaScript, …) runs eagerly
 * with one line saying why; the same line is printed once per process however many models or
 * runs hit it.
 */
import type * as tf from '@tensorflow/tfjs';
import { AsyncLocalStorage } from 'node:async_hooks';
import { type CompiledStep, compileStep } from '../backend/graph/index.js';
import type { StepResult } from '../backend/graph/trace.js';

interface Scope {
  steps: { keys: object[]; step: CompiledStep<StepResult> }[];
}

const store = new AsyncLocalStorage<Scope>();
const printed = new Set<string>();

/** compileStep's log, each distinct line once per process. */
export function logOnce(line: string): void {
  if (printed.has(line)) return;
  printed.add(line);
  console.error(line);
}

/** Run `fn` with compiled steps on in the project's loops it calls (see the file comment). */
export function withGraphSteps<T>(fn: () => T): T {
  const scope: Scope = { steps: [] };
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

/**
 * The compiled version of the step `make()` returns, made once per `keys` (compared by identity)
 * in the current scope and disposed with it; null outside withGraphSteps.
 */
export function scopedStep<R extends StepResult>(keys: object[], name: string, make: () => (...args: tf.Tensor[]) => R): CompiledStep<R> | null {
  const scope = store.getStore();
  if (!scope) return null;
  const found = scope.steps.find((s) => s.keys.length === keys.length && s.keys.every((k, i) => k === keys[i]));
  if (found) return found.step as CompiledStep<R>;
  const step = compileStep(make(), { name, log: logOnce });
  scope.steps.push({ keys, step: step as CompiledStep<StepResult> });
  return step;
}

/** A step compiled for one loop run by the caller (who disposes it): compiled inside withGraphSteps, else null. */
export function compileInScope<R extends StepResult>(name: string, fn: (...args: tf.Tensor[]) => R): CompiledStep<R> | null {
  return graphStepsEnabled() ? compileStep(fn, { name, log: logOnce }) : null;
}
