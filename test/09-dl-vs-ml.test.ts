/**
 * Graded tests for 09-dl-vs-ml. Everything is measured here: the baselines against hand-worked
 * cases and the test's own gradient descent (autodiff on its own loss), features on hand-made
 * images and a loop-by-loop reference, the learning-curve protocol with spy models that record
 * what they were given, and the direction of the result on tiny Fashion-MNIST and Iris runs.
 */
import { describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import * as R from '@target/09-dl-vs-ml/index.js';
import { loadFashionMnist } from '../lib/data/fashion-mnist.js';
import { loadIris } from '../lib/data/iris.js';
import { stratifiedSplit } from '../lib/data/split.js';
import { countLeak, leakDetails } from '../lib/train/guard.js';
import { CourseError } from '../lib/errors.js';
import { observe } from '../lib/grader/observe.js';
import { makeRng } from '../lib/random.js';

function numbers(t: tf.Tensor): number[] {
  return Array.from(t.dataSync());
}

function expectClose(actual: number[], expected: number[], tol: number, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  actual.forEach((a, i) => {
    expect(Number.isFinite(a), `${what}[${i}] is ${a}`).toBe(true);
    expect(Math.abs(a - expected[i]!), `${what} at index ${i}: got ${a}, expected ${expected[i]}`).toBeLessThanOrEqual(tol);
  });
}

const ints = (v: number[]) => tf.tensor1d(v, 'int32');

// ---------------- task 1 ----------------

/** The test's own loss: mean cross-entropy + λ·ΣW² (bias unpenalised), differentiated by tf.grads. */
function referenceLoss(W: tf.Tensor, b: tf.Tensor, x: tf.Tensor2D, y: tf.Tensor2D, lambda: number): tf.Scalar {
  const ce = tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(x, W as tf.Tensor2D), b));
  return tf.add(ce, tf.mul(tf.sum(tf.square(W)), lambda)) as tf.Scalar;
}

describe('task 1: softmax regression and k-NN', () => {
  test('softmaxRegressionLoss gives the hand-worked value and penalises W but not b', () => {
    // x = [1, 0], W = [[1, −1], [0, 2]], b = [0.5, −0.5]: logits [1.5, −1.5], CE = ln(1 + e⁻³) = 0.0485874;
    // ΣW² = 6, so λ = 0.1 adds 0.6 (Σb² = 0.5 must NOT be added).
    const v = tf.tidy(() => {
      const model = { W: tf.tensor2d([[1, -1], [0, 2]]), b: tf.tensor1d([0.5, -0.5]) };
      const loss = R.softmaxRegressionLoss(model, tf.tensor2d([[1, 0]]), ints([0]), 0.1);
      expect(loss.shape).toEqual([]);
      return loss.dataSync()[0]!;
    });
    expect(Math.abs(v - (Math.log(1 + Math.exp(-3)) + 0.6)), `loss ${v}`).toBeLessThan(1e-5);
    const [mine, ref] = tf.tidy(() => {
      const x = tf.randomNormal([12, 4], 0, 1, 'float32', 3) as tf.Tensor2D;
      const labels = ints([0, 1, 2, 0, 1, 2, 2, 2, 1, 0, 0, 1]);
      const W = tf.randomNormal([4, 3], 0, 1, 'float32', 4) as tf.Tensor2D;
      const b = tf.randomNormal([3], 0, 1, 'float32', 5) as tf.Tensor1D;
      const loss = R.softmaxRegressionLoss({ W, b }, x, labels, 0.05).dataSync()[0]!;
      // the parent recomputes mean CE + λΣW² from these inputs
      observe('random', { x: numbers(x), labels: numbers(labels), W: numbers(W), b: numbers(b), loss });
      return [loss, referenceLoss(W, b, x, tf.oneHot(labels, 3).toFloat() as tf.Tensor2D, 0.05).dataSync()[0]!];
    });
    expect(Math.abs(mine! - ref!), `loss on random data ${mine}, mean CE + λΣW² = ${ref}`).toBeLessThan(1e-5);
    observe('hand', v);
  });

  test('trainSoftmaxRegression follows gradient descent on mean CE + λΣW² from zeros, step for step', () => {
    // The test's own descent with tf.grads on its own loss; measured difference after 30 steps ~1e-7.
    const opts = { numClasses: 3, lambda: 0.05, learningRate: 0.3, steps: 30 };
    const out = tf.tidy(() => {
      const x = tf.randomNormal([20, 5], 0, 1, 'float32', 7) as tf.Tensor2D;
      const labels = tf.randomUniform([20], 0, 3, 'int32', 8) as tf.Tensor1D;
      const y = tf.oneHot(labels, 3).toFloat() as tf.Tensor2D;
      let W: tf.Tensor = tf.zeros([5, 3]);
      let b: tf.Tensor = tf.zeros([3]);
      for (let s = 0; s < opts.steps; s++) {
        const [gW, gB] = tf.grads((w: tf.Tensor, bb: tf.Tensor) => referenceLoss(w, bb, x, y, opts.lambda))([W, b]);
        W = tf.sub(W, tf.mul(gW!, opts.learningRate));
        b = tf.sub(b, tf.mul(gB!, opts.learningRate));
      }
      const model = R.trainSoftmaxRegression(x, labels, opts);
      expect(model.W.shape).toEqual([5, 3]);
      expect(model.b.shape).toEqual([3]);
      return { W: numbers(model.W), b: numbers(model.b), refW: numbers(W), refB: numbers(b), x: numbers(x), labels: numbers(labels) };
    });
    expectClose(out.W, out.refW, 1e-4, 'W after 30 steps');
    expectClose(out.b, out.refB, 1e-4, 'b after 30 steps');
    observe('descent', { x: out.x, labels: out.labels, W: out.W, b: out.b }); // the parent runs the 30 steps itself
  });

  test('with uninformative inputs and strong L2 the unpenalised bias still learns the class frequencies', () => {
    // x = 0 carries no information, so only b can fit: softmax(b) → the label frequencies [0.75, 0.25]
    // whatever λ is. A penalised bias is pulled towards 0 (λ = 1: softmax(b) ≈ [0.6, 0.4]).
    const p = tf.tidy(() => {
      const m = R.trainSoftmaxRegression(tf.zeros([8, 3]), ints([0, 0, 0, 0, 0, 0, 1, 1]), { numClasses: 2, lambda: 1, learningRate: 1, steps: 300 });
      observe('b', m.b);
      return numbers(tf.softmax(m.b));
    });
    expectClose(p, [0.75, 0.25], 0.01, 'softmax(b)');
  });

  test('knnPredict on hand-worked points: nearest neighbours, vote tie → smallest class id, distance tie → lower index', () => {
    const predict = (train: number[][], y: number[], query: number[][], k: number) =>
      tf.tidy(() => {
        const p = R.knnPredict(tf.tensor2d(train), ints(y), tf.tensor2d(query), k);
        expect(p.dtype).toBe('int32');
        expect(p.shape).toEqual([query.length]);
        return numbers(p);
      });
    const line = [[0], [1], [2], [10], [11]];
    const lineY = [0, 0, 1, 1, 1];
    expect(predict(line, lineY, [[1.4], [9]], 1), 'k = 1: 1.4 → point 1 (class 0), 9 → point 10 (class 1)').toEqual([0, 1]);
    expect(predict(line, lineY, [[1.4], [1.9]], 3), 'k = 3: 1.4 → {1, 2, 0} = 0, 0, 1 votes → 0; 1.9 → {2, 1, 0} → 0').toEqual([0, 0]);
    expect(predict([[0, 0], [3, 4], [6, 8]], [2, 0, 1], [[3, 3], [7, 7]], 1), '2-D: (3,3) → (3,4); (7,7) → (6,8)').toEqual([0, 1]);
    expect(predict([[0], [3]], [1, 0], [[1]], 2), 'vote tie 1–1: the smaller class id (0) wins, not the nearer point').toEqual([0]);
    expect(predict([[0], [2]], [1, 0], [[1]], 1), 'distance tie: the lower training index (point 0, class 1) comes first').toEqual([1]);
    observe('predictions', [predict(line, lineY, [[1.4], [9]], 1), predict(line, lineY, [[1.4], [1.9]], 3), predict([[0, 0], [3, 4], [6, 8]], [2, 0, 1], [[3, 3], [7, 7]], 1), predict([[0], [3]], [1, 0], [[1]], 2), predict([[0], [2]], [1, 0], [[1]], 1)]);
  });

  test('knnPredict agrees with a brute-force loop on random data (k = 5, 4 classes)', async () => {
    const rng = makeRng(21);
    const train = Array.from({ length: 60 }, () => [rng.normal(), rng.normal(), rng.normal()]);
    const y = train.map(() => rng.int(4));
    const query = Array.from({ length: 25 }, () => [rng.normal(), rng.normal(), rng.normal()]);
    const expected = query.map((q) => {
      const order = train.map((t, i) => ({ i, d: t.reduce((a, v, j) => a + (v - q[j]!) ** 2, 0) })).sort((a, b) => a.d - b.d || a.i - b.i);
      const votes = [0, 0, 0, 0];
      order.slice(0, 5).forEach(({ i }) => votes[y[i]!]!++);
      return votes.indexOf(Math.max(...votes));
    });
    const got = tf.tidy(() => numbers(R.knnPredict(tf.tensor2d(train), ints(y), tf.tensor2d(query), 5)));
    expect(got).toEqual(expected);
    observe('knn', { train, y, query, got }); // the parent redoes the brute-force loop
    // "All query-to-training distances at once, with tensor ops (no loop over rows)": the number
    // of kernels one call runs (tf.profile) must not grow with the rows. Same k and the same
    // classes (0–3 in every set), so a loop over k or over the classes stays allowed.
    const calls = async (nTrain: number, nQuery: number): Promise<number> => {
      const xt = tf.tensor2d(train.slice(0, nTrain));
      const yt = ints(Array.from({ length: nTrain }, (_, i) => i % 4));
      const xq = tf.tensor2d(query.slice(0, nQuery));
      try {
        const info = await tf.profile(() => R.knnPredict(xt, yt, xq, 5));
        tf.dispose(info.result as tf.Tensor);
        return info.kernels.length;
      } finally {
        tf.dispose([xt, yt, xq]);
      }
    };
    const small = await calls(20, 5);
    expect({ moreQueries: await calls(20, 25), moreTraining: await calls(60, 5) }, `kernels run per call with 20 training and 5 query rows: ${small}; a loop over rows runs more for more rows`).toEqual({ moreQueries: small, moreTraining: small });
  });

  test('knnLeaveOneOut predicts every point from the others, never from itself', () => {
    // k = 1: the outlier 20 (class 0) has 6 (class 1) as its nearest OTHER point → 1; counting
    // itself would give 0. Duplicates are other points: (0, class 0) and (0, class 1) predict each other.
    const loo = (x: number[][], y: number[], k: number) => tf.tidy(() => numbers(R.knnLeaveOneOut(tf.tensor2d(x), ints(y), k)));
    expect(loo([[0], [1], [5], [6], [20]], [0, 0, 1, 1, 0], 1)).toEqual([0, 0, 1, 1, 1]);
    expect(loo([[0], [0], [10]], [0, 1, 1], 1), 'duplicates of different classes; 10 ties between points 0 and 1 → the lower index').toEqual([1, 0, 0]);
    // k = 3 on [0, 1, 2, 3] with classes [0, 0, 1, 1]: point 0 ← {1, 2, 3} → 1; point 1 ← {0, 2, 3} → 1 …
    expect(loo([[0], [1], [2], [3]], [0, 0, 1, 1], 3)).toEqual([1, 1, 0, 0]);
    observe('loo', [loo([[0], [1], [5], [6], [20]], [0, 0, 1, 1, 0], 1), loo([[0], [0], [10]], [0, 1, 1], 1), loo([[0], [1], [2], [3]], [0, 0, 1, 1], 3)]);
  });

  test('baselines reject bad input with a CourseError and leak no tensors', async () => {
    const x = tf.randomNormal([6, 2], 0, 1, 'float32', 1) as tf.Tensor2D;
    const y = ints([0, 1, 0, 1, 0, 1]);
    const leaked = await countLeak(() => {
      const m = R.trainSoftmaxRegression(x, y, { numClasses: 2, lambda: 0.1, learningRate: 0.5, steps: 3 });
      return [m.W, m.b, R.softmaxRegressionLoss(m, x, y, 0.1), R.knnPredict(x, y, x, 3), R.knnLeaveOneOut(x, y, 3)];
    });
    expect(leaked, leakDetails()).toBe(0);
    expect(() => R.knnPredict(x, y, x, 7)).toThrow(CourseError);
    expect(() => R.knnLeaveOneOut(x, y, 6)).toThrow(CourseError); // only 5 OTHER points
    const yFloat = tf.tensor1d([0, 1, 0, 1, 0, 1]);
    expect(() => R.trainSoftmaxRegression(x, yFloat as tf.Tensor1D, { numClasses: 2, lambda: 0, learningRate: 0.5, steps: 1 })).toThrow(CourseError);
    expect(() => R.trainSoftmaxRegression(x, y, { numClasses: 2, lambda: -1, learningRate: 0.5, steps: 1 })).toThrow(CourseError);
    expect(x.isDisposed || y.isDisposed, 'inputs must not be disposed').toBe(false);
    tf.dispose([x, y, yFloat]);
  });
});

// ---------------- task 2 ----------------

/** The test's own loop-by-loop orientation histogram (forward differences, centred bins). */
function loopOrientationHistogram(img: number[][], bins: number): number[] {
  const hist = new Array<number>(bins).fill(0);
  for (let r = 0; r < img.length - 1; r++) {
    for (let c = 0; c < img[0]!.length - 1; c++) {
      const gx = img[r]![c + 1]! - img[r]![c]!;
      const gy = img[r + 1]![c]! - img[r]![c]!;
      const bin = (((Math.floor((Math.atan2(gy, gx) * bins) / Math.PI + 0.5)) % bins) + bins) % bins;
      hist[bin] += Math.hypot(gx, gy);
    }
  }
  const total = hist.reduce((a, v) => a + v, 0);
  return hist.map((v) => (total === 0 ? 0 : v / total));
}

describe('task 2: hand-made image features', () => {
  test('intensityHistogram gives the fraction of pixels per bin on hand-made images (1.0 in the last bin)', () => {
    const h = tf.tidy(() => {
      const out = R.intensityHistogram(tf.tensor3d([[[0, 0.3], [0.5, 1]], [[0.1, 0.1], [0.9, 0.2]]]), 4);
      expect(out.shape).toEqual([2, 4]);
      return numbers(out);
    });
    expectClose(h, [0.25, 0.25, 0.25, 0.25, 0.75, 0, 0, 0.25], 1e-6, 'histograms of the two images');
    observe('histograms', h);
  });

  test('edgeOrientationHistogram puts vertical, horizontal and diagonal edges in the hand-worked bins', () => {
    // 4 bins centred on 0, π/4, π/2, 3π/4. Unsigned: a dark→light and a light→dark edge agree.
    const ramp = (f: (r: number, c: number) => number) => Array.from({ length: 4 }, (_, r) => Array.from({ length: 4 }, (_, c) => f(r, c)));
    const images = [
      ramp((_, c) => (c >= 2 ? 1 : 0)), // vertical edge: gradient along x → bin 0
      ramp((_, c) => (c >= 2 ? 0 : 1)), // the same edge, light to dark → still bin 0
      ramp((r) => (r >= 2 ? 1 : 0)), // horizontal edge: gradient along y → bin 2
      ramp((r, c) => (r + c) / 6), // gx = gy → θ = π/4 → bin 1
      ramp((r, c) => (c - r + 3) / 6), // gx = −gy → θ = −π/4 ≡ 3π/4 → bin 3
      ramp(() => 0.4), // flat: no edges → all zeros
    ];
    const h = tf.tidy(() => {
      const out = R.edgeOrientationHistogram(tf.tensor3d(images), 4);
      expect(out.shape).toEqual([6, 4]);
      return numbers(out);
    });
    expectClose(h, [1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0], 1e-5, 'orientation histograms');
    observe('histograms', h);
  });

  test('edgeOrientationHistogram matches a loop-by-loop reference on Fashion-MNIST images (8 bins)', () => {
    const set = loadFashionMnist('test', { limit: 3, seed: 2 });
    const imgs = Array.from({ length: 3 }, (_, n) => Array.from({ length: 28 }, (_, r) => Array.from(set.images.subarray(n * 784 + r * 28, n * 784 + r * 28 + 28))));
    const got = tf.tidy(() => numbers(R.edgeOrientationHistogram(tf.tensor3d(imgs), 8)));
    expectClose(got, imgs.flatMap((img) => loopOrientationHistogram(img, 8)), 1e-4, 'histograms of 3 images');
  });

  test('standardizeFeatures scales train AND test with the training statistics only (std 0 → 1)', () => {
    // train columns: [0, 2] → mean 1, std 1; [5, 5] → mean 5, std 0 (divide by 1). The test rows
    // must land far from 0: statistics of the test set itself would hide the shift.
    const out = tf.tidy(() => {
      const r = R.standardizeFeatures(tf.tensor2d([[0, 5], [2, 5]]), tf.tensor2d([[10, 5], [12, 7]]));
      return { train: numbers(r.train), test: numbers(r.test) };
    });
    expectClose(out.train, [-1, 0, 1, 0], 1e-6, 'standardized train');
    expectClose(out.test, [9, 0, 11, 2], 1e-5, 'standardized test');
    observe('standardized', out);
  });

  test('feature functions reject pixels outside [0, 1] and a channel axis, and leak no tensors', async () => {
    const imgs = tf.randomUniform([2, 6, 6], 0, 1, 'float32', 3) as tf.Tensor3D;
    const leaked = await countLeak(() => [R.intensityHistogram(imgs, 8), R.edgeOrientationHistogram(imgs, 8)]);
    expect(leaked, leakDetails()).toBe(0);
    const big = tf.mul(imgs, 255) as tf.Tensor3D;
    expect(() => R.intensityHistogram(big, 8)).toThrow(CourseError);
    const four = tf.expandDims(imgs, 3);
    expect(() => R.edgeOrientationHistogram(four as unknown as tf.Tensor3D, 8)).toThrow(CourseError);
    tf.dispose([imgs, big, four]);
  });
});

// ---------------- task 3 ----------------

const balancedPool = Array.from({ length: 300 }, (_, i) => i % 10);
const unbalancedPool = Array.from({ length: 100 }, (_, i) => (i < 50 ? 2 : i < 80 ? 0 : 1));

describe('task 3: the learning-curve protocol', () => {
  test('nestedStratifiedSubsets: every subset contains the smaller ones', () => {
    for (const [labels, sizes] of [[balancedPool, [10, 20, 50, 100, 300]], [unbalancedPool, [10, 25, 60, 100]]] as const) {
      const subsets = R.nestedStratifiedSubsets(labels, [...sizes], 5);
      for (let i = 1; i < subsets.length; i++) {
        const bigger = new Set(subsets[i]);
        const missing = subsets[i - 1]!.filter((j) => !bigger.has(j));
        expect(missing, `indices of the ${sizes[i - 1]}-subset missing from the ${sizes[i]}-subset`).toEqual([]);
      }
      observe(`pool of ${labels.length}`, subsets); // the pools are fixed: the parent checks the nesting
    }
  });

  test('nestedStratifiedSubsets: right sizes, distinct pool indices, each class within 1 of its share, seeded', () => {
    for (const [labels, sizes] of [[balancedPool, [10, 20, 50, 100, 300]], [unbalancedPool, [10, 25, 60, 100]]] as const) {
      const subsets = R.nestedStratifiedSubsets(labels, [...sizes], 5);
      expect(subsets.map((s) => s.length)).toEqual([...sizes]);
      const classes = [...new Set(labels)];
      subsets.forEach((s) => {
        expect(new Set(s).size, 'indices must be distinct').toBe(s.length);
        expect(s.every((j) => Number.isInteger(j) && j >= 0 && j < labels.length), 'indices must point into the pool').toBe(true);
        for (const c of classes) {
          const share = (s.length * labels.filter((l) => l === c).length) / labels.length;
          const count = s.filter((j) => labels[j] === c).length;
          expect(Math.abs(count - share), `class ${c} in a ${s.length}-subset: ${count}, its share is ${share}`).toBeLessThanOrEqual(1 + 1e-9);
        }
      });
    }
    const a = R.nestedStratifiedSubsets(balancedPool, [50], 5)[0]!;
    const b = R.nestedStratifiedSubsets(balancedPool, [50], 5)[0]!;
    const c = R.nestedStratifiedSubsets(balancedPool, [50], 6)[0]!;
    expect(b, 'the same seed must give the same subset').toEqual(a);
    expect(new Set(c).size === 50 && c.some((j) => !a.includes(j)), 'another seed must give another subset').toBe(true);
    expect(() => R.nestedStratifiedSubsets(balancedPool, [50, 20], 1)).toThrow(CourseError);
    observe('subsets', { balanced: R.nestedStratifiedSubsets(balancedPool, [10, 20, 50, 100, 300], 5), unbalanced: R.nestedStratifiedSubsets(unbalancedPool, [10, 25, 60, 100], 5), a, b, c });
  });

  test('learningCurve gives every model the same nested training rows and the same untouched test set', () => {
    // Pool row i is [i, label]; test row j is [1000 + j, label]. The spies record what they see.
    const n = 60;
    const poolLabels = Int32Array.from({ length: n }, (_, i) => i % 3);
    const testLabels = Int32Array.from([0, 0, 1, 2, 2, 2, 1, 0]);
    const pool = { x: tf.tensor2d(Array.from(poolLabels, (l, i) => [i, l])), labels: poolLabels };
    const testSet = { x: tf.tensor2d(Array.from(testLabels, (l, j) => [1000 + j, l])), labels: testLabels };
    const seen: Record<string, { rows: number[]; yOk: boolean; testRows: number[] }[]> = { constant: [], reader: [] };
    // the spies read their inputs without leaving a tensor (learningCurve's own are counted below)
    const column = (t: tf.Tensor, j: number): number[] => tf.tidy(() => numbers(tf.slice(t, [0, j], [-1, 1]).reshape([-1])));
    const spy = (name: string, predict: (xTest: tf.Tensor) => tf.Tensor1D): R.Classifier => (xTrain, yTrain, xTest) => {
      const rows = column(xTrain, 0);
      const labelCol = column(xTrain, 1);
      seen[name]!.push({ rows, yOk: numbers(yTrain).every((v, i) => v === labelCol[i]), testRows: column(xTest, 0) });
      return predict(xTest);
    };
    const tensorsBefore = tf.memory().numTensors;
    const curve = R.learningCurve(pool, testSet, [6, 15, 30], {
      constant: spy('constant', (xt) => tf.zeros([xt.shape[0]!], 'int32')),
      reader: spy('reader', (xt) => tf.tidy(() => tf.slice(xt, [0, 1], [-1, 1]).reshape([-1]).toInt() as tf.Tensor1D)),
    }, 3);
    // "Free what you create (also each model's predictions)": the spies free their own temporaries
    const leaked = tf.memory().numTensors - tensorsBefore;
    expect(pool.x.isDisposed || testSet.x.isDisposed, 'learningCurve must not dispose the data sets').toBe(false);
    tf.dispose([pool.x, testSet.x]);
    expect(curve.sizes).toEqual([6, 15, 30]);
    expectClose(curve.accuracy.constant!, [3 / 8, 3 / 8, 3 / 8], 1e-9, 'constant-0 accuracy (3 of 8 test labels are 0)');
    expectClose(curve.accuracy.reader!, [1, 1, 1], 1e-9, 'accuracy of a model that reads the label column');
    for (const name of ['constant', 'reader']) {
      expect(seen[name]!.map((s) => s.rows.length), `${name}: training-set sizes`).toEqual([6, 15, 30]);
      seen[name]!.forEach((s, i) => {
        expect(s.rows.every((r) => r < n), `${name}: a test row was in the training data`).toBe(true);
        expect(s.yOk, `${name}: yTrain must be the labels of the rows in xTrain`).toBe(true);
        expect(s.testRows, `${name}: every model must be scored on the whole, unchanged test set`).toEqual(Array.from(testLabels, (_, j) => 1000 + j));
        if (i > 0) expect(seen[name]![i - 1]!.rows.every((r) => s.rows.includes(r)), `${name}: subsets must be nested`).toBe(true);
        expect(new Set(s.rows).size, `${name}: rows drawn twice`).toBe(s.rows.length);
      });
    }
    seen.constant!.forEach((s, i) => expect([...s.rows].sort((a, b) => a - b), 'both models must see the same rows').toEqual([...seen.reader![i]!.rows].sort((a, b) => a - b)));
    expect(leaked, 'tensors left behind by learningCurve (each size\'s rows and labels, each model\'s predictions)').toBe(0);
  });

  test('direction: on tiny Fashion-MNIST more data lifts both baselines; on Iris softmax regression is near its plateau at 30 flowers', () => {
    // Measured (tfjs-node, this config): Fashion softmax 0.603 → 0.740, 3-NN 0.440 → 0.740; Iris softmax
    // 0.917 → 0.983 (gain 0.067 against Fashion's 0.137). Runs in ~4 s on tfjs-node under load 15.
    const fashion = (split: 'train' | 'test', perClass: number, seed: number): R.LabelledSet => {
      const set = loadFashionMnist(split, { perClass, seed });
      const x = tf.tidy(() => tf.reshape(tf.avgPool(tf.tensor4d(set.images, [set.n, 28, 28, 1]), 2, 2, 'valid'), [set.n, 196]));
      return { x, labels: set.labels };
    };
    const lr = (numClasses: number, steps: number): R.Classifier => (x, y, xt) => {
      const m = R.trainSoftmaxRegression(x as tf.Tensor2D, y, { numClasses, lambda: 1e-3, learningRate: 0.5, steps });
      const p = R.softmaxPredict(m, xt as tf.Tensor2D);
      R.disposeModel(m);
      return p;
    };
    const knn: R.Classifier = (x, y, xt) => R.knnPredict(x as tf.Tensor2D, y, xt as tf.Tensor2D, 3);
    const pool = fashion('train', 50, 11);
    const testSet = fashion('test', 30, 12);
    const f = R.learningCurve(pool, testSet, [30, 500], { lr: lr(10, 150), knn }, 1);
    tf.dispose([pool.x, testSet.x]);

    const iris = loadIris();
    const split = stratifiedSplit(iris.labels, { test: 0.4 }, 3);
    const mean = [0, 1, 2, 3].map((j) => split.train.reduce((a, i) => a + iris.features[i]![j]!, 0) / split.train.length);
    const std = [0, 1, 2, 3].map((j) => Math.sqrt(split.train.reduce((a, i) => a + (iris.features[i]![j]! - mean[j]!) ** 2, 0) / split.train.length));
    const rows = (idx: number[]) => tf.tensor2d(idx.map((i) => iris.features[i]!.map((v, j) => (v - mean[j]!) / std[j]!)));
    const irisPool = { x: rows(split.train), labels: Int32Array.from(split.train.map((i) => iris.labels[i]!)) };
    const irisTest = { x: rows(split.test), labels: Int32Array.from(split.test.map((i) => iris.labels[i]!)) };
    const i = R.learningCurve(irisPool, irisTest, [30, 90], { lr: lr(3, 300) }, 1);
    tf.dispose([irisPool.x, irisTest.x]);
    console.log(JSON.stringify({ fashion: f.accuracy, iris: i.accuracy }));

    const gain = (a: number[]) => a[1]! - a[0]!;
    expect(gain(f.accuracy.lr!), `Fashion softmax regression 30 → 500 images: ${f.accuracy.lr}`).toBeGreaterThan(0.08);
    expect(gain(f.accuracy.knn!), `Fashion 3-NN 30 → 500 images: ${f.accuracy.knn}`).toBeGreaterThan(0.08);
    expect(i.accuracy.lr![0], `Iris softmax regression with 30 flowers: ${i.accuracy.lr}`).toBeGreaterThan(0.85);
    expect(gain(i.accuracy.lr!), 'Iris: gain from 30 → 90 flowers').toBeLessThan(gain(f.accuracy.lr!));
  });
});

// ---------------- task 4 ----------------

describe('task 4: interpretation', () => {
  test('weightImages maps each class column to an image, 0.5 + 0.5·w/max|w| (an all-zero class is grey)', () => {
    const out = tf.tidy(() => {
      const img = R.weightImages(tf.tensor2d([[2, 0], [-1, 0], [0, 0], [1, 0]]), 2, 2);
      expect(img.shape).toEqual([2, 2, 2]);
      return numbers(img);
    });
    expectClose(out, [1, 0.25, 0.5, 0.75, 0.5, 0.5, 0.5, 0.5], 1e-6, 'weight images');
    observe('images', out);
    const W = tf.zeros([6, 2]) as tf.Tensor2D;
    expect(() => R.weightImages(W, 2, 2)).toThrow(CourseError);
    W.dispose();
  });

  test('compareCurves gives the paired gap per size: mean, sample std over seeds, overtake size', () => {
    // gaps seed 1: [−0.1, 0.05, 0.1], seed 2: [0, −0.02, 0.1] → mean [−0.05, 0.015, 0.1],
    // sample std [0.0707107, 0.0494975, 0]; deep leads from 100 on.
    const r = R.compareCurves([10, 100, 1000], [[0.5, 0.8, 0.9], [0.6, 0.7, 0.95]], [[0.6, 0.75, 0.8], [0.6, 0.72, 0.85]]);
    expectClose(r.gapMean, [-0.05, 0.015, 0.1], 1e-9, 'gapMean');
    expectClose(r.gapStd, [Math.SQRT2 * 0.05, Math.SQRT2 * 0.035, 0], 1e-9, 'gapStd');
    expect(r.overtakeSize).toBe(100);
    // three seeds (found by mutation testing: with two, n − 1 = 1 hides a wrong divisor):
    // gaps 0.1, 0.2, 0.3 → mean 0.2, sample std 0.1 (population std would be 0.0816)
    const three = R.compareCurves([10], [[0.6], [0.7], [0.8]], [[0.5], [0.5], [0.5]]);
    expectClose(three.gapStd, [0.1], 1e-9, 'gapStd over three seeds');
    observe('comparisons', { r, three });
  });

  test('compareCurves: the overtake must hold at every larger size; one seed has std 0; never → null', () => {
    const back = R.compareCurves([10, 100, 1000], [[0.7, 0.7, 0.9]], [[0.6, 0.8, 0.8]]);
    expect(back.overtakeSize, 'ahead at 10, behind at 100, ahead at 1000 → 1000').toBe(1000);
    expectClose(back.gapStd, [0, 0, 0], 0, 'std with one seed');
    expect(R.compareCurves([10, 100], [[0.5, 0.6]], [[0.7, 0.8]]).overtakeSize).toBeNull();
    // found by mutation testing: ahead everywhere → the smallest size; a tie at the end is not a lead
    expect(R.compareCurves([10, 100, 1000], [[0.8, 0.9, 0.95]], [[0.7, 0.8, 0.9]]).overtakeSize, 'ahead at every size').toBe(10);
    expect(R.compareCurves([10, 100], [[0.8, 0.7]], [[0.7, 0.7]]).overtakeSize, 'level at the largest size').toBeNull();
    observe('overtakes', [back.overtakeSize, R.compareCurves([10, 100], [[0.5, 0.6]], [[0.7, 0.8]]).overtakeSize, R.compareCurves([10, 100, 1000], [[0.8, 0.9, 0.95]], [[0.7, 0.8, 0.9]]).overtakeSize, R.compareCurves([10, 100], [[0.8, 0.7]], [[0.7, 0.7]]).overtakeSize]);
    observe('back std', back.gapStd);
    expect(() => R.compareCurves([10, 100], [[0.5]], [[0.7, 0.8]])).toThrow(CourseError);
  });
});
