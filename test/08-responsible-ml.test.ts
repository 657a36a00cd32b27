/**
 * Graded tests for 08-responsible-ml. Everything is measured here: the audit and the
 * mitigations against hand-worked cases (written out in the comments), the membership attack on
 * models whose losses are known, saliency against the weights of a linear model and against
 * finite differences, the cost formulas against hand arithmetic, and one small training run on
 * a skewed set that this file trains itself.
 */
import { describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import * as R from '@target/08-responsible-ml/index.js';
import { countLeak, leakDetails } from '../lib/train/guard.js';
import { CourseError } from '../lib/errors.js';
import { observe } from '../lib/grader/observe.js';
import { batchIndices } from '../lib/data/split.js';
import { makeRng } from '../lib/random.js';

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    expect(Math.abs(actual[i]! - expected[i]!), `${what} at index ${i}: got ${actual[i]}, expected ${expected[i]}`).toBeLessThanOrEqual(tol);
  }
}

// ---------------- task 1 ----------------

// Hand case, A and B interleaved (A = indices 0,1,3,4,6,8; B = 2,5,7,9):
//   A labels 1 1 0 0 0 0, predictions 1 0 1 0 0 0 → TP 1, FN 1, FP 1, TN 3:
//     accuracy 4/6, selection 2/6, FPR 1/4 (of A's 4 negatives), FNR 1/2
//   B labels 1 0 0 1, predictions 1 1 1 1 → FP 2 of 2 negatives, FN 0:
//     accuracy 2/4, selection 1, FPR 1, FNR 0
// Parity difference B − A = 1 − 1/3 = 2/3; equalised odds max(|1 − 1/4|, |0 − 1/2|) = 3/4.
const GROUPS = [0, 0, 1, 0, 0, 1, 0, 1, 0, 1];
const LABELS = [1, 1, 1, 0, 0, 0, 0, 0, 0, 1];
const PREDS = [1, 0, 1, 1, 0, 1, 0, 1, 0, 1];

describe('task 1: the audit', () => {
  test('groupRates and audit give the hand-worked accuracy, selection rate, FPR and FNR of each group', () => {
    const a = R.groupRates(PREDS, LABELS, GROUPS, 0);
    const result = R.audit(PREDS, LABELS, GROUPS);
    for (const [name, got] of [['groupRates(…, 0)', a], ['audit().groups[0]', result.groups[0]]] as const) {
      expect({ n: got.n, positives: got.positives, negatives: got.negatives }, name).toEqual({ n: 6, positives: 2, negatives: 4 });
      expectClose([got.accuracy, got.selectionRate, got.fpr, got.fnr], [4 / 6, 2 / 6, 1 / 4, 1 / 2], 1e-12, `${name}: accuracy, selection, FPR, FNR`);
    }
    const b = result.groups[1];
    expect(b.n).toBe(4);
    expectClose([b.accuracy, b.selectionRate, b.fpr, b.fnr], [0.5, 1, 1, 0], 1e-12, 'group B: accuracy, selection, FPR, FNR');
    observe('rates', { a, auditA: result.groups[0], b });
  });

  test('the parity difference is signed B − A and equalised odds is the larger of the two rate gaps', () => {
    const r = R.audit(PREDS, LABELS, GROUPS);
    expect(r.demographicParityDifference).toBeCloseTo(2 / 3, 12);
    expect(r.equalisedOddsDifference).toBeCloseTo(3 / 4, 12);
    // Mirror the predictions: now B is selected less (B 0/4, A 4/6 → −2/3), and the FNR gap
    // is the larger one (A: FPR 3/4, FNR 1/2; B: FPR 0, FNR 1 → max(3/4, 1/2) = 3/4).
    const flipped = PREDS.map((p) => 1 - p);
    const f = R.audit(flipped, LABELS, GROUPS);
    expect(f.demographicParityDifference).toBeCloseTo(-2 / 3, 12);
    expect(f.equalisedOddsDifference).toBeCloseTo(3 / 4, 12);
    // Here only the FNR gap is non-zero: A (labels 1 0, predictions 1 0) FPR 0, FNR 0;
    // B (labels 1 1 0, predictions 1 0 0) FPR 0, FNR 1/2 → 1/2; selection B 1/3 − A 1/2 = −1/6.
    const g = R.audit([1, 0, 1, 0, 0], [1, 0, 1, 1, 0], [0, 0, 1, 1, 1]);
    expect(g.equalisedOddsDifference).toBeCloseTo(0.5, 12);
    expect(g.demographicParityDifference).toBeCloseTo(-1 / 6, 12);
    const gaps = (x: typeof r) => ({ parity: x.demographicParityDifference, odds: x.equalisedOddsDifference });
    observe('gaps', { r: gaps(r), flipped: gaps(f), g: gaps(g) });
  });

  test('an empty group is a CourseError naming it; a rate without a denominator is NaN', () => {
    // group B has only positives: its FPR has no negatives to count over
    const r = R.audit([1, 0, 1], [1, 0, 1], [0, 0, 1]);
    expect(r.groups[1].fpr).toBeNaN();
    expect(r.groups[1].fnr).toBe(0);
    observe('group B', { fpr: r.groups[1].fpr, fnr: r.groups[1].fnr });
    expect(() => R.audit([1, 0], [1, 0], [0, 0])).toThrow(CourseError);
    expect(() => R.groupRates([1, 0], [1, 0], [1, 1], 0)).toThrow(/group 0/);
  });
});

// ---------------- task 2 ----------------

describe('task 2: mitigations', () => {
  test('groupWeights: mean 1, equal total weight per group at strength 1, none at 0, the hand values between', () => {
    const groups = [0, 0, 0, 1];
    // strength 1: N/(G·n_g) = 4/6 for A, 4/2 for B (already mean 1)
    expectClose(R.groupWeights(groups, 1), [2 / 3, 2 / 3, 2 / 3, 2], 1e-6, 'strength 1');
    expectClose(R.groupWeights(groups, 0), [1, 1, 1, 1], 1e-6, 'strength 0');
    // strength 0.5: √(2/3) and √2, divided by their mean (3√(2/3) + √2)/4
    const mean = (3 * Math.sqrt(2 / 3) + Math.SQRT2) / 4;
    expectClose(R.groupWeights(groups, 0.5), [Math.sqrt(2 / 3) / mean, Math.sqrt(2 / 3) / mean, Math.sqrt(2 / 3) / mean, Math.SQRT2 / mean], 1e-6, 'strength 0.5');
    expect(() => R.groupWeights(groups, 1.5)).toThrow(CourseError);
    observe('weights', [1, 0, 0.5].map((strength) => R.groupWeights(groups, strength)));
  });

  test('thresholdForFnr picks the largest threshold meeting the FNR target; a score equal to a threshold is positive', () => {
    // positives' scores 0.2, 0.4, 0.4, 0.9 (the 0.1 and 0.95 are negatives and do not count)
    const scores = [0.4, 0.1, 0.9, 0.2, 0.95, 0.4];
    const labels = [1, 0, 1, 1, 0, 1];
    // FNR(0.2) = 0, FNR(0.4) = 1/4 (both 0.4s stay positive), FNR(0.9) = 3/4
    expect(R.thresholdForFnr(scores, labels, 0)).toBe(0.2);
    expect(R.thresholdForFnr(scores, labels, 0.25)).toBe(0.4);
    expect(R.thresholdForFnr(scores, labels, 0.5)).toBe(0.4);
    expect(R.thresholdForFnr(scores, labels, 0.75)).toBe(0.9);
    expect(Array.from(R.applyGroupThresholds([0.5, 0.5, 0.49, 0.3], [0, 1, 0, 1], [0.5, 0.3]))).toEqual([1, 1, 0, 1]);
    expect(() => R.thresholdForFnr([0.5], [0], 0.1)).toThrow(CourseError);
    observe('thresholds', [0, 0.25, 0.5, 0.75].map((fnr) => R.thresholdForFnr(scores, labels, fnr)));
    observe('applied', R.applyGroupThresholds([0.5, 0.5, 0.49, 0.3], [0, 1, 0, 1], [0.5, 0.3]));
  });

  test('thresholdMitigation fits each group threshold on validation and only applies it to the test set', () => {
    // validation positives: A 0.3, 0.6; B 0.1, 0.2 → thresholds at FNR 0: [0.3, 0.1]
    const val = { scores: [0.3, 0.6, 0.1, 0.2, 0.05, 0.02], labels: [1, 1, 1, 1, 0, 0], groups: [0, 0, 1, 1, 0, 1] };
    // test positives: A 0.8, 0.9; B 0.5, 0.7 (fitting on these would give [0.8, 0.5])
    const test = { scores: [0.8, 0.9, 0.5, 0.7, 0.5, 0.2, 0.25], labels: [1, 1, 1, 1, 0, 0, 0], groups: [0, 0, 1, 1, 0, 1, 0] };
    const r = R.thresholdMitigation(val, test, 0);
    expectClose(r.thresholds, [0.3, 0.1], 1e-12, 'thresholds (fitted on validation)');
    expect(Array.from(r.testPredictions)).toEqual([1, 1, 1, 1, 1, 1, 0]);
    observe('mitigation', { thresholds: r.thresholds, testPredictions: r.testPredictions });
  });

  test('reweighting by group lowers group B\'s error on a skewed training set (trained here)', async () => {
    // Measured (tfjs-node, this config, seed 8): B's test error 0.310 unweighted (FNR 0.98: B's
    // footwear is almost never recognised) → 0.130 reweighted; A's 0.000 both times.
    // The test asks for a drop of at least 25 %.
    const { train: tr, test: te } = R.groupedFashion({ train: 600, val: 1, test: 400, trainShareB: 0.05, evalShareB: 0.5, seed: 8 });
    const errorB = (strength: number): number => {
      const net = new R.SmallClassifier([784, 16], { seed: 3, learningRate: 3e-3 });
      const x = tf.tensor2d(tr.images, [tr.n, 784]);
      const y = tf.tensor1d(Float32Array.from(tr.labels));
      const w = tf.tensor1d(R.groupWeights(tr.groups, strength));
      for (let epoch = 0; epoch < 8; epoch++) {
        for (const idx of batchIndices(tr.n, 50, makeRng(100 + epoch))) {
          const [xb, yb, wb] = tf.tidy(() => { const i = tf.tensor1d(idx, 'int32'); return [tf.gather(x, i), tf.gather(y, i), tf.gather(w, i)]; });
          net.step(xb as tf.Tensor2D, yb as tf.Tensor1D, wb as tf.Tensor1D);
          tf.dispose([xb!, yb!, wb!]);
        }
      }
      const xt = tf.tensor2d(te.images, [te.n, 784]);
      const preds = Array.from(net.scores(xt), (s) => (s >= 0.5 ? 1 : 0));
      tf.dispose([x, y, w, xt]);
      net.dispose();
      return 1 - R.audit(preds, te.labels, te.groups).groups[1].accuracy;
    };
    const plain = errorB(0);
    const weighted = errorB(1);
    expect(weighted, `group B's test error: unweighted ${plain.toFixed(3)}, reweighted ${weighted.toFixed(3)}`).toBeLessThan(plain * 0.75);
  });
});

// ---------------- task 3 ----------------

describe('task 3: membership inference', () => {
  test('perExampleLoss is the binary cross-entropy of each logit, finite for large logits', () => {
    const got = tf.tidy(() => Array.from(R.perExampleLoss(tf.tensor1d([0, 2, -1, 100, -100]), tf.tensor1d([1, 1, 0, 0, 0])).dataSync()));
    // −log σ(0) = ln 2; −log σ(2) = ln(1 + e^−2); −log(1 − σ(−1)) = ln(1 + e^−1); z = 100, y = 0 → 100; z = −100, y = 0 → ≈ 0
    expectClose(got, [Math.LN2, Math.log1p(Math.exp(-2)), Math.log1p(Math.exp(-1)), 100, 0], 1e-4, 'per-example BCE');
    observe('losses', got);
  });

  test('membershipAuc: the hand-worked value with a tie, 0.5 for identical sets, 1 when members all have lower loss', () => {
    // pairs (member, non-member): (0.1, 0.3) 1, (0.1, 0.5) 1, (0.5, 0.3) 0, (0.5, 0.5) ½ → 2.5/4
    expect(R.membershipAuc([0.1, 0.5], [0.3, 0.5])).toBeCloseTo(0.625, 12);
    expect(R.membershipAuc([0.2, 0.4, 0.9], [0.9, 0.2, 0.4])).toBeCloseTo(0.5, 12);
    expect(R.membershipAuc([0.01, 0.02], [0.5, 0.7, 0.9])).toBe(1);
    expect(R.membershipAuc([0.5, 0.7, 0.9], [0.01, 0.02])).toBe(0);
    expect(() => R.membershipAuc([], [0.1])).toThrow(CourseError);
    observe('auc', [R.membershipAuc([0.1, 0.5], [0.3, 0.5]), R.membershipAuc([0.2, 0.4, 0.9], [0.9, 0.2, 0.4]), R.membershipAuc([0.01, 0.02], [0.5, 0.7, 0.9]), R.membershipAuc([0.5, 0.7, 0.9], [0.01, 0.02])]);
  });

  test('membershipAttack scores members against the held-out examples, not against the training set again', async () => {
    // logit = 3·x: members (x = 2, 3, label 1) have small losses, the held-out ones (x = −1, 0.5, label 1) large ones
    const logitsOf = (x: tf.Tensor2D) => tf.tidy(() => tf.reshape(tf.mul(x, 3), [x.shape[0]]) as tf.Tensor1D);
    const members = { x: tf.tensor2d([[2], [3]]), y: tf.tensor1d([1, 1]) };
    const held = { x: tf.tensor2d([[-1], [0.5]]), y: tf.tensor1d([1, 1]) };
    const r = R.membershipAttack(logitsOf, members, held);
    // "Dispose every tensor you make": the logits and losses of both sets go (the inputs stay)
    const leaked = await countLeak(() => R.membershipAttack(logitsOf, members, held));
    tf.dispose([members.x, members.y, held.x, held.y]);
    expectClose(r.memberLosses, [Math.log1p(Math.exp(-6)), Math.log1p(Math.exp(-9))], 1e-5, 'member losses');
    expectClose(r.nonMemberLosses, [Math.log1p(Math.exp(3)), Math.log1p(Math.exp(-1.5))], 1e-5, 'held-out losses');
    expect(r.auc).toBe(1);
    expect(leaked, `membershipAttack leaves tensors behind: ${leakDetails()}`).toBe(0);
    observe('attack', { memberLosses: r.memberLosses, nonMemberLosses: r.nonMemberLosses, auc: r.auc });
  });
});

// ---------------- task 4 ----------------

describe('task 4: saliency', () => {
  test('saliencyMap of a linear model is |w| for every example (same shape as the input)', () => {
    const w = [0.5, -2, 0, 1.5];
    const got = tf.tidy(() => {
      const wt = tf.tensor2d(w, [4, 1]);
      const s = R.saliencyMap((x) => tf.reshape(tf.matMul(x, wt), [x.shape[0]]) as tf.Tensor1D, tf.tensor2d([[1, 2, 3, 4], [-1, 0, 5, 2], [0, 0, 0, 0]]));
      expect(s.shape).toEqual([3, 4]);
      observe('shape', s.shape);
      return Array.from(s.dataSync());
    });
    expectClose(got, [...w, ...w, ...w].map(Math.abs), 1e-6, 'saliency = |w|');
    observe('saliency', got);
  });

  test('saliencyMap of a nonlinear net matches |finite differences| of each example\'s own logit', () => {
    const W1 = tf.tensor2d([[1, -0.5, 0.3], [0.2, 0.8, -1], [-0.7, 0.4, 0.6]]);
    const W2 = tf.tensor2d([[1.2], [-0.9], [0.5]]);
    const logitsOf = (x: tf.Tensor2D) => tf.tidy(() => tf.reshape(tf.matMul(tf.tanh(tf.matMul(x, W1)), W2), [x.shape[0]]) as tf.Tensor1D);
    const xs = [[0.3, -0.2, 0.5], [-0.4, 0.9, 0.1]];
    const got = tf.tidy(() => Array.from(R.saliencyMap(logitsOf, tf.tensor2d(xs)).dataSync()));
    const eps = 1e-2;
    const logit = (row: number[]) => tf.tidy(() => logitsOf(tf.tensor2d([row])).dataSync()[0]!);
    const expected = xs.flatMap((row) => row.map((_, j) => {
      const up = row.map((v, k) => (k === j ? v + eps : v));
      const down = row.map((v, k) => (k === j ? v - eps : v));
      return Math.abs((logit(up) - logit(down)) / (2 * eps));
    }));
    tf.dispose([W1, W2]);
    // float32 central differences with eps 1e-2: error ~1e-4 (measured < 3e-4)
    expectClose(got, expected, 2e-3, 'saliency vs |finite difference|');
    observe('saliency', got); // the parent redoes the finite differences in float64
  });

  test('saliencyMap and perExampleLoss leak no tensors', async () => {
    const x = tf.randomNormal([5, 4], 0, 1, 'float32', 1) as tf.Tensor2D;
    const w = tf.randomNormal([4, 1], 0, 1, 'float32', 2) as tf.Tensor2D;
    const y = tf.tensor1d([1, 0, 1, 0, 1]);
    const logitsOf = (t: tf.Tensor2D) => tf.reshape(tf.matMul(t, w), [t.shape[0]]) as tf.Tensor1D;
    const logits = tf.tidy(() => logitsOf(x));
    const leaked = await countLeak(() => [R.saliencyMap(logitsOf, x), R.perExampleLoss(logits, y)]);
    tf.dispose([x, w, y, logits]);
    expect(leaked, leakDetails()).toBe(0);
  });
});

// ---------------- task 5 ----------------

describe('task 5: cost', () => {
  test('trainStepFlops counts 2·in·out per layer and example forward and twice that backward', () => {
    // [784, 32, 1], batch 100: 6 · 100 · (784·32 + 32·1) = 15 072 000
    expect(R.trainStepFlops([784, 32, 1], 100)).toBe(15_072_000);
    // [3, 2], batch 1: 6 · 6 = 36
    expect(R.trainStepFlops([3, 2], 1)).toBe(36);
    observe('flops', [R.trainStepFlops([784, 32, 1], 100), R.trainStepFlops([3, 2], 1)]);
    expect(() => R.trainStepFlops([784], 10)).toThrow(CourseError);
  });

  test('energyEstimate: kWh = watts · PUE · seconds / 3.6e6, CO₂ = kWh · grid intensity', () => {
    // one hour at 100 W with PUE 1.5 → 0.15 kWh; at 400 g/kWh → 60 g
    const e = R.energyEstimate(3600, { watts: 100, pue: 1.5, gramsPerKWh: 400 });
    expect(e.kWh).toBeCloseTo(0.15, 12);
    expect(e.gramsCO2).toBeCloseTo(60, 10);
    const z = R.energyEstimate(0, { watts: 100, pue: 1, gramsPerKWh: 400 });
    expect(z).toEqual({ kWh: 0, gramsCO2: 0 });
    observe('energy', { e, z });
    expect(() => R.energyEstimate(10, { watts: 100, pue: 0.5, gramsPerKWh: 400 })).toThrow(CourseError);
  });
});
