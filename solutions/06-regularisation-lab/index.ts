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

// The shared types and input checks (not the lesson) live in lib/; re-exported so this module's exports stay the same.
export * from '../../lib/exercise-support/06-regularisation-lab.js';
import { checkLambda, checkWeights, checkShape2d, checkStep, checkRate, checkLayerPairs } from '../../lib/exercise-support/06-regularisation-lab.js';
import type { MomentumOptions, MomentumState, AdamOptions, AdamState, StepResult } from '../../lib/exercise-support/06-regularisation-lab.js';

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
