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
const getProto = Object.getPrototypeOf;
const setProto = Object.setPrototypeOf;

interface Recorded {
  key: string | symbol;
  desc: PropertyDescriptor;
}

interface Watched {
  label: string;
  target: object;
  recorded: Recorded[];
}

/** An object whose every own key is watched: a new key, or any change to a key's descriptor, is found. */
interface KeyWatched {
  label: string;
  target: object;
  recorded: Map<string | symbol, PropertyDescriptor>;
  /** its [[Prototype]]: Array.prototype given another one inherits that one's keys */
  proto: object | null;
}

function descriptorsOf(target: object): Map<string | symbol, PropertyDescriptor> {
  const out = new Map<string | symbol, PropertyDescriptor>();
  for (const key of ownKeys(target)) {
    const desc = getDesc(target, key);
    if (desc) out.set(key, desc);
  }
  return out;
}

const sameDescriptor = (a: PropertyDescriptor, b: PropertyDescriptor): boolean =>
  a.value === b.value && a.get === b.get && a.set === b.set && a.writable === b.writable && a.enumerable === b.enumerable && a.configurable === b.configurable;

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
  private keyWatched: KeyWatched[] = [];
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

  /**
   * Watch every own key of `target` (names and symbols, with their descriptors): a key added
   * later, removed or redefined in any way is found. For built-in prototypes, where a new key is
   * inherited by every object of the kind (chai's assertion flags are a plain `{}`: an accessor
   * for `negate` on Object.prototype flips every assertion); not for objects that gain keys
   * legitimately (chai.Assertion.prototype gains one per plugin matcher).
   */
  watchKeys(label: string, target: object): void {
    if (this.opts.off) return;
    this.keyWatched.push({ label, target, recorded: descriptorsOf(target), proto: getProto(target) });
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
    for (const w of this.keyWatched) found.push(...keyChanges(w, found));
    for (const t of this.kernels) {
      const now = t.read();
      for (const [k, fn] of t.recorded) {
        if (now.get(k) !== fn) found.push(`${t.label} '${k}' was replaced`);
      }
    }
    return found;
  }

  /** Put every recorded original back, remove added keys (kernel tables are re-registered by the caller). */
  restore(): void {
    for (const w of this.keyWatched) {
      try {
        if (getProto(w.target) !== w.proto) setProto(w.target, w.proto);
      } catch {
        // made non-extensible as well: found again at every check
      }
      for (const key of ownKeys(w.target)) {
        if (w.recorded.has(key)) continue;
        try {
          Reflect.deleteProperty(w.target, key);
        } catch {
          // a non-configurable new key stays (and is found again at every check)
        }
      }
      for (const [key, desc] of w.recorded) {
        try {
          defineProp(w.target, key, desc);
        } catch {
          // non-configurable: cannot have changed
        }
      }
    }
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

  /** How many keys `watchKeys` recorded (self-tests). */
  get keyCount(): number {
    return this.keyWatched.reduce((n, w) => n + w.recorded.size, 0);
  }

  recordedKernels(label: string): Map<string, unknown> | undefined {
    return this.kernels.find((k) => k.label === label)?.recorded;
  }

  get size(): number {
    return this.watched.reduce((n, w) => n + w.recorded.length, 0);
  }
}

/** Keys of a key-watched object added, removed or redefined since it was recorded; skips names `already` has (from `watch`). */
function keyChanges(w: KeyWatched, already: readonly string[]): string[] {
  const found: string[] = [];
  const add = (key: string | symbol, what: string) => {
    const name = `${w.label}.${keyLabel(key)}`;
    if (!already.includes(`${name} was replaced`) && !already.includes(`${name} was removed`)) found.push(`${name} ${what}`);
  };
  let keys: (string | symbol)[];
  try {
    keys = ownKeys(w.target);
  } catch {
    return [`${w.label} could not be read`];
  }
  if (getProto(w.target) !== w.proto) found.push(`${w.label}'s prototype was replaced`);
  for (const key of keys) {
    const now = getDesc(w.target, key);
    const was = w.recorded.get(key);
    if (!was) add(key, 'was added');
    else if (now && !sameDescriptor(was, now)) add(key, now.value !== was.value || now.get !== was.get || now.set !== was.set ? 'was replaced' : 'was redefined');
  }
  if (keys.length !== w.recorded.size || found.length > 0) {
    const present = new Set(keys);
    for (const key of w.recorded.keys()) if (!present.has(key)) add(key, 'was removed');
  }
  return found;
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

const iteratorPrototype = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())) as object;

/**
 * Built-in prototypes whose keys every object of their kind inherits, and that chai and vitest's
 * `equals` read while they assert: chai's flags (`{}`) and any plain object → Object.prototype;
 * deep equality walks arrays, typed arrays, maps, sets, dates, regexps, errors and iterators,
 * and reads `Symbol.toStringTag`, `constructor`, `asymmetricMatch`, `toJSON`… through them.
 */
const PROTOTYPES: [string, object][] = [
  ['Object.prototype', Object.prototype], ['Function.prototype', Function.prototype], ['Array.prototype', Array.prototype],
  ['Error.prototype', Error.prototype], ['String.prototype', String.prototype], ['Number.prototype', Number.prototype],
  ['Boolean.prototype', Boolean.prototype], ['Symbol.prototype', Symbol.prototype], ['BigInt.prototype', BigInt.prototype],
  ['RegExp.prototype', RegExp.prototype], ['Date.prototype', Date.prototype], ['Map.prototype', Map.prototype],
  ['Set.prototype', Set.prototype], ['Promise.prototype', Promise.prototype], ['Iterator.prototype', iteratorPrototype],
  ['TypedArray.prototype', Object.getPrototypeOf(Float32Array.prototype) as object],
  ['Float32Array.prototype', Float32Array.prototype], ['Int32Array.prototype', Int32Array.prototype], ['Uint8Array.prototype', Uint8Array.prototype],
];

/**
 * Every own key of the built-in prototypes above (watchKeys): a key added to Object.prototype is
 * a flag or property every assertion inherits. Call it when the libraries are loaded (their
 * polyfills are in the record) and before the submission is.
 */
export function watchPrototypeKeys(guard: IntegrityGuard): void {
  for (const [label, proto] of PROTOTYPES) guard.watchKeys(label, proto);
}

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
