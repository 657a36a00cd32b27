/**
 * Tamper detection for graded runs. Before the test file imports the submission, the harness
 * records every function (and accessor) on the objects the tests rely on: vitest's `expect`
 * and chai's assertion prototype, the tfjs namespace, its sub-namespaces and class
 * prototypes, the engine, the active backend and its kernels, and the JS built-ins a check
 * could be fooled through (Math, Number, Object, JSON, Array/TypedArray prototypes…).
 * `check()` lists what was replaced or removed since; `restore()` puts the originals back.
 *
 * Only identities are compared, so the check is cheap and has no false positives from state
 * that legitimately changes (tensor counts, optimiser state, …). New keys are allowed: adding
 * a matcher or a helper does not change what the tests compute.
 */

// Captured now, so a submission patching these cannot blind the check.
const ownKeys = Reflect.ownKeys;
const getDesc = Object.getOwnPropertyDescriptor;
const defineProp = Object.defineProperty;

interface Recorded {
  key: string | symbol;
  desc: PropertyDescriptor;
}

interface Watched {
  label: string;
  target: object;
  recorded: Recorded[];
}

function functionsOf(target: object, ignore: readonly (string | symbol)[]): Recorded[] {
  const out: Recorded[] = [];
  for (const key of ownKeys(target)) {
    if (ignore.includes(key)) continue;
    let desc: PropertyDescriptor | undefined;
    try {
      desc = getDesc(target, key);
    } catch {
      continue;
    }
    if (!desc) continue;
    if (desc.get || desc.set || typeof desc.value === 'function') out.push({ key, desc });
  }
  return out;
}

function keyLabel(key: string | symbol): string {
  return typeof key === 'symbol' ? `[${key.description ?? 'symbol'}]` : key;
}

export class IntegrityGuard {
  private watched: Watched[] = [];
  private seen = new Set<object>();
  private kernels: { label: string; read: () => Map<string, unknown>; recorded: Map<string, unknown> }[] = [];

  /** `off`: watches nothing, finds nothing (the warm checker of `course watch`, grader-harness.ts) */
  constructor(private readonly opts: { off?: boolean } = {}) {}

  /** `ignore`: keys that legitimately change (e.g. Math.random, re-seeded before each test). */
  watch(label: string, target: unknown, ignore: readonly (string | symbol)[] = []): void {
    if (this.opts.off || target === null || (typeof target !== 'object' && typeof target !== 'function')) return;
    if (this.seen.has(target)) return;
    this.seen.add(target);
    this.watched.push({ label, target, recorded: functionsOf(target, ignore) });
  }

  /** Watch a key → function table read through a function (e.g. a backend's kernel registry). */
  watchTable(label: string, read: () => Map<string, unknown>): void {
    if (this.opts.off) return;
    this.kernels.push({ label, read, recorded: read() });
  }

  /** What was replaced or removed since `watch`, as "tf.Tensor.prototype.dataSync was replaced". */
  check(): string[] {
    const found: string[] = [];
    for (const w of this.watched) {
      for (const { key, desc } of w.recorded) {
        let now: PropertyDescriptor | undefined;
        try {
          now = getDesc(w.target, key);
        } catch {
          now = undefined;
        }
        const name = `${w.label}.${keyLabel(key)}`;
        if (!now) found.push(`${name} was removed`);
        else if (now.value !== desc.value || now.get !== desc.get || now.set !== desc.set) found.push(`${name} was replaced`);
      }
    }
    for (const t of this.kernels) {
      const now = t.read();
      for (const [k, fn] of t.recorded) {
        if (now.get(k) !== fn) found.push(`${t.label} '${k}' was replaced`);
      }
    }
    return found;
  }

  /** Put every recorded original back (kernel tables are re-registered by the caller). */
  restore(): void {
    for (const w of this.watched) {
      for (const { key, desc } of w.recorded) {
        try {
          defineProp(w.target, key, desc);
        } catch {
          // non-configurable and changed: cannot happen for a non-configurable property
        }
      }
    }
  }

  recordedKernels(label: string): Map<string, unknown> | undefined {
    return this.kernels.find((k) => k.label === label)?.recorded;
  }

  get size(): number {
    return this.watched.reduce((n, w) => n + w.recorded.length, 0);
  }
}

type Tfjs = typeof import('@tensorflow/tfjs');

/** The active backend's kernels, name → kernel function (a kernel table for `watchTable`). */
export function readKernels(tf: Tfjs, backendName: string): Map<string, unknown> {
  return new Map(tf.getKernelsForBackend(backendName).map((k) => [k.kernelName, k.kernelFunc as unknown]));
}

/** tfjs's gradient registry (tf.registerGradient), from its globals: a submission that re-registers or mutates a built-in op's gradient changes what tf.grad computes. */
export function gradientRegistry(): Map<string, { gradFunc: unknown }> | undefined {
  const tfGlobals = (globalThis as { _tfGlobals?: Map<string, unknown> })._tfGlobals;
  return tfGlobals?.get('gradRegistry') as Map<string, { gradFunc: unknown }> | undefined;
}

/** Every gradient config and its function (a table for `watchTable`). */
export function readGradients(): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [name, config] of gradientRegistry() ?? []) {
    out.set(name, config);
    out.set(`${name}.gradFunc`, config.gradFunc);
  }
  return out;
}

const BUILTINS: [string, unknown][] = [
  ['Math', Math], ['Number', Number], ['Object', Object], ['JSON', JSON], ['Reflect', Reflect], ['Array', Array],
  ['Array.prototype', Array.prototype], ['Function.prototype', Function.prototype], ['Promise', Promise],
  ['Promise.prototype', Promise.prototype], ['String.prototype', String.prototype],
  ['TypedArray.prototype', Object.getPrototypeOf(Float32Array.prototype)], ['Float32Array', Float32Array],
  ['Float32Array.prototype', Float32Array.prototype], ['Int32Array.prototype', Int32Array.prototype],
];

/**
 * Watches what the tests rely on and a submission could replace: vitest's `expect` and chai, the
 * tfjs namespace, its sub-namespaces and class prototypes, the engine's class, the active backend
 * and its kernels, the gradient registry, the JS built-ins. Used by the grader harness (tamper
 * checks, test/support/grader-harness.ts, which adds the engine instance, its state and
 * chai.config that it wraps itself) and by the warm checker's long-lived test worker
 * (test/support/warm-guard.ts: a worker that a run left patched is replaced before the next).
 */
export function watchTestGlobals(guard: IntegrityGuard, deps: { tf: Tfjs; expect: object; chai: { Assertion: { prototype: object }; util: object } }): void {
  const { tf, expect, chai } = deps;
  guard.watch('expect', expect);
  guard.watch('chai.Assertion.prototype', chai.Assertion.prototype);
  guard.watch('chai.Assertion', chai.Assertion);
  guard.watch('chai.util', chai.util);
  guard.watch('chai', chai);
  const matchers = (globalThis as Record<symbol, { matchers?: object } | undefined>)[Symbol.for('$$jest-matchers-object')];
  guard.watch('expect matchers', matchers?.matchers);
  guard.watch('tf', tf);
  for (const [key, value] of Object.entries(tf)) {
    if (value && typeof value === 'object') guard.watch(`tf.${key}`, value);
    if (typeof value === 'function' && value.prototype && Object.getOwnPropertyNames(value.prototype).length > 1) {
      guard.watch(`tf.${key}.prototype`, value.prototype);
    }
  }
  guard.watch('tf.engine() class', Object.getPrototypeOf(tf.engine()));
  const backend = tf.backend();
  guard.watch('tf.backend()', backend);
  guard.watch('tf.backend() class', Object.getPrototypeOf(backend));
  const backendName = tf.getBackend();
  guard.watchTable(`${backendName} kernel`, () => readKernels(tf, backendName));
  guard.watchTable('gradient of', readGradients);
  // Math.random is re-seeded (replaced) by setup.ts before every test: replacing it gains nothing
  for (const [label, obj] of BUILTINS) guard.watch(label, obj, label === 'Math' ? ['random'] : []);
}
