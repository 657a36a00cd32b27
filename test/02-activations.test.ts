/**
 * Graded tests for 02-activations. Everything is measured here: values and derivatives against
 * closed-form formulas evaluated in float64 in this file (and derivatives against tf.grad too),
 * which kernels the activations run, final accuracies recomputed from the returned models,
 * gradient norms recomputed with tf.variableGrads. Timings below were measured on the wasm
 * backend, 2 shared cores.
 */
import { describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import * as Student from '@target/02-activations/index.js';
import type * as A from '@target/02-activations/index.js';
import { loadFashionMnist } from '../lib/data/fashion-mnist.js';
import { accuracy } from '../lib/metrics/index.js';
import { countLeak, leakDetails } from '../lib/train/guard.js';
import { CourseError, isNotImplemented } from '../lib/errors.js';
import { ByHandViolation, byHand, loadByHandPolicy, runByHand } from './support/by-hand.js';
import { observe } from '../lib/grader/observe.js';

// Task 1's activations run under its "by hand" policy (the rubric's "byHand"): a built-in
// activation (tf.sigmoid, tf.relu, …, seen as its op scope or its kernel) fails every task-1 test
// that calls that function, naming the call and the line.
const EXERCISE = '02-activations';
const POLICY = loadByHandPolicy(new URL('./02-activations.rubric.json', import.meta.url));
const S = byHand(Student, EXERCISE, POLICY);

type Fn = (x: tf.Tensor) => tf.Tensor;

function values(fn: Fn, xs: number[]): number[] {
  return tf.tidy(() => Array.from(fn(tf.tensor1d(xs)).dataSync()));
}

/** Elementwise |actual − expected| ≤ tol; a failure names the worst point (x when `xs` is given). */
function expectClose(actual: number[], expected: number[], tol: number, what: string, xs?: number[]): void {
  expect(actual.length, what).toBe(expected.length);
  actual.forEach((a, i) => expect(Number.isFinite(a), `${what}[${i}] is ${a}`).toBe(true));
  let worst = 0;
  actual.forEach((a, i) => {
    if (Math.abs(a - expected[i]!) > Math.abs(actual[worst]! - expected[worst]!)) worst = i;
  });
  const where = xs ? `at x = ${+xs[worst]!.toFixed(4)}` : `at index ${worst}`;
  expect(Math.abs(actual[worst]! - expected[worst]!), `${what} ${where}: got ${actual[worst]}, expected ${expected[worst]}`).toBeLessThanOrEqual(tol);
}

/** Softmax in float64, from the definition. */
function softmax64(xs: number[]): number[] {
  const m = Math.max(...xs);
  const e = xs.map((x) => Math.exp(x - m));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

/**
 * Float32 error budget of a correct softmax whose logits reach magnitude M. Every stable form
 * shifts the logits by a number of magnitude ~M (the max, or logsumexp(x)); rounding that shift
 * to float32 costs up to half a float32 ulp of M, which lands in the exponent, so each
 * probability p is off by up to p · ulp(M)/2 (and the sum by ulp(M)/2), plus a few float32 eps
 * from exp, sum and divide. Example: logsumexp([1000, 1001]) = 1001.3133 rounds to a multiple of
 * 2^-14 ≈ 6.1e-5, so exp(x − logsumexp(x)) is off by up to 0.73 · 3.1e-5 ≈ 2.2e-5 there, while
 * the max-shift form happens to be exact. Tolerance: ulp(M) (twice the bound) + 1e-6 (exp/sum/div).
 */
function softmaxTol(maxAbsLogit: number): number {
  const ulp = maxAbsLogit > 0 ? 2 ** (Math.floor(Math.log2(maxAbsLogit)) - 23) : 0;
  return ulp + 1e-6;
}

// Hand-worked values (double precision, see README); checked to 1e-5 in float32.
const POINTS = [-2, -1, 0, 1, 2];
const EXPECTED: Record<string, { fn: Fn; values: number[] }> = {
  sigmoid: { fn: (x) => S.sigmoid(x), values: [0.119203, 0.268941, 0.5, 0.731059, 0.880797] },
  tanh: { fn: (x) => S.tanh(x), values: [-0.964028, -0.761594, 0, 0.761594, 0.964028] },
  relu: { fn: (x) => S.relu(x), values: [0, 0, 0, 1, 2] },
  leakyRelu: { fn: (x) => S.leakyRelu(x), values: [-0.02, -0.01, 0, 1, 2] },
  elu: { fn: (x) => S.elu(x), values: [-0.864665, -0.632121, 0, 1, 2] },
  swish: { fn: (x) => S.swish(x), values: [-0.238406, -0.268941, 0, 0.731059, 1.761594] },
  gelu: { fn: (x) => S.gelu(x), values: [-0.045402, -0.158808, 0, 0.841192, 1.954598] },
  geluExact: { fn: (x) => S.geluExact(x), values: [-0.045500, -0.158655, 0, 0.841345, 1.954500] },
};

const DERIVATIVES: Record<string, { fn: Fn; derivative: Fn }> = {
  sigmoid: { fn: (x) => S.sigmoid(x), derivative: (x) => S.sigmoidDerivative(x) },
  tanh: { fn: (x) => S.tanh(x), derivative: (x) => S.tanhDerivative(x) },
  relu: { fn: (x) => S.relu(x), derivative: (x) => S.reluDerivative(x) },
  leakyRelu: { fn: (x) => S.leakyRelu(x), derivative: (x) => S.leakyReluDerivative(x) },
  elu: { fn: (x) => S.elu(x), derivative: (x) => S.eluDerivative(x) },
  swish: { fn: (x) => S.swish(x), derivative: (x) => S.swishDerivative(x) },
  gelu: { fn: (x) => S.gelu(x), derivative: (x) => S.geluDerivative(x) },
  geluExact: { fn: (x) => S.geluExact(x), derivative: (x) => S.geluExactDerivative(x) },
};

// −4.95, −4.85, …, 4.95: never exactly on the kink at 0.
const GRID = Array.from({ length: 100 }, (_, i) => -4.95 + 0.1 * i);
/** The grid points whose values the alpha test sends to the grader's judge (every fifth, and both sides of 0): a few KB. */
const SAMPLED = GRID.flatMap((_, i) => (i % 5 === 0 || i === 49 || i === 50 ? [i] : []));
const sampled = (v: number[]): number[] => SAMPLED.map((i) => v[i]!);

// ---- closed forms, evaluated here in float64 (never from the code under test) ----
const sig = (x: number) => 1 / (1 + Math.exp(-x));
/** erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7, far below the 1e-4 tolerance). */
function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return Math.sign(x) * (1 - poly * Math.exp(-x * x));
}
const GELU_C = Math.sqrt(2 / Math.PI);
const FORMULA: Record<string, (x: number) => number> = {
  sigmoid: (x) => sig(x) * (1 - sig(x)),
  tanh: (x) => 1 - Math.tanh(x) ** 2,
  relu: (x) => (x > 0 ? 1 : 0),
  leakyRelu: (x) => (x > 0 ? 1 : 0.01),
  elu: (x) => (x > 0 ? 1 : Math.exp(x)),
  swish: (x) => sig(x) + x * sig(x) * (1 - sig(x)),
  gelu: (x) => {
    const t = Math.tanh(GELU_C * (x + 0.044715 * x ** 3));
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELU_C * (1 + 3 * 0.044715 * x * x);
  },
  geluExact: (x) => 0.5 * (1 + erf(x / Math.SQRT2)) + (x * Math.exp(-0.5 * x * x)) / Math.sqrt(2 * Math.PI),
};

/**
 * Tolerance for derivatives (1e-4 absolute). On [−5, 5] every derivative here is at most ~1.2 and
 * a correct float32 implementation evaluates it with ≲ 20 ops on intermediates of magnitude
 * ≲ 10 (x³ in GELU), each rounded to ~6e-8 relative: worst case ~20 · 10 · 6e-8 ≈ 1.2e-5, so any
 * correct formula (σ(1−σ) or e^−x/(1+e^−x)², 1−tanh² or 4σ'(2x), …) passes with 8× margin,
 * while the classic mistakes (a missing chain-rule factor or product-rule term, a hard-coded
 * alpha) are off by ≥ 1e-2 somewhere on the grid.
 */
const DERIVATIVE_TOL = 1e-4;

describe('task 1: activation functions', () => {
  test('every activation gives the hand-worked values at chosen points', () => {
    const seen: Record<string, number[]> = {};
    for (const [name, { fn, values: expected }] of Object.entries(EXPECTED)) {
      const v = values(fn, POINTS);
      seen[name] = v;
      expectClose(v, expected, 1e-5, name);
    }
    observe('values', seen); // judged again in the grader (test/02-activations.judge.ts)
  });

  test('activations keep the input shape and dtype', () => {
    tf.tidy(() => {
      const x = tf.randomNormal([2, 3, 4], 0, 2, 'float32', 7);
      const seen: Record<string, { shape: number[]; dtype?: string }> = {};
      for (const [name, { fn }] of Object.entries(EXPECTED)) {
        const y = fn(x);
        seen[name] = { shape: y.shape, dtype: y.dtype };
        expect(y.shape, name).toEqual([2, 3, 4]);
        expect(y.dtype, name).toBe('float32');
      }
      for (const [name, { derivative }] of Object.entries(DERIVATIVES)) {
        const shape = derivative(x).shape;
        seen[`${name}Derivative`] = { shape };
        expect(shape, `${name}'`).toEqual([2, 3, 4]);
      }
      observe('shapes', seen);
    });
  });

  for (const [name, { fn, derivative }] of Object.entries(DERIVATIVES)) {
    test(`derivative of ${name} matches its formula and tf.grad on [-5, 5]`, () => {
      // The formula judges the derivative; tf.grad of your own forward checks that the forward
      // pass is differentiable and agrees with it (a tf.customGrad cannot hide a wrong formula).
      const mine = tf.tidy(() => Array.from(derivative(tf.tensor1d(GRID)).dataSync()));
      expectClose(mine, GRID.map(FORMULA[name]!), DERIVATIVE_TOL, `${name}' against the closed-form derivative`, GRID);
      const auto = tf.tidy(() => Array.from(tf.grad(fn)(tf.tensor1d(GRID)).dataSync()));
      expectClose(auto, GRID.map(FORMULA[name]!), DERIVATIVE_TOL, `tf.grad of your ${name} against the closed-form derivative`, GRID);
      observe('derivative', { mine, auto });
    });
  }

  test('leakyRelu and elu use their alpha: values and derivatives at several alphas match the formulas', () => {
    // values: float32 rounding of x itself (|x| ≤ 5) is ≤ 2.4e-7; 1e-5 leaves room for exp in ELU.
    const leaky = (a: number) => (x: number) => (x > 0 ? x : a * x);
    const eluF = (a: number) => (x: number) => (x > 0 ? x : a * (Math.exp(x) - 1));
    const seen: Record<string, number[]> = {};
    const check = (what: string, actual: number[], expected: number[], tol: number) => {
      expectClose(actual, expected, tol, what, GRID);
      seen[what] = sampled(actual);
    };
    for (const alpha of [0, 0.05, 0.2, 0.5]) {
      check(`leakyRelu ${alpha}`, values((x) => S.leakyRelu(x, alpha), GRID), GRID.map(leaky(alpha)), 1e-5);
      check(`leakyReluDerivative ${alpha}`, values((x) => S.leakyReluDerivative(x, alpha), GRID), GRID.map((x) => (x > 0 ? 1 : alpha)), DERIVATIVE_TOL);
    }
    for (const alpha of [0.5, 2]) {
      check(`elu ${alpha}`, values((x) => S.elu(x, alpha), GRID), GRID.map(eluF(alpha)), 1e-5);
      check(`eluDerivative ${alpha}`, values((x) => S.eluDerivative(x, alpha), GRID), GRID.map((x) => (x > 0 ? 1 : alpha * Math.exp(x))), DERIVATIVE_TOL);
    }
    observe('sampled', seen); // the values at SAMPLED grid points
  });

  test('activations are written with elementary ops, not the built-in tf.sigmoid/tf.tanh/tf.relu/tf.elu/tf.softmax', async () => {
    // Each function under task 1's policy (test/support/by-hand.ts): a built-in activation's op
    // scope or kernel throws at the call; every violation is listed, not just the first.
    const x = tf.tensor1d([-2, -0.5, 0.5, 2]);
    const calls: [string, () => tf.Tensor][] = [
      ...Object.entries(DERIVATIVES).flatMap(([name, { fn, derivative }]): [string, () => tf.Tensor][] => [
        [name, () => fn(x)],
        [`${name}Derivative`, () => derivative(x)],
      ]),
      ['leakyRelu (alpha 0.2)', () => S.leakyRelu(x, 0.2)],
      ['elu (alpha 0.5)', () => S.elu(x, 0.5)],
      ['softmax', () => S.softmax(x)],
    ];
    const found: string[] = [];
    for (const [name, call] of calls) {
      try {
        // straight to runByHand: the functions in DERIVATIVES are already wrapped, this adds the
        // guard for the calls made here (the same policy, so nothing is counted twice)
        tf.dispose(runByHand(EXERCISE, '1', POLICY['1']!, () => tf.tidy(call)));
      } catch (err) {
        if (!(err instanceof ByHandViolation)) throw err; // a stub's NotImplemented reaches the grader unchanged
        found.push(`${name}: ${err.message}`);
      }
    }
    x.dispose();
    expect(found, `built-in activation ops used: ${found.join('; ')}`).toEqual([]);
  });

  test("sigmoid'(0) = 0.25 is the maximum of the sigmoid derivative", () => {
    const xs = Array.from({ length: 2001 }, (_, i) => -10 + 0.01 * i); // includes 0 exactly (i = 1000)
    const d = values((x) => S.sigmoidDerivative(x), xs);
    expect(Math.abs(d[1000]! - 0.25)).toBeLessThan(1e-6);
    const max = Math.max(...d);
    expect(max).toBeLessThanOrEqual(0.25 + 1e-6);
    expect(d.indexOf(max)).toBe(1000);
    expect(Math.min(...d)).toBeGreaterThanOrEqual(0);
    // what the assertions above read, and the values around 0 (the whole curve is 2001 numbers)
    observe('sigmoidDerivative', { at0: d[1000], max, argmax: d.indexOf(max), min: Math.min(...d), near0: d.slice(990, 1011) });
  });

  test('softmax of [1000, 1001] is finite and sums to 1 (numerically stable)', () => {
    const p = tf.tidy(() => Array.from(S.softmax(tf.tensor1d([1000, 1001])).dataSync()));
    expectClose(p, softmax64([1000, 1001]), softmaxTol(1001), 'softmax([1000, 1001])');
    expect(Math.abs(p[0]! + p[1]! - 1), 'softmax([1000, 1001]) sums to').toBeLessThanOrEqual(softmaxTol(1001));
    const rowsIn = [[1, 2, 3, 4], [-500, 0, 500, 1000], [0, 0, 0, 0]];
    const rows = tf.tidy(() => Array.from(S.softmax(tf.tensor2d(rowsIn)).dataSync()));
    rowsIn.forEach((row, r) =>
      expectClose(rows.slice(4 * r, 4 * r + 4), softmax64(row), softmaxTol(Math.max(...row.map(Math.abs))), `softmax of row ${r} of a [3,4] batch`),
    );
    const col = tf.tidy(() => Array.from(S.softmax(tf.tensor2d([[0, 1000], [0, 1000]]), 0).dataSync()));
    expectClose(col, [0.5, 0.5, 0.5, 0.5], softmaxTol(1000), 'softmax over axis 0');
    observe('softmax', { p, rows, col });
  });

  test('activations and derivatives stay finite for large inputs (|x| = 100)', () => {
    const big = [-100, 100];
    const seen: Record<string, number[]> = {};
    for (const [name, { fn, derivative }] of Object.entries(DERIVATIVES)) {
      const vs = [...values(fn, big), ...values(derivative, big)];
      seen[name] = vs;
      for (const v of vs) expect(Number.isFinite(v), `${name} at ±100 gave ${v}`).toBe(true);
    }
    const tanh100 = values((x) => S.tanh(x), big);
    const sigmoid100 = values((x) => S.sigmoid(x), big);
    expectClose(tanh100, [-1, 1], 1e-6, 'tanh(±100)');
    expectClose(sigmoid100, [0, 1], 1e-6, 'sigmoid(±100)');
    observe('big', { ...seen, tanh100, sigmoid100 }); // non-finite values arrive as strings, which the judge rejects
  });

  test('activation functions leak no tensors', async () => {
    const x = tf.randomNormal([64], 0, 3, 'float32', 3);
    const leaked = await countLeak(() => {
      const out: tf.Tensor[] = [];
      for (const { fn, derivative } of Object.values(DERIVATIVES)) out.push(fn(x), derivative(x));
      out.push(S.softmax(x));
      return out;
    });
    x.dispose();
    expect(leaked, leakDetails()).toBe(0);
  });
});

// ---------------- task 2 ----------------

// Measured (wasm, seeds 1–5, this config): ReLU val acc 0.51–0.65 after 4 epochs and reaches 0.45
// by epoch 2–3; sigmoid stays at 0.10–0.23 (never 0.45). Gap of final accuracies ≥ 0.33.
const SMALL: A.CompareConfig = {
  activations: ['sigmoid', 'relu'],
  hidden: [32, 32, 32, 32, 32], // + output layer = a 6-layer net
  epochs: 4,
  batchSize: 32,
  optimizer: { name: 'adam', learningRate: 0.003 },
  seed: 3,
  targetAccuracy: 0.45,
  data: { trainPerClass: 40, valPerClass: 20 },
  returnModels: true,
};

let smallRun: { runs: A.ActivationRun[]; wallSeconds: number } | null = null;
function runSmall(): { runs: A.ActivationRun[]; wallSeconds: number } {
  if (!smallRun) {
    const start = performance.now();
    const runs = S.compareActivations(SMALL);
    smallRun = { runs, wallSeconds: (performance.now() - start) / 1000 };
  }
  return smallRun;
}

/** Expects a CourseError whose message matches; a stub's NotImplemented propagates unchanged. */
function expectCourseError(fn: () => unknown, message: RegExp): void {
  let caught: unknown = null;
  try {
    fn();
  } catch (err) {
    if (isNotImplemented(err)) throw err;
    caught = err;
  }
  expect(caught, 'expected a CourseError').toBeInstanceOf(CourseError);
  expect((caught as Error).message).toMatch(message);
}

/** Validation accuracy of a returned model, computed here from the raw test split. */
function recomputedValAccuracy(model: tf.LayersModel): number {
  const val = loadFashionMnist('test', { perClass: SMALL.data.valPerClass, seed: SMALL.seed });
  const pred = tf.tidy(() => {
    const logits = model.predict(tf.tensor2d(val.images, [val.n, 784])) as tf.Tensor;
    return Array.from(tf.argMax(logits, 1).dataSync());
  });
  return accuracy(pred, val.labels);
}

/**
 * The tensors `body` made that are still alive after it, via a tfjs engine scope (what tf.tidy
 * uses; ending it with them as its result disposes nothing). Variables are not tracked.
 */
function tensorsMadeBy(body: () => void): tf.Tensor[] {
  const engine = tf.engine() as unknown as { startScope(name?: string): void; endScope(result?: tf.Tensor[]): void; state: { activeScope?: { track: tf.Tensor[] } } };
  engine.startScope('tensorsMadeBy');
  const track = engine.state.activeScope?.track ?? [];
  let alive: tf.Tensor[] = [];
  try {
    body();
  } finally {
    alive = track.filter((t) => !t.isDisposed);
    engine.endScope(alive);
  }
  return alive;
}

describe('task 2: compareActivations', () => {
  test('returns one run per activation with per-epoch curves, times and epochs-to-target', () => {
    const { runs, wallSeconds } = runSmall();
    expect(runs.map((r) => r.activation)).toEqual(SMALL.activations);
    let trainSeconds = 0;
    for (const r of runs) {
      for (const key of ['loss', 'accuracy', 'valLoss', 'valAccuracy'] as const) {
        expect(r.history[key], `${r.activation} ${key}`).toHaveLength(SMALL.epochs);
        for (const v of r.history[key]) expect(Number.isFinite(v)).toBe(true);
      }
      for (const v of [...r.history.accuracy, ...r.history.valAccuracy]) expect(v >= 0 && v <= 1).toBe(true);
      for (const v of [...r.history.loss, ...r.history.valLoss]) expect(v).toBeGreaterThan(0);
      expect(r.finalValAccuracy).toBe(r.history.valAccuracy[SMALL.epochs - 1]);
      const first = r.history.valAccuracy.findIndex((v) => v >= SMALL.targetAccuracy);
      expect(r.epochsToTarget, `${r.activation} epochsToTarget`).toBe(first < 0 ? null : first + 1);
      expect(r.secondsPerEpoch).toBeGreaterThan(0);
      trainSeconds += r.secondsPerEpoch * SMALL.epochs;
    }
    // seconds per epoch are real: together they fit inside the wall time this test measured
    expect(trainSeconds).toBeLessThanOrEqual(wallSeconds + 1e-3);
  });

  test('ReLU reaches the target in no more epochs than sigmoid on a 6-layer net (accuracy recomputed)', () => {
    const { runs } = runSmall();
    const sigmoidRun = runs.find((r) => r.activation === 'sigmoid')!;
    const reluRun = runs.find((r) => r.activation === 'relu')!;
    expect(sigmoidRun.model, 'pass returnModels: true through to the result').toBeDefined();
    expect(reluRun.model).toBeDefined();
    const reluAcc = recomputedValAccuracy(reluRun.model!);
    const sigmoidAcc = recomputedValAccuracy(sigmoidRun.model!);
    // the reported curve ends where the returned model really is (both are counts over the same
    // validation rows, each at most one float32 rounding, ≤ 6e-8 relative: 1e-6 leaves 16×)
    expect(Math.abs(reluRun.finalValAccuracy - reluAcc)).toBeLessThan(1e-6);
    expect(Math.abs(sigmoidRun.finalValAccuracy - sigmoidAcc)).toBeLessThan(1e-6);
    expect(reluAcc - sigmoidAcc).toBeGreaterThan(0.15);
    expect(reluRun.epochsToTarget).not.toBeNull();
    expect(reluRun.epochsToTarget!).toBeLessThanOrEqual(sigmoidRun.epochsToTarget ?? Infinity);
    for (const r of runs) r.model!.dispose();
  });

  test('each activation is trained from the same start: results do not depend on the other activations or their order', () => {
    const config: A.CompareConfig = { ...SMALL, epochs: 1, data: { trainPerClass: 10, valPerClass: 5 } };
    const tensorsBefore = tf.memory().numTensors;
    const a = S.compareActivations({ ...config, activations: ['relu', 'tanh'] });
    const b = S.compareActivations({ ...config, activations: ['tanh', 'relu'] });
    const probe = tf.randomUniform([16, 784], 0, 1, 'float32', 11);
    const logitsOf = (runs: A.ActivationRun[], name: A.ActivationName) =>
      tf.tidy(() => Array.from((runs.find((r) => r.activation === name)!.model!.predict(probe) as tf.Tensor).dataSync()));
    expectClose(logitsOf(a, 'relu'), logitsOf(b, 'relu'), 1e-5, 'relu model trained first vs second');
    expectClose(logitsOf(a, 'tanh'), logitsOf(b, 'tanh'), 1e-5, 'tanh model trained first vs second');
    probe.dispose();
    for (const r of [...a, ...b]) r.model!.dispose();
    // data, optimizer state and intermediate tensors are all freed; only the models were kept
    expect(tf.memory().numTensors, 'tensors leaked (count after vs before)').toBe(tensorsBefore);
  });

  test('compareActivations rejects a bad config with a CourseError', () => {
    expectCourseError(() => S.compareActivations({ ...SMALL, activations: [] }), /activation/);
    expectCourseError(() => S.compareActivations({ ...SMALL, activations: ['softplus' as A.ActivationName] }), /softplus/);
    expectCourseError(() => S.compareActivations({ ...SMALL, epochs: 0 }), /epochs/);
  });

  test('compareActivations reports every epoch through onEpoch and disposes the models unless returnModels', () => {
    const calls: { activation: string; epoch: number; logs: Record<string, number> }[] = [];
    const tensorsBefore = tf.memory().numTensors;
    const runs = S.compareActivations({
      ...SMALL, activations: ['relu'], hidden: [8], epochs: 2, data: { trainPerClass: 5, valPerClass: 2 }, returnModels: false,
      onEpoch: (activation, epoch, logs) => calls.push({ activation, epoch, logs }),
    });
    const h = runs[0]!.history;
    expect(calls.map((c) => [c.activation, c.epoch])).toEqual([['relu', 1], ['relu', 2]]);
    calls.forEach((c, i) => expect(c.logs, `onEpoch logs of epoch ${i + 1}`).toEqual({ loss: h.loss[i], acc: h.accuracy[i], val_loss: h.valLoss[i], val_acc: h.valAccuracy[i] }));
    expect(runs[0]!.model, 'without returnModels the run carries no model').toBeUndefined();
    // the model, its optimizer and the data were all freed
    expect(tf.memory().numTensors, 'tensors leaked (count after vs before)').toBe(tensorsBefore);
    // "…freed at the end even when training throws": onEpoch throws after the first epoch. Only
    // the data sets are judged (the run's model and optimizer may be left: the contract is silent),
    // found by their shapes: 50 training rows and 20 validation rows, sizes no weight here has.
    const left = tensorsMadeBy(() => {
      expect(() => S.compareActivations({
        ...SMALL, activations: ['relu'], hidden: [8], epochs: 2, data: { trainPerClass: 5, valPerClass: 2 }, returnModels: false,
        onEpoch: () => {
          throw new Error('test: stopped from onEpoch');
        },
      }), 'compareActivations should pass on the error thrown during training').toThrow(/stopped from onEpoch/);
    });
    const data = left.filter((t) => t.shape[0] === 50 || t.shape[0] === 20);
    expect(data.map((t) => `${t.dtype}[${t.shape.join(',')}]`), 'data-set tensors left behind when training threw (free them in a finally)').toEqual([]);
    tf.dispose(left);
  });
});

// ---------------- task 3 ----------------

/** Kernel-gradient norms computed here, independently of the code under test. */
function ownKernelNorms(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor): { layer: string; norm: number }[] {
  const layers = model.layers.filter((l) => l.getWeights().length > 0);
  const kernels = layers.map((l) => l.trainableWeights[0]!.read() as tf.Variable);
  return tf.tidy(() => {
    const { grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.apply(x) as tf.Tensor) as tf.Scalar, kernels);
    return layers.map((l, i) => ({ layer: l.name, norm: tf.norm(grads[kernels[i]!.name]!).dataSync()[0]! }));
  });
}

function fashionBatch(n: number): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const set = loadFashionMnist('train', { perClass: n / 10, seed: 5 });
  return tf.tidy(() => ({
    x: tf.tensor2d(set.images, [set.n, 784]),
    y: tf.oneHot(tf.tensor1d(set.labels, 'int32'), 10).toFloat() as tf.Tensor2D,
  }));
}

/** The student's gradientNormsByLayer on `n` images: same layers, same norms as this file's own. */
function expectNormsMatchOwn(model: tf.LayersModel, n: number): void {
  const batch = fashionBatch(n);
  const mine = S.gradientNormsByLayer(model, batch);
  const own = ownKernelNorms(model, batch.x, batch.y);
  expect(mine.map((m) => m.layer)).toEqual(own.map((o) => o.layer));
  mine.forEach((m, i) => expect(Math.abs(m.norm - own[i]!.norm)).toBeLessThanOrEqual(1e-4 * Math.max(1, own[i]!.norm)));
  tf.dispose([batch.x, batch.y]);
}

describe('task 3: gradient diagnostics', () => {
  test('gradientNormsByLayer gives one kernel-gradient norm per Dense layer, first to last, matching tf.variableGrads', () => {
    const model = S.buildMlp({ activation: 'tanh', hidden: [16, 8], seed: 2 });
    expectNormsMatchOwn(model, 40);
    model.dispose();
  });

  test('vanishing gradients: first/last gradient-norm ratio with sigmoid is at least 10x smaller than ReLU + He on 10 layers', () => {
    // Measured (wasm, 64 units, 200 images): sigmoid ratio ≈ 8e-6, ReLU + He ≈ 6 — a factor ~1e6.
    const batch = fashionBatch(200);
    const ratio = (activation: A.ActivationName, init: A.InitName) => {
      const model = S.buildMlp({ activation, hidden: Array<number>(9).fill(64), seed: 7, init });
      const norms = S.gradientNormsByLayer(model, batch);
      const own = ownKernelNorms(model, batch.x, batch.y);
      model.dispose();
      expect(norms).toHaveLength(10);
      for (const i of [0, 9]) expect(Math.abs(norms[i]!.norm - own[i]!.norm)).toBeLessThanOrEqual(1e-4 * Math.max(1, own[i]!.norm));
      return norms[0]!.norm / norms[9]!.norm;
    };
    const sigmoidRatio = ratio('sigmoid', 'glorotUniform');
    const reluRatio = ratio('relu', 'heNormal');
    expect(sigmoidRatio * 10).toBeLessThanOrEqual(reluRatio);
    tf.dispose([batch.x, batch.y]);
  });

  test('deadUnitFraction finds the known dead ReLU units of a constructed net', () => {
    // Layer 1 (8 ReLU units, inputs in [0,1]): units 0–2 always negative (dead); unit 7 fires only
    // when x0 > 0.99 (one example has x0 = 1, so it is NOT dead); units 3–6 always fire.
    // Layer 2 (tanh) is not a ReLU layer. Layer 3 (4 ReLU units): all weights negative → all dead.
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ units: 8, inputShape: [4], activation: 'relu', name: 'r1' }),
        tf.layers.dense({ units: 5, activation: 'tanh', name: 't2' }),
        tf.layers.dense({ units: 4, activation: 'relu', name: 'r3' }),
        tf.layers.dense({ units: 3, name: 'out' }),
      ],
    });
    const k1 = Array.from({ length: 4 }, (_, row) => Array.from({ length: 8 }, (_, u) => (u < 3 ? -1 : u < 7 ? 1 : row === 0 ? 1 : 0)));
    const b1 = [-0.1, -0.1, -0.1, 0.1, 0.1, 0.1, 0.1, -0.99];
    model.layers[0]!.setWeights([tf.tensor2d(k1), tf.tensor1d(b1)]);
    model.layers[2]!.setWeights([tf.fill([5, 4], -1), tf.fill([4], -10)]); // tanh ∈ (−1,1): 5·1 − 10 < 0
    const x = tf.tidy(() => tf.concat([tf.randomUniform([31, 4], 0, 0.9, 'float32', 4), tf.tensor2d([[1, 0.5, 0.5, 0.5]])]));
    const dead = S.deadUnitFraction(model, x);
    expect(dead.perLayer.map((l) => l.layer)).toEqual(['r1', 'r3']);
    // fractions k/n of small counts: exact in float64, ≤ 3e-8 off in float32; toBeCloseTo(·, 6) = 5e-7
    expect(dead.perLayer[0]!.fraction).toBeCloseTo(3 / 8, 6);
    expect(dead.perLayer[1]!.fraction).toBeCloseTo(1, 6);
    expect(dead.overall).toBeCloseTo(7 / 12, 6);
    observe('dead', { layers: dead.perLayer.map((l) => l.layer), fractions: dead.perLayer.map((l) => l.fraction), overall: dead.overall });
    x.dispose();
    model.dispose();
  });

  test('gradientNormsByLayer has no entry for weightless layers (LeakyReLU) and still matches tf.variableGrads', () => {
    const model = S.buildMlp({ activation: 'leakyRelu', hidden: [16, 8], seed: 4 });
    expect(model.layers.some((l) => l.getWeights().length === 0), 'buildMlp adds LeakyReLU layers').toBe(true);
    expectNormsMatchOwn(model, 20);
    model.dispose();
  });

  test('a model without a kernel (gradient norms) or without a ReLU layer (dead units) is a CourseError', () => {
    const weightless = tf.sequential({ layers: [tf.layers.leakyReLU({ inputShape: [10] })] });
    const tanhNet = S.buildMlp({ activation: 'tanh', hidden: [8], seed: 1 });
    const x = tf.randomNormal([4, 10], 0, 1, 'float32', 3);
    const y = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1, 2, 3], 'int32'), 10).toFloat());
    const images = tf.randomUniform([4, 784], 0, 1, 'float32', 5);
    expectCourseError(() => S.gradientNormsByLayer(weightless, { x, y }), /./);
    expectCourseError(() => S.deadUnitFraction(tanhNet, images), /./);
    tf.dispose([x, y, images]);
    weightless.dispose();
    tanhNet.dispose();
  });

  test('gradientNormsByLayer and deadUnitFraction leak no tensors', async () => {
    const model = S.buildMlp({ activation: 'relu', hidden: [16, 16], seed: 1 });
    const batch = fashionBatch(20);
    expect(await countLeak(() => S.gradientNormsByLayer(model, batch)), leakDetails()).toBe(0);
    expect(await countLeak(() => S.deadUnitFraction(model, batch.x)), leakDetails()).toBe(0);
    tf.dispose([batch.x, batch.y]);
    model.dispose();
  });
});
