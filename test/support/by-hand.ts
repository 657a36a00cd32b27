/**
 * Enforces a task's "by hand" policy (lib/grader/policy.ts, the rubric's "byHand") while the
 * student's code runs, at the level each API exists in tfjs:
 *  - ops: the op scope the engine opens for every `tf.<op>` call (`engine.startScope('<op>__op')`)
 *    and, where the op has a kernel of its own, that kernel (`engine.runKernel`), so a direct
 *    `tf.engine().runKernel('Sigmoid', …)` is seen too;
 *  - autodiff: `engine.gradients` (where tf.grad(s), valueAndGrad(s), variableGrads and
 *    optimizer.minimize all end) and every registered gradient function (backprop through a
 *    reference captured before the guard still needs them);
 *  - optimisers: `applyGradients` of every tf.train optimiser class;
 *  - initialisers: `apply` of every tf.initializers class; layers: `apply` of tf.layers' Layer.
 * A forbidden call throws at once, naming the API and the student's line ("task 2 asks you to
 * write dropout yourself: tf.dropout was called at index.ts:57"); a call swallowed by the
 * student's own try/catch still fails when the function returns. Only calls made while the
 * student's function runs count: a comment, or the library called by the test itself, never does.
 * Everything patched is restored afterwards (the grader harness's tamper checks pause meanwhile).
 * Synchronous functions only: every by-hand task's functions are synchronous.
 */
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { parseByHandPolicy, type ByHandPolicy, type TaskPolicy } from '../../lib/grader/policy.js';

export type { ByHandPolicy, TaskPolicy };

/** Thrown at a forbidden call; its message is the feedback line. */
export class ByHandViolation extends Error {
  override name = 'ByHandViolation';
}

/** Reads and checks the "byHand" policy of a rubric; op names are checked against tfjs here. */
export function loadByHandPolicy(rubric: URL): ByHandPolicy {
  const raw = JSON.parse(fs.readFileSync(rubric, 'utf8')) as { byHand?: unknown };
  const policy = parseByHandPolicy(rubric.pathname, raw.byHand ?? {});
  for (const [task, p] of Object.entries(policy)) {
    for (const api of p.forbids) {
      const op = opName(api);
      if (op && typeof (tf as unknown as Record<string, unknown>)[op] !== 'function') {
        throw new Error(`${rubric.pathname}: byHand task ${task} forbids ${api}, which tfjs does not have`);
      }
    }
  }
  return policy;
}

/** `tf.dropout` → `dropout`; undefined for the other kinds of forbidden API. */
function opName(api: string): string | undefined {
  return /^tf\.([a-z][A-Za-z0-9]*)$/.exec(api)?.[1];
}

/** The task number of the test that is running ("task 2: inverted dropout > …" → "2"). */
function currentTask(): string | undefined {
  return /^task (\d+):/.exec(expect.getState().currentTestName ?? '')?.[1];
}

/**
 * The module with every function a task's policy lists wrapped: called from a test of that task
 * it runs under the policy (runByHand); called from any other test it runs as it is, so a
 * shortcut loses exactly its own task's tests.
 */
export function byHand<M extends object>(module: M, exercise: string, policy: ByHandPolicy): M {
  const owner = new Map<string, string>();
  for (const [task, p] of Object.entries(policy)) for (const f of p.functions) owner.set(f, task);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(module)) {
    const task = owner.get(key);
    if (typeof value !== 'function' || task === undefined || policy[task]!.forbids.length === 0) {
      out[key] = value;
      continue;
    }
    const fn = value as (...args: unknown[]) => unknown;
    out[key] = (...args: unknown[]): unknown =>
      currentTask() === task ? runByHand(exercise, task, policy[task]!, () => fn(...args)) : fn(...args);
  }
  return out as M;
}

interface Patch {
  obj: object;
  key: string;
  desc: PropertyDescriptor | undefined;
}

/** Runs `fn` under one task's policy; throws a ByHandViolation at (or after) a forbidden call. */
export function runByHand<T>(exercise: string, task: string, policy: TaskPolicy, fn: () => T): T {
  const seen: string[] = [];
  const violation = (api: string): ByHandViolation => {
    const message = `task ${task} asks you to ${policy.lesson}: ${api} was called at ${studentLine(exercise)}`;
    seen.push(message);
    return new ByHandViolation(message);
  };
  const patches: Patch[] = [];
  const gradFuncs = installGuards(policy.forbids, violation, patches);
  const paused = (globalThis as Record<symbol, (<R>(f: () => R) => R) | undefined>)[Symbol.for('course.grader.pauseAssertionChecks')];
  let result: T;
  try {
    result = paused ? paused(fn) : fn();
  } catch (err) {
    if (seen.length > 0 && !(err instanceof ByHandViolation)) throw new ByHandViolation(seen[0]!);
    throw err;
  } finally {
    for (const g of gradFuncs) g.config.gradFunc = g.gradFunc;
    for (const { obj, key, desc } of patches.reverse()) {
      if (desc) Object.defineProperty(obj, key, desc);
      else delete (obj as Record<string, unknown>)[key];
    }
  }
  if (result instanceof Promise) throw new Error(`runByHand: ${exercise} task ${task} returned a Promise; by-hand policies cover synchronous functions only`);
  // a forbidden call whose error the student's code caught still fails the test
  if (seen.length > 0) throw new ByHandViolation(seen[0]!);
  return result;
}

type Violation = (api: string) => ByHandViolation;
type GradConfig = { gradFunc: unknown };

/** Wraps `obj[key]` so `check(this, args)` runs first; the original descriptor goes to `patches`. */
function wrap(obj: object, key: string, patches: Patch[], check: (self: unknown, args: unknown[]) => void): void {
  const original = (obj as Record<string, unknown>)[key];
  if (typeof original !== 'function' || patches.some((p) => p.obj === obj && p.key === key)) return;
  patches.push({ obj, key, desc: Object.getOwnPropertyDescriptor(obj, key) });
  Object.defineProperty(obj, key, {
    configurable: true,
    writable: true,
    value: function (this: unknown, ...args: unknown[]) {
      check(this, args);
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    },
  });
}

function installGuards(forbids: string[], violation: Violation, patches: Patch[]): { config: GradConfig; gradFunc: unknown }[] {
  const engine = tf.engine();
  const engineTargets = [engine, Object.getPrototypeOf(engine) as object];
  const ops = new Set(forbids.map(opName).filter((o): o is string => o !== undefined));
  if (ops.size > 0) guardOps(engineTargets, ops, violation, patches);
  const saved: { config: GradConfig; gradFunc: unknown }[] = [];
  if (forbids.includes('autodiff')) {
    for (const target of engineTargets) wrap(target, 'gradients', patches, () => { throw violation(autodiffName()); });
    const registry = (globalThis as { _tfGlobals?: Map<string, unknown> })._tfGlobals?.get('gradRegistry') as Map<string, GradConfig> | undefined;
    for (const config of registry?.values() ?? []) {
      const gradFunc = config.gradFunc;
      saved.push({ config, gradFunc });
      config.gradFunc = () => { throw violation('autodiff (a registered gradient was run)'); };
    }
  }
  const trainAll = forbids.includes('tf.train.*');
  if (trainAll || forbids.some((f) => f.startsWith('tf.train.'))) {
    for (const proto of optimizerPrototypes()) {
      wrap(proto, 'applyGradients', patches, (self) => {
        const api = `tf.train.${String((self as { constructor: { className?: string } }).constructor.className ?? 'optimizer').toLowerCase()}`;
        if (trainAll || forbids.includes(api)) throw violation(`${api} (an optimiser's update)`);
      });
    }
  }
  if (forbids.some((f) => f.startsWith('tf.initializers.'))) {
    for (const proto of initializerPrototypes()) {
      wrap(proto, 'apply', patches, (self) => {
        const cls = String((self as { constructor: { className?: string } }).constructor.className ?? '');
        const api = `tf.initializers.${cls.charAt(0).toLowerCase()}${cls.slice(1)}`;
        if (forbids.includes('tf.initializers.*') || forbids.includes(api)) throw violation(api);
      });
    }
  }
  if (forbids.includes('tf.layers.*')) {
    for (const proto of layerPrototypes()) {
      wrap(proto, 'apply', patches, (self) => {
        const cls = String((self as { constructor: { className?: string } }).constructor.className ?? 'Layer');
        throw violation(`tf.layers.${cls.charAt(0).toLowerCase()}${cls.slice(1)} (a layer)`);
      });
    }
  }
  return saved;
}

/** Op scopes and, for ops with a kernel of their own (tf.sigmoid → Sigmoid), the kernel. */
function guardOps(targets: object[], ops: Set<string>, violation: Violation, patches: Patch[]): void {
  const kernels = new Map<string, string>();
  for (const op of ops) {
    const kernel = `${op.charAt(0).toUpperCase()}${op.slice(1)}`;
    if (tf.getKernel(kernel, tf.getBackend()) !== undefined) kernels.set(kernel, op);
  }
  for (const target of targets) {
    wrap(target, 'startScope', patches, (_self, [name]) => {
      const op = typeof name === 'string' && name.endsWith('__op') ? name.slice(0, -4) : undefined;
      if (op !== undefined && ops.has(op)) throw violation(`tf.${op}`);
    });
    wrap(target, 'runKernel', patches, (_self, [kernel]) => {
      const op = typeof kernel === 'string' ? kernels.get(kernel) : undefined;
      if (op !== undefined) throw violation(`tf.${op} (its kernel ${String(kernel)})`);
    });
  }
}

/** Which autodiff entry point is on the stack (tfjs's own function names), for the message. */
function autodiffName(): string {
  const stack = new Error().stack ?? '';
  for (const [re, name] of [
    [/\bminimize\b/, 'optimizer.minimize'],
    [/\bcomputeGradients\b/, 'optimizer.computeGradients'],
    [/\bvariableGrads\b/, 'tf.variableGrads'],
    [/\bvalueAndGrads?\b/, 'tf.valueAndGrad(s)'],
  ] as const) {
    if (re.test(stack)) return `${name} (autodiff)`;
  }
  return 'tf.grad / tf.grads (autodiff)';
}

function optimizerPrototypes(): object[] {
  return [
    tf.Optimizer,
    tf.SGDOptimizer,
    tf.MomentumOptimizer,
    tf.AdamOptimizer,
    tf.AdamaxOptimizer,
    tf.AdagradOptimizer,
    tf.AdadeltaOptimizer,
    tf.RMSPropOptimizer,
  ].map((c) => c.prototype as object);
}

/** Every prototype on the chains of tf.initializers' classes that defines its own `apply`. */
function initializerPrototypes(): object[] {
  const instances: unknown[] = [];
  for (const make of Object.values(tf.initializers) as ((args: object) => unknown)[]) {
    try {
      instances.push(make({ value: 0, seed: 1 }));
    } catch {
      // a factory that needs other arguments: its class still shares a prototype chain below
    }
  }
  return ownApplyPrototypes(instances);
}

function layerPrototypes(): object[] {
  return ownApplyPrototypes([tf.layers.dense({ units: 1 }), tf.sequential()]);
}

function ownApplyPrototypes(instances: unknown[]): object[] {
  const out = new Set<object>();
  for (const instance of instances) {
    for (let p = Object.getPrototypeOf(instance) as object | null; p && p !== Object.prototype; p = Object.getPrototypeOf(p) as object | null) {
      if (Object.prototype.hasOwnProperty.call(p, 'apply')) out.add(p);
    }
  }
  return [...out];
}

/**
 * `index.ts:57`: the innermost stack frame in the exercise's folder (the student's call site),
 * not in node_modules, the tests or this file. vitest maps the frames back to the .ts source.
 */
function studentLine(exercise: string): string {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 80;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  for (const line of stack.split('\n').slice(1)) {
    const m = /\(?((?:file:\/\/)?[^\s()]+):(\d+):\d+\)?\s*$/.exec(line);
    if (!m) continue;
    const file = m[1]!.replace(/^file:\/\//, '');
    const at = file.lastIndexOf(`/${exercise}/`);
    if (at < 0 || file.includes('/node_modules/') || /\.test\.ts$/.test(file) || file.includes('/test/support/')) continue;
    return `${file.slice(at + exercise.length + 2)}:${m[2]}`;
  }
  return `your ${exercise} code (line not found)`;
}
