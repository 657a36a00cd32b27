/**
 * 09-dl-vs-ml — the reference solution.
 *
 * The traditional side of "when does deep learning beat traditional ML?", written by hand so it
 * can be measured against the deep models: softmax regression with L2 and k-nearest neighbours
 * (task 1), hand-made image features (task 2), a learning-curve protocol that compares models
 * fairly (task 3), and the numbers that interpret the result (task 4).
 *
 * Conventions: examples are rows; class ids are int32. Functions return NEW tensors and never
 * dispose or modify their inputs.
 */
import * as tf from '@tensorflow/tfjs';

export * from '../../lib/exercise-support/09-dl-vs-ml.js';
import {
  accuracyOf, checkCurves, checkImages, checkK, checkLabels, checkMatrix, checkSizes, checkSoftmaxOptions,
} from '../../lib/exercise-support/09-dl-vs-ml.js';
import type { Classifier, CurveComparison, LabelledSet, LearningCurve, SoftmaxModel, SoftmaxOptions } from '../../lib/exercise-support/09-dl-vs-ml.js';
import { makeRng, permutation } from '../../lib/random.js';
import { CourseError } from '../../lib/errors.js';

// ───────────────────────────── Task 1: the traditional baselines ─────────────────────────────

/** mean cross-entropy of softmax(x·W + b) + λ·Σ W² (the bias is not penalised). */
export function softmaxRegressionLoss(model: SoftmaxModel, x: tf.Tensor2D, labels: tf.Tensor1D, lambda: number): tf.Scalar {
  checkMatrix('softmaxRegressionLoss', 'x', x);
  checkLabels('softmaxRegressionLoss', labels, x.shape[0]);
  return tf.tidy(() => {
    const logits = tf.add(tf.matMul(x, model.W), model.b);
    const onehot = tf.oneHot(labels, model.W.shape[1]);
    const ce = tf.neg(tf.mean(tf.sum(tf.mul(onehot, tf.logSoftmax(logits)), 1)));
    return tf.add(ce, tf.mul(tf.sum(tf.square(model.W)), lambda)) as tf.Scalar;
  });
}

/**
 * Full-batch gradient descent from W = 0, b = 0 with the hand-derived gradients
 * dL/dW = xᵀ(p − y)/n + 2λW and dL/db = mean(p − y).
 */
export function trainSoftmaxRegression(x: tf.Tensor2D, labels: tf.Tensor1D, opts: SoftmaxOptions): SoftmaxModel {
  checkMatrix('trainSoftmaxRegression', 'x', x);
  checkLabels('trainSoftmaxRegression', labels, x.shape[0]);
  checkSoftmaxOptions('trainSoftmaxRegression', opts);
  const { numClasses, lambda, learningRate, steps } = opts;
  const n = x.shape[0];
  const y = tf.tidy(() => tf.oneHot(labels, numClasses).toFloat());
  let W: tf.Tensor2D = tf.zeros([x.shape[1], numClasses]);
  let b: tf.Tensor1D = tf.zeros([numClasses]);
  for (let s = 0; s < steps; s++) {
    const [nextW, nextB] = tf.tidy(() => {
      const err = tf.sub(tf.softmax(tf.add(tf.matMul(x, W), b)), y);
      const gW = tf.add(tf.div(tf.matMul(x, err, true, false), n), tf.mul(W, 2 * lambda));
      const gB = tf.mean(err, 0);
      return [tf.sub(W, tf.mul(gW, learningRate)) as tf.Tensor2D, tf.sub(b, tf.mul(gB, learningRate)) as tf.Tensor1D];
    });
    tf.dispose([W, b]);
    W = nextW!;
    b = nextB!;
  }
  y.dispose();
  return { W, b };
}

/** Squared Euclidean distances [nA, nB] from ‖a‖² + ‖b‖² − 2a·b, clipped at 0 (float error). */
function squaredDistances(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const aa = tf.sum(tf.square(a), 1, true);
    const bb = tf.reshape(tf.sum(tf.square(b), 1), [1, -1]);
    return tf.relu(tf.sub(tf.add(aa, bb), tf.mul(tf.matMul(a, b, false, true), 2))) as tf.Tensor2D;
  });
}

/** Majority vote of the k nearest (distance ties: lower index first; vote ties: smallest class id). */
function vote(dist: tf.Tensor2D, yTrain: tf.Tensor1D, k: number): tf.Tensor1D {
  return tf.tidy(() => {
    const { indices } = tf.topk(tf.neg(dist), k); // topk keeps the lower index first among equals
    const numClasses = tf.max(yTrain).dataSync()[0]! + 1;
    const counts = tf.sum(tf.oneHot(tf.gather(yTrain, indices), numClasses), 1);
    return tf.argMax(counts, 1) as tf.Tensor1D; // argMax returns the first (smallest) class among ties
  });
}

/** k-NN: each query row's class by majority vote of its k nearest training rows. */
export function knnPredict(xTrain: tf.Tensor2D, yTrain: tf.Tensor1D, xQuery: tf.Tensor2D, k: number): tf.Tensor1D {
  checkMatrix('knnPredict', 'xTrain', xTrain);
  checkMatrix('knnPredict', 'xQuery', xQuery);
  checkLabels('knnPredict', yTrain, xTrain.shape[0]);
  checkK('knnPredict', k, xTrain.shape[0]);
  return tf.tidy(() => vote(squaredDistances(xQuery, xTrain), yTrain, k));
}

/** Leave-one-out k-NN: each row predicted from all the OTHER rows (never from itself). */
export function knnLeaveOneOut(x: tf.Tensor2D, y: tf.Tensor1D, k: number): tf.Tensor1D {
  checkMatrix('knnLeaveOneOut', 'x', x);
  checkLabels('knnLeaveOneOut', y, x.shape[0]);
  checkK('knnLeaveOneOut', k, x.shape[0] - 1);
  return tf.tidy(() => {
    const d = squaredDistances(x, x);
    const self = tf.cast(tf.eye(x.shape[0]), 'bool');
    return vote(tf.where(self, tf.fill(d.shape, Infinity), d) as tf.Tensor2D, y, k);
  });
}

// ───────────────────────────── Task 2: hand-made image features ─────────────────────────────

/** Fraction of each image's pixels in each of `bins` equal bins over [0, 1] (1 falls in the last). */
export function intensityHistogram(images: tf.Tensor3D, bins: number): tf.Tensor2D {
  checkImages('intensityHistogram', images, bins);
  const [n, h, w] = images.shape;
  return tf.tidy(() => {
    const bin = tf.minimum(tf.floor(tf.mul(images, bins)), bins - 1).toInt().reshape([n, h * w]);
    return tf.div(tf.sum(tf.oneHot(bin as tf.Tensor2D, bins), 1), h * w) as tf.Tensor2D;
  });
}

/**
 * Magnitude-weighted histogram of unsigned gradient orientations from forward differences,
 * bins centred on k·π/bins, normalised to sum 1 (all zeros for a flat image).
 */
export function edgeOrientationHistogram(images: tf.Tensor3D, bins: number): tf.Tensor2D {
  checkImages('edgeOrientationHistogram', images, bins);
  const [n, h, w] = images.shape;
  return tf.tidy(() => {
    const here = tf.slice(images, [0, 0, 0], [n, h - 1, w - 1]);
    const gx = tf.sub(tf.slice(images, [0, 0, 1], [n, h - 1, w - 1]), here);
    const gy = tf.sub(tf.slice(images, [0, 1, 0], [n, h - 1, w - 1]), here);
    const mag = tf.sqrt(tf.add(tf.square(gx), tf.square(gy))).reshape([n, -1]);
    const theta = tf.atan2(gy, gx);
    const bin = tf.mod(tf.floor(tf.add(tf.mul(theta, bins / Math.PI), 0.5)), bins).toInt().reshape([n, -1]);
    const hist = tf.sum(tf.mul(tf.oneHot(bin as tf.Tensor2D, bins), tf.expandDims(mag, 2)), 1);
    const total = tf.sum(hist, 1, true);
    return tf.div(hist, tf.where(tf.equal(total, 0), tf.onesLike(total), total)) as tf.Tensor2D;
  });
}

/** z-scores of both sets with the TRAINING set's per-column mean and (population) std; std 0 → 1. */
export function standardizeFeatures(train: tf.Tensor2D, test: tf.Tensor2D): { train: tf.Tensor2D; test: tf.Tensor2D } {
  checkMatrix('standardizeFeatures', 'train', train);
  checkMatrix('standardizeFeatures', 'test', test);
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(train, 0);
    const std = tf.sqrt(variance);
    const safe = tf.where(tf.equal(std, 0), tf.onesLike(std), std);
    return { train: tf.div(tf.sub(train, mean), safe) as tf.Tensor2D, test: tf.div(tf.sub(test, mean), safe) as tf.Tensor2D };
  });
}

// ───────────────────────────── Task 3: the learning-curve protocol ─────────────────────────────

/**
 * One seeded, stratified ordering of the pool; subset i is its first sizes[i] indices, so the
 * subsets are nested. Each next element comes from the class furthest below its share.
 */
export function nestedStratifiedSubsets(labels: ArrayLike<number>, sizes: number[], seed: number): number[][] {
  checkSizes('nestedStratifiedSubsets', sizes, labels.length);
  const byClass = new Map<number, number[]>();
  Array.from(labels).forEach((c, i) => byClass.set(c, [...(byClass.get(c) ?? []), i]));
  const rng = makeRng(seed);
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  const queues = classes.map((c) => permutation(byClass.get(c)!.length, rng).map((j) => byClass.get(c)![j]!));
  const share = queues.map((q) => q.length / labels.length);
  const taken = classes.map(() => 0);
  const order: number[] = [];
  for (let s = 1; s <= sizes[sizes.length - 1]!; s++) {
    let best = -1;
    queues.forEach((q, c) => {
      if (taken[c]! < q.length && (best < 0 || s * share[c]! - taken[c]! > s * share[best]! - taken[best]!)) best = c;
    });
    order.push(queues[best]![taken[best]!++]!);
  }
  return sizes.map((s) => order.slice(0, s));
}

/** Every model on the same nested subsets, every one scored on the same, untouched test set. */
export function learningCurve(train: LabelledSet, test: LabelledSet, sizes: number[], models: Record<string, Classifier>, seed: number): LearningCurve {
  const subsets = nestedStratifiedSubsets(train.labels, sizes, seed);
  const accuracy: Record<string, number[]> = Object.fromEntries(Object.keys(models).map((m) => [m, []]));
  for (const idx of subsets) {
    const [x, y] = tf.tidy(() => {
      const rows = tf.tensor1d(idx, 'int32');
      return [tf.gather(train.x, rows), tf.gather(tf.tensor1d(train.labels, 'int32'), rows) as tf.Tensor1D];
    });
    for (const [name, fit] of Object.entries(models)) {
      const pred = fit(x!, y as tf.Tensor1D, test.x);
      accuracy[name]!.push(accuracyOf(pred, test.labels));
      pred.dispose();
    }
    tf.dispose([x!, y!]);
  }
  return { sizes: sizes.slice(), accuracy };
}

// ───────────────────────────── Task 4: interpretation ─────────────────────────────

/** Each class's weight column as an image: 0.5 + 0.5·w / max|w of that class| (an all-zero class → 0.5). */
export function weightImages(W: tf.Tensor2D, height: number, width: number): tf.Tensor3D {
  checkMatrix('weightImages', 'W', W);
  if (W.shape[0] !== height * width) {
    throw new CourseError(`weightImages: W has ${W.shape[0]} rows but the images are ${height}×${width} = ${height * width} pixels`, 'pass the height and width of the images the model was trained on');
  }
  return tf.tidy(() => {
    const Wt = tf.transpose(W);
    const scale = tf.max(tf.abs(Wt), 1, true);
    const safe = tf.where(tf.equal(scale, 0), tf.onesLike(scale), scale);
    return tf.reshape(tf.add(tf.mul(tf.div(Wt, safe), 0.5), 0.5), [W.shape[1], height, width]) as tf.Tensor3D;
  });
}

/** Paired deep − traditional gaps per seed and size: mean, sample std, and where deep stays ahead. */
export function compareCurves(sizes: number[], deep: number[][], traditional: number[][]): CurveComparison {
  checkCurves('compareCurves', sizes, deep, traditional);
  const seeds = deep.length;
  const gaps = sizes.map((_, j) => deep.map((row, s) => row[j]! - traditional[s]![j]!));
  const gapMean = gaps.map((g) => g.reduce((a, v) => a + v, 0) / seeds);
  const gapStd = gaps.map((g, j) => (seeds < 2 ? 0 : Math.sqrt(g.reduce((a, v) => a + (v - gapMean[j]!) ** 2, 0) / (seeds - 1))));
  let overtake: number | null = null;
  for (let j = sizes.length - 1; j >= 0 && gapMean[j]! > 0; j--) overtake = sizes[j]!;
  return { gapMean, gapStd, overtakeSize: overtake };
}
