/**
 * 09-dl-vs-ml: the types, input checks and small helpers that are not the lesson, shared by the
 * student stub (exercises/) and the reference (solutions/), which re-export them.
 */
import * as tf from '@tensorflow/tfjs';
import { CourseError } from '../errors.js';

/** A softmax (multinomial logistic) regression: logits = x·W + b. */
export interface SoftmaxModel {
  /** [features, classes] */
  W: tf.Tensor2D;
  /** [classes] */
  b: tf.Tensor1D;
}

export interface SoftmaxOptions {
  numClasses: number;
  /** L2 strength λ on W (never on b); 0 switches it off */
  lambda: number;
  learningRate: number;
  /** full-batch gradient-descent steps, starting from W = 0, b = 0 */
  steps: number;
}

/** A labelled set: rows of x (any rank, first dimension = examples) and their class ids. */
export interface LabelledSet {
  x: tf.Tensor;
  labels: Int32Array;
}

/**
 * A model under test in a learning curve: fit on (xTrain, yTrain), return predicted class ids
 * for every row of xTest (int32 [nTest]). The caller disposes what it returns; it must not
 * dispose its inputs.
 */
export type Classifier = (xTrain: tf.Tensor, yTrain: tf.Tensor1D, xTest: tf.Tensor) => tf.Tensor1D;

export interface LearningCurve {
  sizes: number[];
  /** test accuracy per model, one entry per size */
  accuracy: Record<string, number[]>;
}

/** Deep-minus-traditional accuracy gap, per size, over seeds. */
export interface CurveComparison {
  gapMean: number[];
  /** sample standard deviation over seeds (n − 1); 0 with one seed */
  gapStd: number[];
  /** smallest size from which the mean gap is > 0 at that size and every larger one; null if none */
  overtakeSize: number | null;
}

export function checkMatrix(fn: string, name: string, t: tf.Tensor): void {
  if (!(t instanceof tf.Tensor) || t.rank !== 2 || t.shape[0] === 0) {
    throw new CourseError(`${fn}: ${name} must be a 2-D tensor [examples, features], got shape [${t instanceof tf.Tensor ? t.shape.join(', ') : typeof t}]`, 'flatten images to rows first, e.g. x.reshape([n, -1])');
  }
}

export function checkLabels(fn: string, labels: tf.Tensor, rows: number): void {
  if (labels.rank !== 1 || labels.shape[0] !== rows || labels.dtype !== 'int32') {
    throw new CourseError(`${fn}: labels must be int32 [${rows}] (one class id per row), got ${labels.dtype} [${labels.shape.join(', ')}]`, 'pass tf.tensor1d(ids, "int32")');
  }
}

export function checkSoftmaxOptions(fn: string, o: SoftmaxOptions): void {
  const bad = !Number.isInteger(o.numClasses) || o.numClasses < 2 ? 'numClasses must be an integer ≥ 2'
    : !Number.isFinite(o.lambda) || o.lambda < 0 ? 'lambda must be a finite number ≥ 0'
    : !Number.isFinite(o.learningRate) || o.learningRate <= 0 ? 'learningRate must be > 0'
    : !Number.isInteger(o.steps) || o.steps < 0 ? 'steps must be an integer ≥ 0' : null;
  if (bad) throw new CourseError(`${fn}: ${bad} (got ${JSON.stringify(o)})`, 'pass e.g. { numClasses: 10, lambda: 1e-3, learningRate: 0.5, steps: 200 }');
}

export function checkK(fn: string, k: number, available: number): void {
  if (!Number.isInteger(k) || k < 1 || k > available) {
    throw new CourseError(`${fn}: k must be an integer in 1..${available} (the reference points available), got ${k}`, 'use a small odd k such as 1, 3 or 5');
  }
}

export function checkImages(fn: string, images: tf.Tensor, bins: number): void {
  if (!(images instanceof tf.Tensor) || images.rank !== 3 || images.shape[1]! < 2 || images.shape[2]! < 2) {
    throw new CourseError(`${fn}: images must be [n, height, width] with height, width ≥ 2, got [${images instanceof tf.Tensor ? images.shape.join(', ') : typeof images}]`, 'drop the channel axis: images.reshape([n, 28, 28])');
  }
  if (!Number.isInteger(bins) || bins < 1) throw new CourseError(`${fn}: bins must be a positive integer, got ${bins}`, 'use e.g. 8 or 16 bins');
  const [lo, hi] = tf.tidy(() => [tf.min(images).dataSync()[0]!, tf.max(images).dataSync()[0]!]);
  if (!(lo! >= 0 && hi! <= 1)) throw new CourseError(`${fn}: pixel values must lie in [0, 1], found ${lo}..${hi}`, 'divide 0..255 pixels by 255');
}

export function checkSizes(fn: string, sizes: readonly number[], pool: number): void {
  const ok = sizes.length > 0 && sizes.every((s, i) => Number.isInteger(s) && s >= 1 && s <= pool && (i === 0 || s > sizes[i - 1]!));
  if (!ok) throw new CourseError(`${fn}: sizes must be increasing integers in 1..${pool} (the pool's size), got [${sizes.join(', ')}]`, 'pass e.g. [100, 200, 400]');
}

export function checkCurves(fn: string, sizes: readonly number[], a: readonly number[][], b: readonly number[][]): void {
  const ok = a.length > 0 && a.length === b.length && [...a, ...b].every((row) => row.length === sizes.length && row.every(Number.isFinite));
  if (!ok) throw new CourseError(`${fn}: expected two [seeds][sizes] arrays of the same shape (${sizes.length} sizes), finite numbers`, 'pass one accuracy curve per seed for each model, measured on the same sizes');
}

/** Predicted class ids of a softmax regression: argmax of x·W + b (int32 [n]). */
export function softmaxPredict(model: SoftmaxModel, x: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => tf.argMax(tf.add(tf.matMul(x, model.W), model.b), 1) as tf.Tensor1D);
}

/** Fraction of predictions equal to the labels. */
export function accuracyOf(pred: tf.Tensor1D, labels: ArrayLike<number>): number {
  const p = pred.dataSync();
  let hit = 0;
  for (let i = 0; i < p.length; i++) if (p[i] === labels[i]) hit++;
  return hit / p.length;
}

export function disposeModel(m: SoftmaxModel): void {
  tf.dispose([m.W, m.b]);
}
