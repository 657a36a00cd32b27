/**
 * 06-regularisation-lab — YOUR CODE goes in the TODO blocks below.
 *
 * Five small tools that decide whether a network trains and generalises, each written by hand
 * on plain tensors: L1/L2 penalties and their gradients, inverted dropout, Xavier/He
 * initialisation, SGD-with-momentum and Adam update rules, and the update/weight ratio.
 *
 * Conventions: a weight matrix W has shape [fanIn, fanOut] (z = x·W + b, examples are rows).
 * Functions return NEW tensors and never dispose or modify their inputs; the caller owns both.
 */
import * as tf from '@tensorflow/tfjs';
import { NotImplemented } from '../../lib/errors.js';

// The shared types and input checks (not the lesson) live in lib/; re-exported so this module's exports stay the same.
export * from '../../lib/exercise-support/06-regularisation-lab.js';
import { checkLambda, checkWeights, checkShape2d, checkStep, checkRate, checkLayerPairs } from '../../lib/exercise-support/06-regularisation-lab.js';
import type { MomentumOptions, MomentumState, AdamOptions, AdamState, StepResult } from '../../lib/exercise-support/06-regularisation-lab.js';

// ───────────────────────────── Task 1: L1 / L2 penalties ─────────────────────────────

/** λ · Σ_layers Σ_ij |W_ij| */
export function l1Penalty(weights: tf.Tensor[], lambda: number): tf.Scalar {
  checkWeights('l1Penalty', weights);
  checkLambda('l1Penalty', lambda);
  // TODO: the L1 penalty over ALL layers, as a scalar tensor.
  //   For each W in `weights` take Σ|W| (tf.abs, tf.sum), add the per-layer sums (tf.addN),
  //   multiply by lambda. Wrap it in tf.tidy so the intermediate tensors are freed.
  throw new NotImplemented('l1Penalty');
}

/** λ · Σ_layers Σ_ij W_ij² (no ½ in front: the slides' convention) */
export function l2Penalty(weights: tf.Tensor[], lambda: number): tf.Scalar {
  checkWeights('l2Penalty', weights);
  checkLambda('l2Penalty', lambda);
  // TODO: like l1Penalty, with squares (tf.square) instead of absolute values.
  throw new NotImplemented('l2Penalty');
}

/** d(l1Penalty)/dW = λ · sign(W) for each layer (0 at W = 0, the subgradient tf.grad uses). */
export function l1PenaltyGrads(weights: tf.Tensor[], lambda: number): tf.Tensor[] {
  checkWeights('l1PenaltyGrads', weights);
  checkLambda('l1PenaltyGrads', lambda);
  // TODO: one tensor per layer, same shape as that layer's W: λ·sign(W) (tf.sign).
  //   Derive it: d|w|/dw = +1 for w > 0, −1 for w < 0. Don't use tf.grad here.
  throw new NotImplemented('l1PenaltyGrads');
}

/** d(l2Penalty)/dW = 2λ · W for each layer. */
export function l2PenaltyGrads(weights: tf.Tensor[], lambda: number): tf.Tensor[] {
  checkWeights('l2PenaltyGrads', weights);
  checkLambda('l2PenaltyGrads', lambda);
  // TODO: one tensor per layer: the derivative of λ·Σw² with respect to each w.
  //   (Differentiate w² yourself; both the 2 and the λ matter.)
  throw new NotImplemented('l2PenaltyGrads');
}

// ───────────────────────────── Task 2: inverted dropout ─────────────────────────────

/**
 * Training: zero each element with probability `rate` and scale the survivors by 1/(1 − rate),
 * so E[output] = x and inference needs no rescaling. Inference: x unchanged (a copy).
 */
export function dropout(x: tf.Tensor, rate: number, seed: number, training: boolean): tf.Tensor {
  checkRate('dropout', rate);
  // TODO:
  //   - not training (or rate 0): return a copy of x (tf.clone), so the caller may dispose the result.
  //   - training: draw u ~ U(0, 1) of x's shape WITH the given seed
  //     (tf.randomUniform(shape, 0, 1, 'float32', seed)); keep where u ≥ rate (tf.greaterEqual,
  //     cast to float32); return x · keep / (1 − rate). The division is the "inverted" part:
  //     it keeps the expected value equal to x. Use tf.tidy.
  throw new NotImplemented('dropout');
}

// ───────────────────────────── Task 3: initialisation ─────────────────────────────

/** Glorot/Xavier uniform: U(−a, a) with a = sqrt(6 / (fanIn + fanOut)), so Var = 2 / (fanIn + fanOut). */
export function xavierUniform(shape: [number, number], seed: number): tf.Tensor2D {
  checkShape2d('xavierUniform', shape);
  // TODO: shape is [fanIn, fanOut]. A uniform on (−a, a) has variance a²/3; pick a so the
  //   variance is 2/(fanIn + fanOut). tf.randomUniform(shape, lo, hi, 'float32', seed).
  throw new NotImplemented('xavierUniform');
}

/** He/Kaiming normal: N(0, σ²) with σ = sqrt(2 / fanIn) (ReLU halves the variance, the 2 restores it). */
export function heNormal(shape: [number, number], seed: number): tf.Tensor2D {
  checkShape2d('heNormal', shape);
  // TODO: tf.randomNormal(shape, mean, STANDARD DEVIATION, 'float32', seed).
  //   Which dimension of [fanIn, fanOut] is the fan-in? (z = x·W sums over W's first axis.)
  throw new NotImplemented('heNormal');
}

// ───────────────────────────── Task 4: optimiser update rules ─────────────────────────────

/** v ← β·v + g;  θ ← θ − α·v  (the tf.train.momentum / PyTorch form, not the slides' (1−β)·g form). */
export function sgdMomentumStep(param: tf.Tensor, grad: tf.Tensor, state: MomentumState, opts: MomentumOptions): StepResult<MomentumState> {
  checkStep('sgdMomentumStep', param, grad, opts.learningRate);
  // TODO: compute the new velocity and the new parameter with the formula above
  //   (β = opts.momentum, α = opts.learningRate). Return NEW tensors
  //   { param, state: { velocity } } from inside a tf.tidy; don't dispose or change the inputs.
  throw new NotImplemented('sgdMomentumStep');
}

/**
 * m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  m̂ = m/(1−β₁ᵗ);  v̂ = v/(1−β₂ᵗ);  θ ← θ − α·m̂/(√v̂ + ε)
 * with t counted from 1 for the first step. Without the bias correction the first steps are
 * wrong in size because m and v start at 0.
 */
export function adamStep(param: tf.Tensor, grad: tf.Tensor, state: AdamState, opts: AdamOptions): StepResult<AdamState> {
  checkStep('adamStep', param, grad, opts.learningRate);
  const { learningRate, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7 } = opts;
  // TODO:
  //   1. t = state.t + 1 (a plain number; β₁ᵗ is Math.pow / ** on numbers, not a tensor op).
  //   2. the new m and v from state.m, state.v and grad (tf.mul, tf.add, tf.square).
  //   3. the bias-corrected m̂ and v̂, then the update α·m̂/(√v̂ + ε) (tf.sqrt, tf.div).
  //   4. return { param: param − update, state: { m, v, t } } — store m and v WITHOUT the
  //      bias correction (the correction is recomputed every step). Use tf.tidy.
  void [learningRate, beta1, beta2, epsilon];
  throw new NotImplemented('adamStep');
}

// ───────────────────────────── Task 5: update/weight ratio ─────────────────────────────

/**
 * ‖W_after − W_before‖₂ / ‖W_before‖₂ for each layer (Frobenius norms), a plain number per layer.
 * Around 1e-3 per step is the slides' rule of thumb: far smaller = the layer barely learns,
 * far larger = the learning rate is too high for it.
 */
export function updateToWeightRatio(before: tf.Tensor[], after: tf.Tensor[]): number[] {
  checkLayerPairs('updateToWeightRatio', before, after);
  // TODO: for each layer i (the checks above already ran):
  //   ratio = sqrt(Σ (after − before)²) / sqrt(Σ before²)   — the L2 norm of the whole matrix,
  //   divided by the norm of the OLD weights. Read each number out with .dataSync()[0] inside
  //   a tf.tidy so nothing leaks; return a plain number[] (Infinity where ‖before‖ = 0).
  throw new NotImplemented('updateToWeightRatio');
}
