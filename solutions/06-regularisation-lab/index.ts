/**
 * 06-regularisation-lab — the reference solution.
 *
 * Five small tools that decide whether a network trains and generalises, each written by hand
 * on plain tensors: L1/L2 penalties and their gradients, inverted dropout, Xavier/He
 * initialisation, SGD-with-momentum and Adam update rules, and the update/weight ratio.
 *
 * Conventions: a weight matrix W has shape [fanIn, fanOut] (z = x·W + b, examples are rows).
 * Functions return NEW tensors and never dispose or modify their inputs; the caller owns both.
 */
import * as tf from '@tensorflow/tfjs';
import { CourseError } from '../../lib/errors.js';

// ───────────────────────────── shared types and helpers (not the lesson) ─────────────────────────────

export interface MomentumOptions {
  learningRate: number;
  /** β: how much of the previous velocity is kept (tf.train.momentum's `momentum`) */
  momentum: number;
}
/** The velocity v, same shape as the parameter. */
export interface MomentumState {
  velocity: tf.Tensor;
}

export interface AdamOptions {
  learningRate: number;
  /** decay of the first moment (mean of the gradient); default 0.9 */
  beta1?: number;
  /** decay of the second moment (mean of the squared gradient); default 0.999 */
  beta2?: number;
  /** added to sqrt(v̂) so the division never blows up; default 1e-7 (tf.train.adam's float32 default) */
  epsilon?: number;
}
/** Adam's running moments and the number of steps already taken. */
export interface AdamState {
  m: tf.Tensor;
  v: tf.Tensor;
  /** steps taken so far (0 before the first step) */
  t: number;
}

/** What an optimiser step returns: the updated parameter and the new state (inputs untouched). */
export interface StepResult<S> {
  param: tf.Tensor;
  state: S;
}

export function initMomentumState(param: tf.Tensor): MomentumState {
  return { velocity: tf.zerosLike(param) };
}

export function initAdamState(param: tf.Tensor): AdamState {
  return { m: tf.zerosLike(param), v: tf.zerosLike(param), t: 0 };
}

export function disposeState(state: MomentumState | AdamState): void {
  tf.dispose(Object.values(state).filter((v): v is tf.Tensor => v instanceof tf.Tensor));
}

export function checkLambda(fn: string, lambda: number): void {
  if (!Number.isFinite(lambda) || lambda < 0) {
    throw new CourseError(`${fn}: lambda must be a finite number ≥ 0, got ${lambda}`, 'pass the regularisation strength, e.g. 1e-4 (0 switches the penalty off)');
  }
}

export function checkWeights(fn: string, weights: readonly tf.Tensor[]): void {
  if (!Array.isArray(weights) || weights.length === 0) {
    throw new CourseError(`${fn}: expected a non-empty array of weight tensors`, 'pass the kernels of every layer, e.g. [W1, W2] (not the biases)');
  }
}

export function checkShape2d(fn: string, shape: readonly number[]): void {
  if (shape.length !== 2 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new CourseError(`${fn}: shape must be [fanIn, fanOut] with positive integers, got [${shape.join(', ')}]`, 'pass the weight matrix shape, e.g. [784, 256]');
  }
}

export function checkStep(fn: string, param: tf.Tensor, grad: tf.Tensor, learningRate: number): void {
  if (!tf.util.arraysEqual(param.shape, grad.shape)) {
    throw new CourseError(`${fn}: grad has shape [${grad.shape}] but param has [${param.shape}]`, 'pass the gradient of the loss with respect to this very parameter');
  }
  if (!Number.isFinite(learningRate) || learningRate <= 0) {
    throw new CourseError(`${fn}: learningRate must be > 0, got ${learningRate}`, 'use e.g. 0.01 for momentum, 0.001 for Adam');
  }
}

export function checkRate(fn: string, rate: number): void {
  if (!Number.isFinite(rate) || rate < 0 || rate >= 1) {
    throw new CourseError(`${fn}: rate must be in [0, 1), got ${rate}`, 'rate is the fraction of units DROPPED, e.g. 0.5; 1 would drop everything');
  }
}

/** before and after must hold the same layers with the same shapes. */
export function checkLayerPairs(fn: string, before: readonly tf.Tensor[], after: readonly tf.Tensor[]): void {
  checkWeights(fn, before);
  const fix = 'pass the same layers, in the same order, before and after the step';
  if (!Array.isArray(after) || after.length !== before.length) {
    throw new CourseError(`${fn}: got ${before.length} tensors before but ${after?.length} after`, fix);
  }
  before.forEach((b, i) => {
    if (!tf.util.arraysEqual(after[i]!.shape, b.shape)) {
      throw new CourseError(`${fn}: layer ${i} has shape [${b.shape}] before and [${after[i]!.shape}] after`, fix);
    }
  });
}

// ───────────────────────────── Task 1: L1 / L2 penalties ─────────────────────────────

/** λ · Σ_layers Σ_ij |W_ij| */
export function l1Penalty(weights: tf.Tensor[], lambda: number): tf.Scalar {
  checkWeights('l1Penalty', weights);
  checkLambda('l1Penalty', lambda);
  return tf.tidy(() => tf.mul(tf.addN(weights.map((w) => tf.sum(tf.abs(w)))), lambda) as tf.Scalar);
}

/** λ · Σ_layers Σ_ij W_ij² (no ½ in front: the slides' convention) */
export function l2Penalty(weights: tf.Tensor[], lambda: number): tf.Scalar {
  checkWeights('l2Penalty', weights);
  checkLambda('l2Penalty', lambda);
  return tf.tidy(() => tf.mul(tf.addN(weights.map((w) => tf.sum(tf.square(w)))), lambda) as tf.Scalar);
}

/** d(l1Penalty)/dW = λ · sign(W) for each layer (0 at W = 0, the subgradient tf.grad uses). */
export function l1PenaltyGrads(weights: tf.Tensor[], lambda: number): tf.Tensor[] {
  checkWeights('l1PenaltyGrads', weights);
  checkLambda('l1PenaltyGrads', lambda);
  return weights.map((w) => tf.tidy(() => tf.mul(tf.sign(w), lambda)));
}

/** d(l2Penalty)/dW = 2λ · W for each layer. */
export function l2PenaltyGrads(weights: tf.Tensor[], lambda: number): tf.Tensor[] {
  checkWeights('l2PenaltyGrads', weights);
  checkLambda('l2PenaltyGrads', lambda);
  return weights.map((w) => tf.tidy(() => tf.mul(w, 2 * lambda)));
}

// ───────────────────────────── Task 2: inverted dropout ─────────────────────────────

/**
 * Training: zero each element with probability `rate` and scale the survivors by 1/(1 − rate),
 * so E[output] = x and inference needs no rescaling. Inference: x unchanged (a copy).
 */
export function dropout(x: tf.Tensor, rate: number, seed: number, training: boolean): tf.Tensor {
  checkRate('dropout', rate);
  if (!training || rate === 0) return tf.clone(x);
  return tf.tidy(() => {
    const keep = tf.cast(tf.greaterEqual(tf.randomUniform(x.shape, 0, 1, 'float32', seed), rate), x.dtype);
    return tf.div(tf.mul(x, keep), 1 - rate);
  });
}

// ───────────────────────────── Task 3: initialisation ─────────────────────────────

/** Glorot/Xavier uniform: U(−a, a) with a = sqrt(6 / (fanIn + fanOut)), so Var = 2 / (fanIn + fanOut). */
export function xavierUniform(shape: [number, number], seed: number): tf.Tensor2D {
  checkShape2d('xavierUniform', shape);
  const [fanIn, fanOut] = shape;
  const a = Math.sqrt(6 / (fanIn + fanOut));
  return tf.randomUniform(shape, -a, a, 'float32', seed) as tf.Tensor2D;
}

/** He/Kaiming normal: N(0, σ²) with σ = sqrt(2 / fanIn) (ReLU halves the variance, the 2 restores it). */
export function heNormal(shape: [number, number], seed: number): tf.Tensor2D {
  checkShape2d('heNormal', shape);
  return tf.randomNormal(shape, 0, Math.sqrt(2 / shape[0]), 'float32', seed) as tf.Tensor2D;
}

// ───────────────────────────── Task 4: optimiser update rules ─────────────────────────────

/** v ← β·v + g;  θ ← θ − α·v  (the tf.train.momentum / PyTorch form, not the slides' (1−β)·g form). */
export function sgdMomentumStep(param: tf.Tensor, grad: tf.Tensor, state: MomentumState, opts: MomentumOptions): StepResult<MomentumState> {
  checkStep('sgdMomentumStep', param, grad, opts.learningRate);
  return tf.tidy(() => {
    const velocity = tf.add(tf.mul(state.velocity, opts.momentum), grad);
    return { param: tf.sub(param, tf.mul(velocity, opts.learningRate)), state: { velocity } };
  });
}

/**
 * m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  m̂ = m/(1−β₁ᵗ);  v̂ = v/(1−β₂ᵗ);  θ ← θ − α·m̂/(√v̂ + ε)
 * with t counted from 1 for the first step. Without the bias correction the first steps are
 * wrong in size because m and v start at 0.
 */
export function adamStep(param: tf.Tensor, grad: tf.Tensor, state: AdamState, opts: AdamOptions): StepResult<AdamState> {
  checkStep('adamStep', param, grad, opts.learningRate);
  const { learningRate, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7 } = opts;
  const t = state.t + 1;
  return tf.tidy(() => {
    const m = tf.add(tf.mul(state.m, beta1), tf.mul(grad, 1 - beta1));
    const v = tf.add(tf.mul(state.v, beta2), tf.mul(tf.square(grad), 1 - beta2));
    const mHat = tf.div(m, 1 - beta1 ** t);
    const vHat = tf.div(v, 1 - beta2 ** t);
    const update = tf.div(mHat, tf.add(tf.sqrt(vHat), epsilon));
    return { param: tf.sub(param, tf.mul(update, learningRate)), state: { m, v, t } };
  });
}

// ───────────────────────────── Task 5: update/weight ratio ─────────────────────────────

/**
 * ‖W_after − W_before‖₂ / ‖W_before‖₂ for each layer (Frobenius norms), a plain number per layer.
 * Around 1e-3 per step is the slides' rule of thumb: far smaller = the layer barely learns,
 * far larger = the learning rate is too high for it.
 */
export function updateToWeightRatio(before: tf.Tensor[], after: tf.Tensor[]): number[] {
  checkLayerPairs('updateToWeightRatio', before, after);
  return before.map((b, i) => {
    const [delta, norm] = tf.tidy(() => [tf.norm(tf.sub(after[i]!, b)).dataSync()[0]!, tf.norm(b).dataSync()[0]!]);
    return norm === 0 ? Infinity : delta! / norm!;
  });
}
