/**
 * Graded tests for 01-ffnn-from-scratch: perceptron, parameter count, forward pass,
 * hand-written backward pass and mini-batch SGD on Iris / XOR.
 *
 * Everything is measured here: accuracies and losses are computed by this file's own forward
 * pass from the parameters the student code returns, and gradients are checked against tf.grad.
 * While student code runs in a task's tests, the task's by-hand policy (the rubric's "byHand": no
 * autodiff, optimisers or tf.layers for backward and trainMlp) is enforced (test/support/by-hand.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import * as Student from '@target/01-ffnn-from-scratch/index.js';
import type * as ffnn from '@target/01-ffnn-from-scratch/index.js';
import type { Grads, NetConfig, Params } from '@target/01-ffnn-from-scratch/index.js';
import { loadIris } from '../lib/data/iris.js';
import { standardize, stratifiedSplit } from '../lib/data/split.js';
import { CourseError } from '../lib/errors.js';
import { observe } from '../lib/grader/observe.js';
import { makeRng, type Rng } from '../lib/random.js';
import { ByHandViolation, byHand, loadByHandPolicy, runByHand } from './support/by-hand.js';

// ───────────────────────────── helpers owned by the test ─────────────────────────────

/** Student calls in a task's tests run under that task's "by hand" policy (the rubric's "byHand"). */
const EXERCISE = '01-ffnn-from-scratch';
const POLICY = loadByHandPolicy(new URL('./01-ffnn-from-scratch.rubric.json', import.meta.url));
/**
 * The student's module, each task's functions guarded while a test of that task calls them: in
 * task 4 and 5 autodiff (tf.grad / tf.grads / tf.valueAndGrad(s) / tf.variableGrads /
 * optimizer.minimize, down to every registered gradient, so a reference captured at import
 * fails too), tf.train optimisers and tf.layers throw at the call (test/support/by-hand.ts); a
 * try/catch around them still fails when the function returns.
 */
const F = byHand(Student, EXERCISE, POLICY);

/** Backward pass of the student (task 4's tests: under the by-hand policy). */
function studentBackward(params: Params, cache: ffnn.ForwardCache, y: tf.Tensor2D, config: NetConfig): Grads {
  return F.backward(params, cache, y, config);
}

function studentTrain(...args: Parameters<typeof ffnn.trainMlp>): ffnn.TrainResult {
  return F.trainMlp(...args);
}

function layer(W: number[][], b: number[]): ffnn.Layer {
  return { W: tf.tensor2d(W), b: tf.tensor1d(b) };
}

function randomParams(sizes: number[], rng: Rng, scale = 0.8): Params {
  const params: Params = [];
  for (let l = 1; l < sizes.length; l++) {
    const W = Array.from({ length: sizes[l - 1]! }, () => Array.from({ length: sizes[l]! }, () => rng.normal() * scale));
    params.push(layer(W, Array.from({ length: sizes[l]! }, () => rng.normal() * 0.3)));
  }
  return params;
}

function randomMatrix(rows: number, cols: number, rng: Rng): tf.Tensor2D {
  return tf.tensor2d(Array.from({ length: rows }, () => Array.from({ length: cols }, () => rng.normal())));
}

function oneHot(labels: number[], k: number): tf.Tensor2D {
  return tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), k).toFloat() as tf.Tensor2D);
}

function disposeAll(params: Params | Grads): void {
  for (const l of params) tf.dispose(Object.values(l) as tf.Tensor[]);
}

const asArray = (t: tf.Tensor): number[] => Array.from(t.dataSync());

/** This file's own forward pass: the output-layer pre-activation (logits) and every activation. */
function refForward(params: { W: tf.Tensor2D; b: tf.Tensor1D }[], x: tf.Tensor2D, cfg: NetConfig): { zs: tf.Tensor2D[]; as: tf.Tensor2D[] } {
  const zs: tf.Tensor2D[] = [];
  const as: tf.Tensor2D[] = [x];
  params.forEach(({ W, b }, l) => {
    const z = tf.add(tf.matMul(as[l]!, W), b) as tf.Tensor2D;
    const kind = l === params.length - 1 ? cfg.output : cfg.hidden;
    const a = kind === 'sigmoid' ? tf.sigmoid(z) : kind === 'relu' ? tf.relu(z) : kind === 'softmax' ? tf.softmax(z) : z;
    zs.push(z);
    as.push(a);
  });
  return { zs, as };
}

/**
 * A forward cache built by this file, so backward() is graded on its own even when forward() is wrong.
 * The output activation is a fresh tensor (never the same object as the pre-activation).
 */
function refCache(params: Params, x: tf.Tensor2D, cfg: NetConfig): ffnn.ForwardCache {
  return tf.tidy(() => {
    const { zs, as } = refForward(params, x, cfg);
    return { preActivations: zs, activations: [x, ...as.slice(1, -1), as[as.length - 1]!.clone()] };
  }) as unknown as ffnn.ForwardCache;
}

/** The documented losses, computed stably from the logits (the reference for tf.grad). */
function refLoss(params: { W: tf.Tensor2D; b: tf.Tensor1D }[], x: tf.Tensor2D, y: tf.Tensor2D, cfg: NetConfig): tf.Scalar {
  const logits = refForward(params, x, cfg).zs[params.length - 1]!;
  if (cfg.output === 'softmax') return tf.neg(tf.mean(tf.sum(tf.mul(y, tf.logSoftmax(logits)), 1))) as tf.Scalar;
  if (cfg.output === 'sigmoid') {
    // BCE from logits: max(z,0) − z·y + log(1 + e^−|z|), mean over all elements
    return tf.mean(tf.add(tf.sub(tf.relu(logits), tf.mul(logits, y)), tf.log1p(tf.exp(tf.neg(tf.abs(logits)))))) as tf.Scalar;
  }
  return tf.mean(tf.square(tf.sub(logits, y))) as tf.Scalar;
}

function lossOf(params: Params, x: tf.Tensor2D, y: tf.Tensor2D, cfg: NetConfig): number {
  return tf.tidy(() => refLoss(params, x, y, cfg).dataSync()[0]!);
}

function accuracyOf(params: Params, x: tf.Tensor2D, labels: number[], cfg: NetConfig): number {
  const pred = tf.tidy(() => {
    const out = refForward(params, x, cfg).as[params.length]!;
    return out.shape[1] === 1 ? out.greater(0.5).toInt().reshape([-1]) : out.argMax(1);
  });
  const p = asArray(pred);
  pred.dispose();
  return p.filter((c, i) => c === labels[i]).length / labels.length;
}

/** CS231n relative error |a−b| / max(|a|, |b|, eps), worst entry. */
function maxRelativeError(a: number[], b: number[], eps = 1e-6): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(a[i]!), Math.abs(b[i]!), eps));
  }
  return worst;
}

function perceptronAccuracy(r: ffnn.PerceptronResult, x: number[][], y: number[]): number {
  const pred = x.map((row) => (row.reduce((s, v, j) => s + v * r.weights[j]!, r.bias) >= 0 ? 1 : 0));
  return pred.filter((p, i) => p === y[i]).length / y.length;
}

const GATE_X = [
  [0, 0],
  [0, 1],
  [1, 0],
  [1, 1],
];

// ───────────────────────────── Task 1 ─────────────────────────────

describe('task 1: perceptron', () => {
  it('learns AND to 100 % and reports convergence', () => {
    const y = [0, 0, 0, 1];
    const r = F.trainPerceptron(GATE_X, y, { epochs: 50, learningRate: 0.1 });
    expect(r.weights).toHaveLength(2);
    expect(perceptronAccuracy(r, GATE_X, y)).toBe(1);
    expect(r.converged).toBe(true);
    expect(r.epochsRun).toBeLessThan(50);
    // the grader's parent recomputes the accuracy from these weights (01-ffnn-from-scratch.judge.ts)
    observe('result', { weights: r.weights, bias: r.bias, converged: r.converged, epochsRun: r.epochsRun });
  });

  it('learns OR to 100 % and reports convergence', () => {
    const y = [0, 1, 1, 1];
    const r = F.trainPerceptron(GATE_X, y, { epochs: 50, learningRate: 0.1 });
    expect(perceptronAccuracy(r, GATE_X, y)).toBe(1);
    expect(r.converged).toBe(true);
    observe('result', { weights: r.weights, bias: r.bias, converged: r.converged, epochsRun: r.epochsRun });
  });

  it('on XOR stays at or below 75 % and never converges', () => {
    // No line separates XOR, so no perceptron can get all four right; the rule keeps making
    // mistakes and must run every epoch.
    const y = [0, 1, 1, 0];
    const r = F.trainPerceptron(GATE_X, y, { epochs: 40, learningRate: 0.1 });
    expect(r.weights.every(Number.isFinite) && Number.isFinite(r.bias)).toBe(true);
    expect(perceptronAccuracy(r, GATE_X, y)).toBeLessThanOrEqual(0.75);
    expect(r.converged).toBe(false);
    expect(r.epochsRun).toBe(40);
    observe('result', { weights: r.weights, bias: r.bias, converged: r.converged, epochsRun: r.epochsRun });
  });

  it('follows the classic update rule step by step (zero start, w += α(y−ŷ)x)', () => {
    // One epoch of AND by hand, zero start: (0,0) predicts 1 (step(0) = 1) → b −= α;
    // (0,1), (1,0) are right; (1,1) predicts 0 → w += α·[1,1], b += α.
    for (const lr of [0.1, 0.5]) {
      const r = F.trainPerceptron(GATE_X, [0, 0, 0, 1], { epochs: 1, learningRate: lr });
      // Tolerance 1e-6: one update of ±α each; α = 0.1 held in float32 (a Float32Array or a
      // tensor) is 0.10000000149, 1.5e-9 off, beyond toBeCloseTo(·, 9). A wrong rule is off by ≥ α.
      expect(Math.abs(r.weights[0]! - lr), `w[0] after one epoch: ${r.weights[0]}, expected ${lr}`).toBeLessThanOrEqual(1e-6);
      expect(Math.abs(r.weights[1]! - lr), `w[1] after one epoch: ${r.weights[1]}, expected ${lr}`).toBeLessThanOrEqual(1e-6);
      expect(Math.abs(r.bias), `bias after one epoch: ${r.bias}, expected 0 (−α then +α)`).toBeLessThanOrEqual(1e-6);
      expect(r.converged).toBe(false);
      expect(r.epochsRun).toBe(1);
      // a graded run checks these values again in the grader's own process (01-ffnn-from-scratch.judge.ts)
      observe(`lr ${lr}`, { weights: r.weights, bias: r.bias, converged: r.converged, epochsRun: r.epochsRun });
    }
    expect(() => F.trainPerceptron(GATE_X, [0, 1], {})).toThrow(CourseError);
    expect(() => F.trainPerceptron([], [], {}), 'no examples at all').toThrow(CourseError);
    // "Defaults epochs 20, learningRate 0.1": XOR never converges, so it runs every epoch; from a
    // zero start the weights are α times whole numbers, so another default rate shows in them
    // (exact comparison: the same arithmetic in the same order gives the same doubles).
    const xorY = [0, 1, 1, 0];
    const explicit = F.trainPerceptron(GATE_X, xorY, { epochs: 20, learningRate: 0.1 });
    for (const [what, r] of [['no options', F.trainPerceptron(GATE_X, xorY)], ['options {}', F.trainPerceptron(GATE_X, xorY, {})]] as const) {
      expect(r.epochsRun, `${what}: the default is 20 epochs`).toBe(20);
      expect({ weights: r.weights, bias: r.bias }, `${what}: the default learning rate is 0.1`).toEqual({ weights: explicit.weights, bias: explicit.bias });
    }
  });
});

// ───────────────────────────── Task 2 ─────────────────────────────

describe('task 2: parameter count', () => {
  it('counts 109,386 parameters for 784→128→64→10', () => {
    const big = F.countParameters([784, 128, 64, 10]);
    const small = F.countParameters([2, 2, 1]);
    expect(big).toBe(109_386);
    expect(small).toBe(9);
    observe('counts', { '784-128-64-10': big, '2-2-1': small });
  });

  it('matches tf.layers countParams on random layer sizes', () => {
    const rng = makeRng(5);
    const trials: { sizes: number[]; count: number }[] = [];
    for (let trial = 0; trial < 5; trial++) {
      const sizes = Array.from({ length: 2 + rng.int(4) }, () => 1 + rng.int(40));
      const model = tf.sequential();
      sizes.slice(1).forEach((units, i) => model.add(tf.layers.dense({ units, inputShape: i === 0 ? [sizes[0]!] : undefined })));
      const count = F.countParameters(sizes);
      trials.push({ sizes, count });
      expect(count, `sizes [${sizes}]`).toBe(model.countParams());
      model.dispose();
    }
    observe('trials', trials);
  });

  it('rejects layer lists that are not a network with a CourseError', () => {
    const n = F.countParameters([4, 3]);
    expect(n).toBe(15);
    observe('count 4-3', n);
    for (const bad of [[], [5], [3, 0, 2], [2.5, 3], [4, -1]]) {
      expect(() => F.countParameters(bad), `[${bad}]`).toThrow(CourseError);
    }
  });
});

// ───────────────────────────── Task 3 ─────────────────────────────

describe('task 3: forward pass', () => {
  it('reproduces the module-12 worked example (hidden ≈ [0.627, 0.606], output ≈ 0.727)', () => {
    // The slide writes z = W x + b with W1 = [[0.2, 0.4], [0.3, 0.1]] (rows = hidden units).
    // Our layers compute x·W + b with W as [in, out], i.e. the slide's matrix transposed.
    const params = [layer([[0.2, 0.3], [0.4, 0.1]], [0.1, 0.2]), layer([[0.6], [0.5]], [0.3])];
    const x = tf.tensor2d([[0.5, 0.8]]);
    const cache = F.forward(params, x, { hidden: 'sigmoid', output: 'sigmoid' });
    expect(cache.preActivations).toHaveLength(2);
    expect(cache.activations).toHaveLength(3);
    const [z1, z2] = cache.preActivations.map(asArray);
    expect(z1![0]).toBeCloseTo(0.52, 5);
    expect(z1![1]).toBeCloseTo(0.43, 5);
    expect(z2![0]).toBeCloseTo(0.6 * 0.62715 + 0.5 * 0.60587 + 0.3, 3); // ≈ 0.979
    const hidden = asArray(cache.activations[1]!);
    expect(hidden[0]).toBeCloseTo(0.627, 3);
    expect(hidden[1]).toBeCloseTo(0.606, 3);
    expect(asArray(cache.activations[2]!)[0]).toBeCloseTo(0.727, 3);
    observe('cache', { preActivations: cache.preActivations.map(asArray), activations: cache.activations.map(asArray) });
    F.disposeCache(cache);
    tf.dispose([x]);
    disposeAll(params);
  });

  it('matches an independent forward pass on random nets for every activation', () => {
    const rng = makeRng(11);
    const params = randomParams([3, 5, 4, 3], rng);
    const x = randomMatrix(6, 3, rng);
    for (const hidden of ['sigmoid', 'relu'] as const) {
      for (const output of ['softmax', 'sigmoid', 'linear'] as const) {
        const cfg = { hidden, output };
        const cache = F.forward(params, x, cfg);
        const ref = tf.tidy(() => refForward(params, x, cfg));
        expect(cache.preActivations.map((t) => t.shape)).toEqual([[6, 5], [6, 4], [6, 3]]);
        expect(cache.activations.map((t) => t.shape)).toEqual([[6, 3], [6, 5], [6, 4], [6, 3]]);
        expect(asArray(cache.activations[0]!)).toEqual(asArray(x));
        for (let l = 0; l < 3; l++) {
          expect(maxRelativeError(asArray(cache.preActivations[l]!), asArray(ref.zs[l]!), 1e-4), `${hidden}/${output} z${l}`).toBeLessThan(1e-4);
          expect(maxRelativeError(asArray(cache.activations[l + 1]!), asArray(ref.as[l + 1]!), 1e-4), `${hidden}/${output} a${l + 1}`).toBeLessThan(1e-4);
        }
        if (output === 'softmax') {
          for (const s of asArray(tf.tidy(() => cache.activations[3]!.sum(1)))) expect(s).toBeCloseTo(1, 5);
        }
        F.disposeCache(cache);
        tf.dispose([...ref.zs, ...ref.as.slice(1)]);
      }
    }
    x.dispose();
    disposeAll(params);
  });

  it('does not leak tensors across repeated forward calls', () => {
    const rng = makeRng(12);
    const params = randomParams([4, 8, 3], rng);
    const x = randomMatrix(5, 4, rng);
    const cfg = { hidden: 'relu', output: 'softmax' } as const;
    const run = (): void => F.disposeCache(F.forward(params, x, cfg));
    run();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) run();
    expect(tf.memory().numTensors - before, 'tensors leaked').toBe(0);
    x.dispose();
    disposeAll(params);
  });

  it('rejects an input whose width does not match the first layer', () => {
    const rng = makeRng(13);
    const params = randomParams([4, 3, 2], rng);
    const good = randomMatrix(2, 4, rng);
    const bad = randomMatrix(2, 5, rng);
    F.disposeCache(F.forward(params, good, { hidden: 'relu', output: 'softmax' }));
    expect(() => F.forward(params, bad, { hidden: 'relu', output: 'softmax' })).toThrow(CourseError);
    tf.dispose([good, bad]);
    disposeAll(params);
  });
});

// ───────────────────────────── Task 4 ─────────────────────────────

/** The chapter-5 worked example: x = 2, w1 = 0.5, b1 = 0, sigmoid hidden, w2 = 1, b2 = 0, linear output, MSE, y = 1. */
function chapter5(): { params: Params; x: tf.Tensor2D; y: tf.Tensor2D; cfg: NetConfig } {
  return {
    params: [layer([[0.5]], [0]), layer([[1.0]], [0])],
    x: tf.tensor2d([[2]]),
    y: tf.tensor2d([[1]]),
    cfg: { hidden: 'sigmoid', output: 'linear' },
  };
}

describe('task 4: loss and backward pass', () => {
  it('computes each loss as documented (MSE worked example ≈ 0.072, cross-entropy, binary CE)', () => {
    const { params, x, y, cfg } = chapter5();
    const cache = refCache(params, x, cfg);
    expect(asArray(cache.activations[1]!)[0]).toBeCloseTo(0.731, 3);
    const mse = F.computeLoss(cache.activations[2]!, y, 'linear');
    expect(mse.shape).toEqual([]);
    expect(mse.dataSync()[0]).toBeCloseTo((1 - 0.7310586) ** 2, 4); // ≈ 0.072 (no ½)

    const rng = makeRng(21);
    const probs = tf.tidy(() => tf.softmax(randomMatrix(5, 3, rng)));
    const labels = [0, 2, 1, 1, 0];
    const target = oneHot(labels, 3);
    const p = probs.arraySync();
    const ce = -labels.reduce((s, c, i) => s + Math.log(p[i]![c]!), 0) / labels.length;
    const studentCe = F.computeLoss(probs, target, 'softmax');
    expect(studentCe.dataSync()[0]).toBeCloseTo(ce, 4);

    const sig = tf.tidy(() => tf.sigmoid(randomMatrix(4, 2, rng)));
    const sigTarget = tf.tensor2d([[1, 0], [0, 0], [1, 1], [0, 1]]);
    const s = sig.arraySync();
    const t = sigTarget.arraySync();
    let bce = 0;
    for (let i = 0; i < 4; i++) for (let k = 0; k < 2; k++) bce -= t[i]![k]! * Math.log(s[i]![k]!) + (1 - t[i]![k]!) * Math.log(1 - s[i]![k]!);
    const studentBce = F.computeLoss(sig, sigTarget, 'sigmoid');
    expect(studentBce.dataSync()[0]).toBeCloseTo(bce / 8, 4);
    // the grader recomputes the three losses from these inputs (01-ffnn-from-scratch.judge.ts)
    observe('losses', { mse: mse.dataSync()[0], probs: p, labels, ce: studentCe.dataSync()[0], sig: s, sigTarget: t, bce: studentBce.dataSync()[0] });

    expect(() => F.computeLoss(probs, sigTarget, 'softmax')).toThrow(CourseError);
    F.disposeCache(cache);
    tf.dispose([mse, probs, target, studentCe, sig, sigTarget, studentBce, x, y]);
    disposeAll(params);
  });

  it('saturated outputs (ŷ exactly 0 or 1) give a finite loss for sigmoid and softmax', () => {
    // A sigmoid or softmax that saturates in float32 returns exact 0s and 1s; the clip must keep
    // both log(ŷ) and log(1 − ŷ) finite, for right answers (0·log 0 would be NaN) and for
    // confident mistakes (log 0 = −Infinity).
    const sig = tf.tensor2d([[1, 0], [1, 0]]);
    const sigTarget = tf.tensor2d([[1, 0], [0, 1]]);
    const probs = tf.tensor2d([[1, 0, 0], [0, 1, 0]]);
    const target = oneHot([0, 2], 3);
    const bce = F.computeLoss(sig, sigTarget, 'sigmoid');
    const ce = F.computeLoss(probs, target, 'softmax');
    const [b, c] = [bce.dataSync()[0]!, ce.dataSync()[0]!];
    expect(Number.isFinite(b), `binary cross-entropy of saturated outputs is ${b}`).toBe(true);
    expect(Number.isFinite(c), `cross-entropy with a zero probability on the true class is ${c}`).toBe(true);
    // half of the entries are confident mistakes: the loss must still be large, not clipped to 0
    expect(b).toBeGreaterThan(1);
    expect(c).toBeGreaterThan(1);
    tf.dispose([sig, sigTarget, probs, target, bce, ce]);
  });

  it('reproduces the chapter-5 worked gradients (dL/dw2 ≈ −0.393, dL/dw1 ≈ −0.211)', () => {
    const { params, x, y, cfg } = chapter5();
    const cache = refCache(params, x, cfg);
    const grads = studentBackward(params, cache, y, cfg);
    expect(grads).toHaveLength(2);
    expect(grads[0]!.dW.shape).toEqual([1, 1]);
    expect(grads[0]!.db.shape).toEqual([1]);
    // Exact values behind the chapter's rounded ones: h = σ(1) = 0.731059, dL/dŷ = 2(h − 1) = −0.537883,
    // dL/dw2 = dL/dŷ·h = −0.393224 (≈ −0.393), dL/db1 = dL/dŷ·w2·σ'(1) = −0.105754, dL/dw1 = that·x = −0.211508 (≈ −0.211).
    expect(grads[1]!.dW.dataSync()[0]).toBeCloseTo(-0.393224, 4);
    expect(grads[1]!.db.dataSync()[0]).toBeCloseTo(-0.537883, 4);
    expect(grads[0]!.dW.dataSync()[0]).toBeCloseTo(-0.211508, 4);
    expect(grads[0]!.db.dataSync()[0]).toBeCloseTo(-0.105754, 4);
    observe('grads', grads.map((g) => ({ dW: asArray(g.dW), db: asArray(g.db) })));
    F.disposeCache(cache);
    disposeAll(grads);
    tf.dispose([x, y]);
    disposeAll(params);
  });

  it('one SGD step with lr 0.01 gives w2 ≈ 1.0039 and w1 ≈ 0.5021', () => {
    const { params, x, y, cfg } = chapter5();
    const cache = refCache(params, x, cfg);
    const grads = studentBackward(params, cache, y, cfg);
    const next = F.sgdStep(params, grads, 0.01);
    expect(next[1]!.W.dataSync()[0]).toBeCloseTo(1.0039, 4);
    expect(next[0]!.W.dataSync()[0]).toBeCloseTo(0.5021, 4);
    observe('next', next.map((l) => ({ W: asArray(l.W), b: asArray(l.b) })));
    F.disposeCache(cache);
    disposeAll(grads);
    disposeAll(next);
    tf.dispose([x, y]);
    disposeAll(params);
  });

  it('sgdStep moves each parameter by −lr·gradient and leaves its inputs intact', () => {
    const rng = makeRng(31);
    const params = randomParams([3, 4, 2], rng);
    const grads: Grads = params.map((l) => ({ dW: tf.randomNormal(l.W.shape, 0, 1, 'float32', 7) as tf.Tensor2D, db: tf.randomNormal(l.b.shape, 0, 1, 'float32', 8) as tf.Tensor1D }));
    const before = params.map((l) => [asArray(l.W), asArray(l.b)]);
    const next = F.sgdStep(params, grads, 0.3);
    params.forEach((l, i) => {
      expect(asArray(l.W)).toEqual(before[i]![0]);
      const wantW = before[i]![0]!.map((w, j) => w - 0.3 * asArray(grads[i]!.dW)[j]!);
      const wantB = before[i]![1]!.map((b, j) => b - 0.3 * asArray(grads[i]!.db)[j]!);
      expect(maxRelativeError(asArray(next[i]!.W), wantW, 1e-4)).toBeLessThan(1e-5);
      expect(maxRelativeError(asArray(next[i]!.b), wantB, 1e-4)).toBeLessThan(1e-5);
    });
    disposeAll(next);
    disposeAll(grads);
    disposeAll(params);
  });

  // Gradient check. Both sides are exact analytic gradients in float32 (no finite differences),
  // so they differ only by rounding: measured worst relative error 1.6e-5 (wasm), 1.0e-5 (cpu and
  // node) over these 10 nets (eps floor 1e-6 keeps entries that are ~0 on both sides from dividing
  // by ~0). Threshold 1e-3 leaves a 60× margin, while a missing σ' factor or a wrong 1/N gives ≥ 0.1.
  const GRAD_CHECK_MAX_REL_ERROR = 1e-3;

  function gradCheck(cfg: NetConfig, seed: number): number {
    const rng = makeRng(seed);
    const sizes = [3, 5, 4, cfg.output === 'softmax' ? 3 : 2];
    const params = randomParams(sizes, rng);
    const x = randomMatrix(7, 3, rng);
    const labels = Array.from({ length: 7 }, () => rng.int(sizes[3]!));
    const y = cfg.output === 'softmax' ? oneHot(labels, 3) : cfg.output === 'sigmoid' ? tf.tensor2d(Array.from({ length: 7 }, () => [rng.int(2), rng.int(2)])) : randomMatrix(7, 2, rng);
    const cache = refCache(params, x, cfg);
    const grads = studentBackward(params, cache, y, cfg);
    expect(grads.map((g) => [g.dW.shape, g.db.shape])).toEqual(params.map((l) => [l.W.shape, l.b.shape]));

    const flat = params.flatMap((l) => [l.W, l.b]);
    const refGrads = tf.grads((...ts: tf.Tensor[]) => {
      const ps = params.map((_, i) => ({ W: ts[2 * i] as tf.Tensor2D, b: ts[2 * i + 1] as tf.Tensor1D }));
      return refLoss(ps, x, y, cfg);
    })(flat);
    let worst = 0;
    grads.forEach((g, i) => {
      worst = Math.max(worst, maxRelativeError(asArray(g.dW), asArray(refGrads[2 * i]!)));
      worst = Math.max(worst, maxRelativeError(asArray(g.db), asArray(refGrads[2 * i + 1]!)));
    });
    F.disposeCache(cache);
    disposeAll(grads);
    tf.dispose([...refGrads, x, y]);
    disposeAll(params);
    return worst;
  }

  it('matches tf.grad on random small nets (sigmoid and ReLU hidden, softmax output)', () => {
    for (const hidden of ['sigmoid', 'relu'] as const) {
      for (const seed of [41, 42, 43]) {
        expect(gradCheck({ hidden, output: 'softmax' }, seed), `${hidden} seed ${seed}`).toBeLessThan(GRAD_CHECK_MAX_REL_ERROR);
      }
    }
  });

  it('matches tf.grad with sigmoid (binary CE) and linear (MSE) outputs', () => {
    for (const hidden of ['sigmoid', 'relu'] as const) {
      for (const output of ['sigmoid', 'linear'] as const) {
        expect(gradCheck({ hidden, output }, 51), `${hidden}/${output}`).toBeLessThan(GRAD_CHECK_MAX_REL_ERROR);
      }
    }
  });

  it('backward never calls autodiff, and the guard really blocks tf.grad', () => {
    // The guard itself (task 4's policy): tf.grad, variableGrads and optimizer.minimize must throw inside it…
    const v = tf.variable(tf.scalar(2));
    const guarded = (fn: () => unknown) => () => runByHand(EXERCISE, '4', POLICY['4']!, fn);
    expect(guarded(() => tf.grad((a: tf.Tensor) => a.square())(tf.scalar(3)))).toThrow(ByHandViolation);
    expect(guarded(() => tf.variableGrads(() => v.square().asScalar()))).toThrow(/tf\.variableGrads/);
    expect(guarded(() => tf.train.sgd(0.1).minimize(() => v.square().asScalar()))).toThrow(/optimizer\.minimize/);
    // a student try/catch around the call does not hide it
    expect(guarded(() => { try { tf.grad((a: tf.Tensor) => a.square())(tf.scalar(3)); } catch { /* swallowed */ } return 0; })).toThrow(ByHandViolation);
    // …and work again afterwards.
    const g = tf.grad((a: tf.Tensor) => a.square())(tf.scalar(3));
    expect(g.dataSync()[0]).toBeCloseTo(6, 5);
    tf.dispose([v, g]);

    const rng = makeRng(61);
    const params = randomParams([4, 6, 3], rng);
    const x = randomMatrix(5, 4, rng);
    const y = oneHot([0, 1, 2, 1, 0], 3);
    for (const hidden of ['sigmoid', 'relu'] as const) {
      const cfg = { hidden, output: 'softmax' } as const;
      const cache = refCache(params, x, cfg);
      disposeAll(studentBackward(params, cache, y, cfg));
      F.disposeCache(cache);
    }
    tf.dispose([x, y]);
    disposeAll(params);
  });

  it('backward does not leak tensors across repeated calls', () => {
    const rng = makeRng(71);
    const params = randomParams([4, 6, 3], rng);
    const x = randomMatrix(5, 4, rng);
    const y = oneHot([0, 1, 2, 1, 0], 3);
    const cfg = { hidden: 'sigmoid', output: 'softmax' } as const;
    const cache = refCache(params, x, cfg);
    const run = (): void => disposeAll(studentBackward(params, cache, y, cfg));
    run();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) run();
    expect(tf.memory().numTensors - before, 'tensors leaked').toBe(0);
    F.disposeCache(cache);
    tf.dispose([x, y]);
    disposeAll(params);
  });
});

// ───────────────────────────── Task 5 ─────────────────────────────

/** Iris prepared by the test itself (train-only statistics), so training tests don't depend on prepareIris. */
function testIris(seed: number): { xTrain: tf.Tensor2D; yTrain: tf.Tensor2D; xTest: tf.Tensor2D; labelsTest: number[]; labelsTrain: number[] } {
  const iris = loadIris();
  const split = stratifiedSplit(iris.labels, { test: 0.2 }, seed);
  const scaler = standardize(split.train.map((i) => iris.features[i]!));
  const labelsTrain = split.train.map((i) => iris.labels[i]!);
  return {
    xTrain: tf.tensor2d(scaler.apply(split.train.map((i) => iris.features[i]!))),
    yTrain: oneHot(labelsTrain, 3),
    xTest: tf.tensor2d(scaler.apply(split.test.map((i) => iris.features[i]!))),
    labelsTest: split.test.map((i) => iris.labels[i]!),
    labelsTrain,
  };
}

/** Xavier-normal weights from the test's own generator (so training tests don't depend on initParams). */
function testInit(sizes: number[], seed: number): Params {
  const rng = makeRng(seed);
  const params: Params = [];
  for (let l = 1; l < sizes.length; l++) {
    const std = Math.sqrt(2 / (sizes[l - 1]! + sizes[l]!));
    const W = Array.from({ length: sizes[l - 1]! }, () => Array.from({ length: sizes[l]! }, () => rng.normal() * std));
    params.push(layer(W, new Array<number>(sizes[l]!).fill(0)));
  }
  return params;
}

const IRIS_CFG = { hidden: 'relu', output: 'softmax', learningRate: 0.1, batchSize: 16, seed: 3 } as const;

describe('task 5: training', () => {
  it('prepareIris standardises with training statistics only', () => {
    const d = F.prepareIris({ testFraction: 0.2, seed: 7 });
    const iris = loadIris();
    const trainRows = d.trainIndices.map((i) => iris.features[i]!);
    const testRows = d.testIndices.map((i) => iris.features[i]!);
    const mean = [0, 1, 2, 3].map((c) => trainRows.reduce((s, r) => s + r[c]!, 0) / trainRows.length);
    const std = [0, 1, 2, 3].map((c) => Math.sqrt(trainRows.reduce((s, r) => s + (r[c]! - mean[c]!) ** 2, 0) / trainRows.length));
    d.mean.forEach((m, c) => expect(m).toBeCloseTo(mean[c]!, 5));
    d.std.forEach((s, c) => expect(s).toBeCloseTo(std[c]!, 5));
    // Every test value must be (raw − TRAIN mean) / TRAIN std.
    const xTest = d.xTest.arraySync();
    testRows.forEach((row, i) => row.forEach((v, c) => expect(xTest[i]![c]).toBeCloseTo((v - mean[c]!) / std[c]!, 4)));
    const xTrain = d.xTrain.arraySync();
    trainRows.forEach((row, i) => row.forEach((v, c) => expect(xTrain[i]![c]).toBeCloseTo((v - mean[c]!) / std[c]!, 4)));
    // Only two features, kept in the order asked for.
    const petal = F.prepareIris({ testFraction: 0.2, seed: 7, featureIndices: [2, 3] });
    expect(petal.xTrain.shape).toEqual([120, 2]);
    expect(petal.featureNames).toEqual([iris.featureNames[2], iris.featureNames[3]]);
    expect(petal.mean[0]).toBeCloseTo(mean[2]!, 5);
    tf.dispose([d.xTrain, d.yTrain, d.xTest, d.yTest, petal.xTrain, petal.yTrain, petal.xTest, petal.yTest]);
  });

  it('prepareIris makes a stratified, disjoint, seeded split with one-hot targets', () => {
    const iris = loadIris();
    const a = F.prepareIris({ testFraction: 0.2, seed: 7 });
    const b = F.prepareIris({ testFraction: 0.2, seed: 7 });
    const c = F.prepareIris({ testFraction: 0.2, seed: 8 });
    expect(a.xTrain.shape).toEqual([120, 4]);
    expect(a.xTest.shape).toEqual([30, 4]);
    expect(a.yTrain.shape).toEqual([120, 3]);
    expect(a.yTest.shape).toEqual([30, 3]);
    expect(new Set([...a.trainIndices, ...a.testIndices]).size).toBe(150);
    for (let k = 0; k < 3; k++) expect(a.labelsTest.filter((l) => l === k)).toHaveLength(10);
    expect(a.labelsTrain).toEqual(a.trainIndices.map((i) => iris.labels[i]));
    expect(a.labelsTest).toEqual(a.testIndices.map((i) => iris.labels[i]));
    expect(asArray(tf.tidy(() => a.yTrain.argMax(1)))).toEqual(a.labelsTrain);
    expect(asArray(tf.tidy(() => a.yTest.sum(1)))).toEqual(new Array(30).fill(1));
    expect(b.testIndices).toEqual(a.testIndices);
    expect(c.testIndices).not.toEqual(a.testIndices);
    expect(a.classNames).toEqual(iris.classNames);
    for (const d of [a, b, c]) tf.dispose([d.xTrain, d.yTrain, d.xTest, d.yTest]);
  });

  it('initParams draws seeded He and Xavier weights with zero biases', () => {
    const sizes = [400, 300, 10];
    const he = F.initParams(sizes, 'he', 1);
    const heAgain = F.initParams(sizes, 'he', 1);
    const heOther = F.initParams(sizes, 'he', 2);
    const xavier = F.initParams(sizes, 'xavier', 1);
    expect(he.map((l) => [l.W.shape, l.b.shape])).toEqual([[[400, 300], [300]], [[300, 10], [10]]]);
    const stdOf = (t: tf.Tensor): number => tf.tidy(() => tf.moments(t).variance.sqrt().dataSync()[0]!);
    const meanOf = (t: tf.Tensor): number => tf.tidy(() => t.mean().dataSync()[0]!);
    // 120,000 draws: the sample std is within ~0.5 % of the true one and the sample mean within
    // ~0.3 % of a std of zero, so 3 % and 2 % are wide margins that still catch a wrong formula.
    expect(Math.abs(stdOf(he[0]!.W) / Math.sqrt(2 / 400) - 1)).toBeLessThan(0.03);
    expect(Math.abs(stdOf(xavier[0]!.W) / Math.sqrt(2 / 700) - 1)).toBeLessThan(0.03);
    expect(Math.abs(meanOf(he[0]!.W))).toBeLessThan(0.02 * Math.sqrt(2 / 400));
    for (const p of [he, xavier]) for (const l of p) expect(asArray(l.b).every((v) => v === 0)).toBe(true);
    expect(asArray(heAgain[0]!.W)).toEqual(asArray(he[0]!.W));
    expect(asArray(heOther[0]!.W)).not.toEqual(asArray(he[0]!.W));
    for (const p of [he, heAgain, heOther, xavier]) disposeAll(p);
    // "Bad sizes → the same CourseError as countParameters": the lists task 2's test rejects
    for (const bad of [[], [5], [3, 0, 2], [2.5, 3], [4, -1]]) {
      expect(() => F.initParams(bad, 'he', 1), `initParams([${bad}])`).toThrow(CourseError);
    }
  });

  it('trainMlp lowers the loss (measured by the test from the returned parameters)', () => {
    const d = testIris(1);
    const init = testInit([4, 16, 3], 10);
    const cfg = { ...IRIS_CFG };
    const loss0 = lossOf(init, d.xTrain, d.yTrain, cfg);
    const short = studentTrain(init, { x: d.xTrain, y: d.yTrain }, { ...cfg, epochs: 3 });
    const long = studentTrain(init, { x: d.xTrain, y: d.yTrain }, { ...cfg, epochs: 40 });
    const loss3 = lossOf(short.params, d.xTrain, d.yTrain, cfg);
    const loss40 = lossOf(long.params, d.xTrain, d.yTrain, cfg);
    // measured (wasm, cpu and node agree to 1e-7): loss0 = 0.814, after 3 epochs 0.444, after 40 epochs 0.084
    expect(loss3).toBeLessThan(loss0);
    expect(loss40).toBeLessThan(loss3);
    expect(loss40).toBeLessThan(0.3 * loss0);
    expect(long.epochLoss).toHaveLength(40);
    tf.dispose([d.xTrain, d.yTrain, d.xTest]);
    for (const p of [init, short.params, long.params]) disposeAll(p);
  });

  it('trainMlp reaches ≥ 90 % test accuracy on Iris with the fixed seed', () => {
    const d = testIris(2);
    const init = testInit([4, 16, 3], 20);
    const r = studentTrain(init, { x: d.xTrain, y: d.yTrain }, { ...IRIS_CFG, epochs: 60 });
    const testAcc = accuracyOf(r.params, d.xTest, d.labelsTest, IRIS_CFG);
    const trainAcc = accuracyOf(r.params, d.xTrain, d.labelsTrain, IRIS_CFG);
    // measured (wasm, cpu and node): train 0.967, test 1.000 (30 held-out flowers)
    expect(testAcc).toBeGreaterThanOrEqual(0.9);
    expect(trainAcc).toBeGreaterThanOrEqual(0.9);
    tf.dispose([d.xTrain, d.yTrain, d.xTest]);
    disposeAll(init);
    disposeAll(r.params);
  });

  it('trainMlp shuffles mini-batches with its seed (same seed same result, new seed different)', () => {
    const d = testIris(3);
    const init = testInit([4, 8, 3], 30);
    const run = (seed: number): number[] => {
      const r = studentTrain(init, { x: d.xTrain, y: d.yTrain }, { ...IRIS_CFG, epochs: 2, seed });
      const w = asArray(r.params[0]!.W);
      disposeAll(r.params);
      return w;
    };
    const a = run(5);
    expect(run(5)).toEqual(a);
    // A different seed changes only the batch order; without shuffling it would change nothing.
    expect(maxRelativeError(run(6), a)).toBeGreaterThan(1e-4);
    tf.dispose([d.xTrain, d.yTrain, d.xTest]);
    disposeAll(init);
  });

  it('a 2-layer MLP trained with trainMlp classifies XOR 100 %', () => {
    const x = tf.tensor2d(GATE_X);
    const labels = [0, 1, 1, 0];
    const y = oneHot(labels, 2);
    const cfg = { hidden: 'relu', output: 'softmax', learningRate: 0.5, epochs: 300, batchSize: 4, seed: 1 } as const;
    const init = testInit([2, 8, 2], 4);
    const r = studentTrain(init, { x, y }, cfg);
    // measured (wasm, cpu, node): last-epoch loss 0.0096, all four points right
    expect(accuracyOf(r.params, x, labels, cfg)).toBe(1);
    tf.dispose([x, y]);
    disposeAll(init);
    disposeAll(r.params);
  });

  it('epochLoss[e] is the mean mini-batch loss of epoch e and onEpoch reports it', () => {
    // learningRate 0 keeps the parameters at `init`, and 120 rows in 4 equal batches of 30: the
    // mean of the batch losses is then exactly the loss over all rows, computed here.
    const d = testIris(5);
    const init = testInit([4, 8, 3], 50);
    const cfg = { ...IRIS_CFG, learningRate: 0, batchSize: 30, epochs: 2 };
    const expected = lossOf(init, d.xTrain, d.yTrain, cfg);
    const seen: { epoch: number; loss: number; W: number[] }[] = [];
    const r = studentTrain(init, { x: d.xTrain, y: d.yTrain }, { ...cfg, onEpoch: (epoch, params, loss) => seen.push({ epoch, loss, W: asArray(params[0]!.W) }) });
    expect(r.epochLoss).toHaveLength(2);
    // float32 losses of ~1 summed over 4 batches: agreement to 1e-5 relative
    for (const l of r.epochLoss) expect(Math.abs(l - expected) / expected, `epochLoss ${l}, loss over all rows ${expected}`).toBeLessThan(1e-5);
    expect(seen.map((s) => s.epoch)).toEqual([0, 1]);
    seen.forEach((s, e) => expect(s.loss, `onEpoch(${e}, params, meanLoss)`).toBe(r.epochLoss[e]));
    expect(seen[1]!.W).toEqual(asArray(init[0]!.W));
    tf.dispose([d.xTrain, d.yTrain, d.xTest]);
    disposeAll(init);
    disposeAll(r.params);
  });

  it('trainMlp does not leak tensors and leaves the initial parameters intact', () => {
    const d = testIris(4);
    const init = testInit([4, 8, 3], 40);
    const initValues = init.map((l) => asArray(l.W));
    const run = (): void => disposeAll(studentTrain(init, { x: d.xTrain, y: d.yTrain }, { ...IRIS_CFG, epochs: 2 }).params);
    run();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 2; i++) run();
    expect(tf.memory().numTensors - before, 'tensors leaked').toBe(0);
    init.forEach((l, i) => expect(asArray(l.W)).toEqual(initValues[i]));
    tf.dispose([d.xTrain, d.yTrain, d.xTest]);
    disposeAll(init);
  });
});
