/**
 * The grader's second look at 09's cheap visible tests (issue 21 4(d); docs/GRADER.md "Judged
 * visible tests"): each test still asserts in its own process and, in a graded run, also
 * observes what the submission returned; the grader's parent repeats the same checks here, with
 * the test's own tolerances (never stricter), in plain TypeScript without tfjs: the hand-worked
 * values by their numbers, the softmax-regression loss and 30 steps of gradient descent on the
 * inputs the test observed (float64 here, float32 in the test: a small slack, named where used),
 * the brute-force k-NN loop, the nesting and shares of the subsets, the curve comparisons.
 */
import type { Judge, Observations, Verdict } from '../lib/grader/judge.js';

function all(...verdicts: Verdict[]): Verdict {
  return verdicts.find((v) => v !== true) ?? true;
}

const nums = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => typeof x === 'number');

/** The test's expectClose: same length, every entry finite and |a − e| ≤ tol. */
function closeAll(actual: unknown, expected: readonly number[], tol: number, what: string): Verdict {
  if (!Array.isArray(actual) || actual.length !== expected.length) return `${what}: not ${expected.length} numbers`;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    if (!(typeof a === 'number' && Number.isFinite(a) && Math.abs(a - expected[i]!) <= tol)) return `${what}[${i}]: ${String(a)}, expected ${expected[i]} (± ${tol})`;
  }
  return true;
}

const same = (actual: unknown, expected: unknown, what: string): Verdict =>
  JSON.stringify(actual) === JSON.stringify(expected) || `${what}: ${JSON.stringify(actual)?.slice(0, 200)}, expected ${JSON.stringify(expected)}`;

const softmax = (z: number[]): number[] => {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};

/** rows of x [n, d] · W [d, c] + b, W row-major as dataSync gives it */
const logits = (x: number[], n: number, d: number, W: number[], b: number[], c: number): number[][] =>
  Array.from({ length: n }, (_, i) => Array.from({ length: c }, (_, k) => b[k]! + Array.from({ length: d }, (_, j) => x[i * d + j]! * W[j * c + k]!).reduce((a, v) => a + v, 0)));

/** mean cross-entropy + λΣW² (the bias unpenalised), the test's referenceLoss */
function loss(x: number[], labels: number[], W: number[], b: number[], d: number, c: number, lambda: number): number {
  const z = logits(x, labels.length, d, W, b, c);
  const ce = z.reduce((s, row, i) => s - Math.log(softmax(row)[labels[i]!]!), 0) / labels.length;
  return ce + lambda * W.reduce((s, w) => s + w * w, 0);
}

function lossValues(obs: Observations): Verdict {
  const r = (obs.random ?? {}) as Record<string, unknown>;
  if (!nums(r.x) || r.x.length !== 48 || !nums(r.labels) || r.labels.length !== 12 || !nums(r.W) || r.W.length !== 12 || !nums(r.b) || r.b.length !== 3) return 'random: not the test\'s inputs';
  const hand = obs.hand;
  const want = loss(r.x, r.labels, r.W, r.b, 4, 3, 0.05);
  return all(
    (typeof hand === 'number' && Math.abs(hand - (Math.log(1 + Math.exp(-3)) + 0.6)) < 1e-5) || `hand-worked loss ${String(hand)}, expected ${Math.log(1 + Math.exp(-3)) + 0.6} (± 1e-5)`,
    // the test compares with tfjs's float32 loss to 1e-5; float64 here is within 2e-6 of that
    (typeof r.loss === 'number' && Math.abs(r.loss - want) < 1e-5 + 2e-6) || `loss on random data ${String(r.loss)}, mean CE + λΣW² = ${want}`,
  );
}

/** 30 steps of gradient descent from zeros on mean CE + 0.05ΣW², lr 0.3 (the test's, by tf.grads) */
function descent(obs: Observations): Verdict {
  const o = (obs.descent ?? {}) as Record<string, unknown>;
  const n = 20, d = 5, c = 3, lambda = 0.05, lr = 0.3;
  if (!nums(o.x) || o.x.length !== n * d || !nums(o.labels) || o.labels.length !== n) return 'descent: not the test\'s 20 examples';
  const x = o.x, labels = o.labels;
  const W = new Array<number>(d * c).fill(0);
  const b = new Array<number>(c).fill(0);
  for (let step = 0; step < 30; step++) {
    const p = logits(x, n, d, W, b, c).map(softmax);
    const gW = W.map((w) => 2 * lambda * w);
    const gB = new Array<number>(c).fill(0);
    p.forEach((row, i) =>
      row.forEach((pk, k) => {
        const e = (pk - (labels[i] === k ? 1 : 0)) / n;
        gB[k] += e;
        for (let j = 0; j < d; j++) gW[j * c + k] += x[i * d + j]! * e;
      }),
    );
    gW.forEach((g, i) => (W[i] -= lr * g));
    gB.forEach((g, k) => (b[k] -= lr * g));
  }
  // the test: 1e-4 against its own float32 descent; float64 here is within 1e-5 of that
  return all(closeAll(o.W, W, 1e-4 + 1e-5, 'W after 30 steps'), closeAll(o.b, b, 1e-4 + 1e-5, 'b after 30 steps'));
}

/** The test's brute-force loop: squared distances, ties to the lower index, votes to the smaller class. */
function knnLoop(obs: Observations): Verdict {
  const o = (obs.knn ?? {}) as Record<string, unknown>;
  const train = o.train as number[][], y = o.y as number[], query = o.query as number[][];
  if (!Array.isArray(train) || train.length !== 60 || !train.every(nums) || !nums(y) || y.length !== 60 || !Array.isArray(query) || query.length !== 25 || !query.every(nums)) return 'knn: not the test\'s 60 training and 25 query points';
  const expected = query.map((q) => {
    const order = train.map((t, i) => ({ i, d: t.reduce((a, v, j) => a + (v - q[j]!) ** 2, 0) })).sort((a, b) => a.d - b.d || a.i - b.i);
    const votes = [0, 0, 0, 0];
    order.slice(0, 5).forEach(({ i }) => votes[y[i]!]!++);
    return votes.indexOf(Math.max(...votes));
  });
  return same(o.got, expected, 'predictions (k = 5)');
}

const balancedPool = Array.from({ length: 300 }, (_, i) => i % 10);
const unbalancedPool = Array.from({ length: 100 }, (_, i) => (i < 50 ? 2 : i < 80 ? 0 : 1));
const POOLS: [number[], number[]][] = [[balancedPool, [10, 20, 50, 100, 300]], [unbalancedPool, [10, 25, 60, 100]]];

function nested(subsets: unknown): Verdict {
  if (!Array.isArray(subsets) || !subsets.every(nums)) return 'subsets: not lists of indices';
  for (let i = 1; i < subsets.length; i++) {
    const bigger = new Set(subsets[i] as number[]);
    const missing = (subsets[i - 1] as number[]).filter((j) => !bigger.has(j));
    if (missing.length > 0) return `indices of subset ${i - 1} missing from subset ${i}: ${missing.slice(0, 10).join(', ')}`;
  }
  return true;
}

/** sizes, distinct in-pool indices, each class within 1 of its share, the seeds */
function subsetShares(obs: Observations): Verdict {
  const o = (obs.subsets ?? {}) as Record<string, unknown>;
  const perPool = [o.balanced, o.unbalanced].map((got, p): Verdict => {
    const [labels, sizes] = POOLS[p]!;
    if (!Array.isArray(got) || !got.every(nums)) return `pool ${p}: not lists of indices`;
    const subsets = got as number[][];
    if (JSON.stringify(subsets.map((s) => s.length)) !== JSON.stringify(sizes)) return `pool ${p}: sizes ${JSON.stringify(subsets.map((s) => s.length))}, expected ${JSON.stringify(sizes)}`;
    for (const s of subsets) {
      if (new Set(s).size !== s.length) return `pool ${p}: indices must be distinct`;
      if (!s.every((j) => Number.isInteger(j) && j >= 0 && j < labels.length)) return `pool ${p}: indices must point into the pool`;
      for (const c of new Set(labels)) {
        const share = (s.length * labels.filter((l) => l === c).length) / labels.length;
        const count = s.filter((j) => labels[j] === c).length;
        if (!(Math.abs(count - share) <= 1 + 1e-9)) return `pool ${p}: class ${c} in a ${s.length}-subset: ${count}, its share is ${share}`;
      }
    }
    return true;
  });
  const { a, b, c } = o as { a?: unknown; b?: unknown; c?: unknown };
  return all(
    ...perPool,
    (nums(a) && JSON.stringify(a) === JSON.stringify(b)) || 'the same seed must give the same subset',
    (nums(a) && nums(c) && new Set(c).size === 50 && c.some((j) => !a.includes(j))) || 'another seed must give another subset',
  );
}

function comparisons(obs: Observations): Verdict {
  const o = (obs.comparisons ?? {}) as Record<string, Record<string, unknown> | undefined>;
  return all(
    closeAll(o.r?.gapMean, [-0.05, 0.015, 0.1], 1e-9, 'gapMean'),
    closeAll(o.r?.gapStd, [Math.SQRT2 * 0.05, Math.SQRT2 * 0.035, 0], 1e-9, 'gapStd'),
    o.r?.overtakeSize === 100 || `overtakeSize ${String(o.r?.overtakeSize)}, expected 100`,
    closeAll(o.three?.gapStd, [0.1], 1e-9, 'gapStd over three seeds'),
  );
}

export default {
  'task 1: softmax regression and k-NN > softmaxRegressionLoss gives the hand-worked value and penalises W but not b': lossValues,
  'task 1: softmax regression and k-NN > trainSoftmaxRegression follows gradient descent on mean CE + λΣW² from zeros, step for step': descent,
  'task 1: softmax regression and k-NN > with uninformative inputs and strong L2 the unpenalised bias still learns the class frequencies': (obs) =>
    nums(obs.b) && obs.b.length === 2 ? closeAll(softmax(obs.b), [0.75, 0.25], 0.01, 'softmax(b)') : 'b: not 2 numbers',
  'task 1: softmax regression and k-NN > knnPredict on hand-worked points: nearest neighbours, vote tie → smallest class id, distance tie → lower index': { predictions: [[0, 1], [0, 0], [0, 1], [0], [1]] },
  'task 1: softmax regression and k-NN > knnPredict agrees with a brute-force loop on random data (k = 5, 4 classes)': knnLoop,
  'task 1: softmax regression and k-NN > knnLeaveOneOut predicts every point from the others, never from itself': { loo: [[0, 0, 1, 1, 1], [1, 0, 0], [1, 1, 0, 0]] },
  'task 2: hand-made image features > intensityHistogram gives the fraction of pixels per bin on hand-made images (1.0 in the last bin)': (obs) => closeAll(obs.histograms, [0.25, 0.25, 0.25, 0.25, 0.75, 0, 0, 0.25], 1e-6, 'histograms of the two images'),
  'task 2: hand-made image features > edgeOrientationHistogram puts vertical, horizontal and diagonal edges in the hand-worked bins': (obs) =>
    closeAll(obs.histograms, [1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0], 1e-5, 'orientation histograms'),
  'task 2: hand-made image features > standardizeFeatures scales train AND test with the training statistics only (std 0 → 1)': (obs) => {
    const o = (obs.standardized ?? {}) as Record<string, unknown>;
    return all(closeAll(o.train, [-1, 0, 1, 0], 1e-6, 'standardized train'), closeAll(o.test, [9, 0, 11, 2], 1e-5, 'standardized test'));
  },
  'task 3: the learning-curve protocol > nestedStratifiedSubsets: every subset contains the smaller ones': (obs) => all(nested(obs['pool of 300']), nested(obs['pool of 100'])),
  'task 3: the learning-curve protocol > nestedStratifiedSubsets: right sizes, distinct pool indices, each class within 1 of its share, seeded': subsetShares,
  'task 4: interpretation > weightImages maps each class column to an image, 0.5 + 0.5·w/max|w| (an all-zero class is grey)': (obs) => closeAll(obs.images, [1, 0.25, 0.5, 0.75, 0.5, 0.5, 0.5, 0.5], 1e-6, 'weight images'),
  'task 4: interpretation > compareCurves gives the paired gap per size: mean, sample std over seeds, overtake size': comparisons,
  'task 4: interpretation > compareCurves: the overtake must hold at every larger size; one seed has std 0; never → null': (obs) =>
    all(same(obs.overtakes, [1000, null, 10, null], 'overtake sizes'), closeAll(obs['back std'], [0, 0, 0], 0, 'std with one seed')),
} satisfies Judge;
