/**
 * 08-responsible-ml: the types, input checks, the grouped data set and the small classifier —
 * none of them the lesson — shared by the student stub (exercises/), the reference (solutions/),
 * the graded tests and the full run.
 *
 * The data (documented in exercises/08-responsible-ml/README.md): a binary task on
 * Fashion-MNIST, footwear (sandal, sneaker, ankle boot = 1) vs everything else (0). Group B
 * (id 1) is the same kind of image as a photographic negative: x' = SHIFT_OFFSET + SHIFT_SCALE · x
 * = 1 − x, a dark garment on a light background. (Milder shifts — darker 0.3·x, or washed out
 * 0.35 + 0.4·x — left no error gap at all with this model: measured, see the README.) Which images are in group B is a seeded choice, so the
 * same seed always gives the same sets.
 */
import * as tf from '@tensorflow/tfjs';
import { CourseError } from '../errors.js';
import { loadFashionMnist } from '../data/fashion-mnist.js';
import { makeRng, permutation } from '../random.js';

// ───────────────────────────── types ─────────────────────────────

/** Error rates of one group. A rate whose denominator is 0 (no negatives / no positives) is NaN. */
export interface GroupRates {
  /** examples in the group */
  n: number;
  /** examples with label 1 / label 0 */
  positives: number;
  negatives: number;
  /** (true positives + true negatives) / n */
  accuracy: number;
  /** share predicted 1: P(ŷ = 1 | group) */
  selectionRate: number;
  /** false positives / the group's negatives: P(ŷ = 1 | y = 0, group) */
  fpr: number;
  /** false negatives / the group's positives: P(ŷ = 0 | y = 1, group) */
  fnr: number;
}

/** The audit of a binary classifier over groups A (id 0) and B (id 1). */
export interface Audit {
  /** index = group id: [A, B] */
  groups: [GroupRates, GroupRates];
  /** selection rate of B minus selection rate of A (signed: > 0 means B is predicted 1 more often) */
  demographicParityDifference: number;
  /** max(|FPR_B − FPR_A|, |FNR_B − FNR_A|) (equivalently max of the TPR and FPR gaps) */
  equalisedOddsDifference: number;
}

/** Scores (probability of class 1), labels (0/1) and group ids (0/1) of one split. */
export interface ScoredSet {
  scores: ArrayLike<number>;
  labels: ArrayLike<number>;
  groups: ArrayLike<number>;
}

/** What `thresholdMitigation` returns. */
export interface ThresholdResult {
  /** index = group id */
  thresholds: [number, number];
  /** the test set's predictions under those thresholds */
  testPredictions: Int32Array;
}

/** Features and 0/1 labels of one set of examples. */
export interface Examples {
  x: tf.Tensor2D;
  y: tf.Tensor1D;
}

export interface MembershipResult {
  auc: number;
  memberLosses: Float32Array;
  nonMemberLosses: Float32Array;
}

/** The stated assumptions of a CO₂ estimate. */
export interface EnergyAssumptions {
  /** average power drawn by the machine while training, watts */
  watts: number;
  /** data-centre overhead (power usage effectiveness), ≥ 1; 1 for a laptop */
  pue: number;
  /** carbon intensity of the electricity, grams CO₂-equivalent per kWh */
  gramsPerKWh: number;
}

export interface EnergyEstimate {
  kWh: number;
  gramsCO2: number;
}

// ───────────────────────────── checks ─────────────────────────────

function checkBinary(fn: string, what: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== 0 && v !== 1) {
      throw new CourseError(`${fn}: ${what}[${i}] is ${v}, expected 0 or 1`, `${what} must hold only 0 and 1 (group ids: 0 = A, 1 = B)`);
    }
  }
}

/** Same non-zero length, and every prediction, label and group id is 0 or 1. */
export function checkAuditInputs(fn: string, predictions: ArrayLike<number>, labels: ArrayLike<number>, groups: ArrayLike<number>): void {
  if (predictions.length === 0 || predictions.length !== labels.length || labels.length !== groups.length) {
    throw new CourseError(
      `${fn}: ${predictions.length} predictions, ${labels.length} labels, ${groups.length} group ids`,
      'pass one prediction, one label and one group id per example (at least one example)',
    );
  }
  checkBinary(fn, 'predictions', predictions);
  checkBinary(fn, 'labels', labels);
  checkBinary(fn, 'groups', groups);
}

/** Scores finite, labels and groups 0/1, all the same non-zero length. */
export function checkScoredSet(fn: string, set: ScoredSet): void {
  const { scores, labels, groups } = set;
  if (scores.length === 0 || scores.length !== labels.length || labels.length !== groups.length) {
    throw new CourseError(`${fn}: ${scores.length} scores, ${labels.length} labels, ${groups.length} group ids`, 'pass one score, label and group id per example');
  }
  for (let i = 0; i < scores.length; i++) {
    if (!Number.isFinite(scores[i])) throw new CourseError(`${fn}: scores[${i}] is ${scores[i]}`, 'scores must be finite numbers (probabilities of class 1)');
  }
  checkBinary(fn, 'labels', labels);
  checkBinary(fn, 'groups', groups);
}

export function checkRate(fn: string, name: string, rate: number): void {
  if (!(rate >= 0 && rate <= 1)) throw new CourseError(`${fn}: ${name} must be in [0, 1], got ${rate}`, `pass a rate such as 0.1`);
}

export function checkStrength(fn: string, strength: number): void {
  if (!(strength >= 0 && strength <= 1)) {
    throw new CourseError(`${fn}: strength must be in [0, 1], got ${strength}`, '0 = no reweighting, 1 = both groups carry equal total weight');
  }
}

export function checkLosses(fn: string, what: string, losses: ArrayLike<number>): void {
  if (losses.length === 0) throw new CourseError(`${fn}: ${what} is empty`, 'the attack needs at least one member and one non-member loss');
  for (let i = 0; i < losses.length; i++) {
    if (!Number.isFinite(losses[i])) throw new CourseError(`${fn}: ${what}[${i}] is ${losses[i]}`, 'losses must be finite numbers');
  }
}

export function checkSizes(fn: string, sizes: readonly number[], batch: number): void {
  if (sizes.length < 2 || !sizes.every((s) => Number.isInteger(s) && s > 0)) {
    throw new CourseError(`${fn}: layer sizes [${sizes.join(', ')}]`, 'pass at least an input and an output size, all positive integers, e.g. [784, 32, 1]');
  }
  if (!(Number.isInteger(batch) && batch > 0)) throw new CourseError(`${fn}: batch ${batch}`, 'the batch size must be a positive integer');
}

export function checkAssumptions(fn: string, seconds: number, a: EnergyAssumptions): void {
  if (!(seconds >= 0) || !Number.isFinite(seconds)) throw new CourseError(`${fn}: seconds is ${seconds}`, 'pass the measured training time in seconds (≥ 0)');
  if (!(a.watts > 0) || !(a.pue >= 1) || !(a.gramsPerKWh >= 0)) {
    throw new CourseError(`${fn}: assumptions ${JSON.stringify(a)}`, 'watts > 0, pue ≥ 1 (1 = no overhead), gramsPerKWh ≥ 0');
  }
}

// ───────────────────────────── data ─────────────────────────────

export const FOOTWEAR = [5, 7, 9] as const;
/** group B's appearance: x' = SHIFT_OFFSET + SHIFT_SCALE · x (the negative: light background, dark object) */
export const SHIFT_OFFSET = 1;
export const SHIFT_SCALE = -1;

export interface GroupedSet {
  /** n × 784 pixels in [0, 1] (group B already shifted) */
  images: Float32Array;
  /** the same images before the shift (to show what changed) */
  original: Float32Array;
  /** 1 = footwear */
  labels: Int32Array;
  /** 0 = group A, 1 = group B */
  groups: Int32Array;
  n: number;
}

function makeGroups(images: Float32Array, classIds: ArrayLike<number>, first: number, count: number, shareB: number, seed: number): GroupedSet {
  const original = images.slice(first * 784, (first + count) * 784);
  const shifted = original.slice();
  const labels = new Int32Array(count);
  const groups = new Int32Array(count);
  for (let i = 0; i < count; i++) labels[i] = (FOOTWEAR as readonly number[]).includes(classIds[first + i]!) ? 1 : 0;
  // exactly round(share · count) examples, chosen by a seeded permutation, go to group B
  for (const i of permutation(count, makeRng(seed)).slice(0, Math.round(shareB * count))) {
    groups[i] = 1;
    for (let p = i * 784; p < (i + 1) * 784; p++) shifted[p] = SHIFT_OFFSET + SHIFT_SCALE * shifted[p]!;
  }
  return { images: shifted, original, labels, groups, n: count };
}

/**
 * The three splits: `train` (from Fashion-MNIST's training split, B share `trainShareB`), and
 * `val` and `test` (disjoint, from its test split, B share `evalShareB` each).
 */
export function groupedFashion(o: { train: number; val: number; test: number; trainShareB: number; evalShareB: number; seed: number }): { train: GroupedSet; val: GroupedSet; test: GroupedSet } {
  const tr = loadFashionMnist('train', { limit: o.train, seed: o.seed });
  const ev = loadFashionMnist('test', { limit: o.val + o.test, seed: o.seed + 1 });
  return {
    train: makeGroups(tr.images, tr.labels, 0, o.train, o.trainShareB, o.seed + 2),
    val: makeGroups(ev.images, ev.labels, 0, o.val, o.evalShareB, o.seed + 3),
    test: makeGroups(ev.images, ev.labels, o.val, o.test, o.evalShareB, o.seed + 4),
  };
}

export function examplesOf(set: GroupedSet): Examples {
  return { x: tf.tensor2d(set.images, [set.n, 784]), y: tf.tensor1d(Float32Array.from(set.labels)) };
}

// ───────────────────────────── the classifier ─────────────────────────────

/**
 * A one-hidden-layer ReLU MLP with one logit output, trained with Adam on a per-example
 * weighted binary cross-entropy (+ an optional L2 penalty). Small on purpose: tests train it
 * in seconds.
 */
export class SmallClassifier {
  readonly vars: tf.Variable[];
  private readonly optimizer: tf.Optimizer;

  constructor(readonly sizes: [number, number], readonly o: { seed: number; learningRate?: number; l2?: number }) {
    const [inputs, hidden] = sizes;
    this.vars = tf.tidy(() => [
      tf.variable(tf.randomNormal([inputs, hidden], 0, Math.sqrt(2 / inputs), 'float32', o.seed)),
      tf.variable(tf.zeros([hidden])),
      tf.variable(tf.randomNormal([hidden, 1], 0, Math.sqrt(1 / hidden), 'float32', o.seed + 1)),
      tf.variable(tf.zeros([1])),
    ]);
    this.optimizer = tf.train.adam(o.learningRate ?? 1e-3);
  }

  /** one logit per row of x */
  logits(x: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => {
      const [w1, b1, w2, b2] = this.vars as [tf.Variable, tf.Variable, tf.Variable, tf.Variable];
      return tf.reshape(tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, w1), b1)), w2), b2), [x.shape[0]]) as tf.Tensor1D;
    });
  }

  /** P(class 1) per row, as numbers */
  scores(x: tf.Tensor2D): Float32Array {
    return tf.tidy(() => tf.sigmoid(this.logits(x)).dataSync() as Float32Array).slice();
  }

  /** One Adam step on a batch; `weights` (one per example, mean ≈ 1) scale each example's loss. */
  step(x: tf.Tensor2D, y: tf.Tensor1D, weights?: tf.Tensor1D): number {
    const l2 = this.o.l2 ?? 0;
    const cost = this.optimizer.minimize(() => {
      const per = tf.losses.sigmoidCrossEntropy(y, this.logits(x), undefined, undefined, tf.Reduction.NONE);
      const data = weights ? tf.div(tf.sum(tf.mul(per, weights)), tf.sum(weights)) : tf.mean(per);
      return l2 > 0 ? tf.add(data, tf.mul(l2, tf.add(tf.sum(tf.square(this.vars[0]!)), tf.sum(tf.square(this.vars[2]!))))) as tf.Scalar : (data as tf.Scalar);
    }, true, this.vars);
    const v = cost!.dataSync()[0]!;
    cost!.dispose();
    return v;
  }

  /** the weights as plain arrays (the checkpoint; Adam's moments restart on resume) */
  snapshot(): number[][] {
    return this.vars.map((v) => Array.from(v.dataSync()));
  }

  restore(s: number[][]): void {
    this.vars.forEach((v, i) => v.assign(tf.tensor(s[i]!, v.shape)));
  }

  dispose(): void {
    tf.dispose(this.vars);
    this.optimizer.dispose();
  }
}

// ───────────────────────────── helpers for plots ─────────────────────────────

/** ROC points (FPR, TPR) of "member if loss ≤ t" over every threshold t, from (0,0) to (1,1). */
export function rocPoints(memberLosses: ArrayLike<number>, nonMemberLosses: ArrayLike<number>): { fpr: number[]; tpr: number[] } {
  const all = [...Array.from(memberLosses, (l) => ({ l, m: 1 })), ...Array.from(nonMemberLosses, (l) => ({ l, m: 0 }))].sort((a, b) => a.l - b.l);
  const fpr = [0];
  const tpr = [0];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < all.length; i++) {
    if (all[i]!.m) tp++;
    else fp++;
    // one point per distinct loss value: tied losses move both counts together
    if (i === all.length - 1 || all[i + 1]!.l !== all[i]!.l) {
      fpr.push(fp / nonMemberLosses.length);
      tpr.push(tp / memberLosses.length);
    }
  }
  return { fpr, tpr };
}

/**
 * Share of a saliency map's total mass on the object's pixels (original pixel > 0.1) rather than
 * on the background, per image; NaN for an all-zero map (every ReLU off: the model is blind to
 * that image, there is nothing to share).
 */
export function objectShare(saliency: Float32Array, original: Float32Array, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let onObject = 0;
    let total = 0;
    for (let p = i * 784; p < (i + 1) * 784; p++) {
      total += saliency[p]!;
      if (original[p]! > 0.1) onObject += saliency[p]!;
    }
    out.push(total > 0 ? onObject / total : Number.NaN);
  }
  return out;
}
