/**
 * 06-regularisation-lab — YOUR CODE goes in the TODO blocks below. Each TODO says WHAT the
 * function must compute (formula, shapes, edge cases); HOW is in the hints:
 * `course hint 06-regularisation-lab`.
 *
 * Five small tools that decide whether a network trains and generalises, each written by hand
 * on plain tensors: L1/L2 penalties and their gradients, inverted dropout, Xavier/He
 * initialisation, SGD-with-momentum and Adam update rules, and the update/weight ratio.
 *
 * Conventions: a weight matrix W has shape [fanIn, fanOut] (z = x·W + b, examples are rows).
 * Functions return NEW tensors and never dispose or modify their inputs; the caller owns both.
 * No function leaves intermediate tensors behind. Bad input is rejected by the given check…
 * calls at the top of each function (CourseError): keep them first.
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
  // TODO: the L1 penalty over ALL layers (every entry of every W), as a scalar tensor.
  //   Check: W = [3, 4], λ = 0.1 → 0.7. λ = 0 → 0.
  throw new NotImplemented('l1Penalty');
}

/** λ · Σ_layers Σ_ij W_ij² (no ½ in front: the slides' convention) */
export function l2Penalty(weights: tf.Tensor[], lambda: number): tf.Scalar {
  checkWeights('l2Penalty', weights);
  checkLambda('l2Penalty', lambda);
  // TODO: the L2 penalty over ALL layers, as a scalar tensor. Check: W = [3, 4], λ = 0.1 → 2.5.
  throw new NotImplemented('l2Penalty');
}

/** d(l1Penalty)/dW for each layer (at W = 0 the subgradient 0, as tfjs's autodiff uses). */
export function l1PenaltyGrads(weights: tf.Tensor[], lambda: number): tf.Tensor[] {
  checkWeights('l1PenaltyGrads', weights);
  checkLambda('l1PenaltyGrads', lambda);
  // TODO: one tensor per layer, same shape as that layer's W: the derivative of λ·Σ|w| with
  //   respect to each w (d|w|/dw = +1 for w > 0, −1 for w < 0, 0 at 0), derived by hand — not
  //   with autodiff. Check: W = [3, −4], λ = 0.1 → [0.1, −0.1].
  throw new NotImplemented('l1PenaltyGrads');
}

/** d(l2Penalty)/dW for each layer. */
export function l2PenaltyGrads(weights: tf.Tensor[], lambda: number): tf.Tensor[] {
  checkWeights('l2PenaltyGrads', weights);
  checkLambda('l2PenaltyGrads', lambda);
  // TODO: one tensor per layer, same shape as its W: the derivative of λ·Σw² with respect to
  //   each w, derived by hand. Check: W = [3, 4], λ = 0.1 → [0.6, 0.8].
  throw new NotImplemented('l2PenaltyGrads');
}

// ───────────────────────────── Task 2: inverted dropout ─────────────────────────────

/**
 * Training: zero each element with probability `rate` and scale the survivors by 1/(1 − rate),
 * so E[output] = x and inference needs no rescaling. Inference: x unchanged (a copy).
 */
export function dropout(x: tf.Tensor, rate: number, seed: number, training: boolean): tf.Tensor {
  checkRate('dropout', rate);
  // TODO: the contract above, precisely:
  //   - not training, or rate 0: the values of x unchanged, as a NEW tensor (the caller may
  //     dispose the result without losing x);
  //   - training: each element independently zeroed with probability `rate`, the others
  //     multiplied by 1/(1 − rate) (the "inverted" part: E[output] = x, so inference needs no
  //     rescaling); same shape and dtype float32;
  //   - the mask depends only on `seed` (same seed → same units dropped, another seed → others).
  throw new NotImplemented('dropout');
}

// ───────────────────────────── Task 3: initialisation ─────────────────────────────

/** Glorot/Xavier uniform: U(−a, a) with a = √(6 / (fanIn + fanOut)), so Var = 2 / (fanIn + fanOut). */
export function xavierUniform(shape: [number, number], seed: number): tf.Tensor2D {
  checkShape2d('xavierUniform', shape);
  // TODO: a [fanIn, fanOut] float32 tensor drawn from that distribution (every value inside
  //   (−a, a), variance 2/(fanIn + fanOut)), the draw determined by `seed`.
  throw new NotImplemented('xavierUniform');
}

/** He/Kaiming normal: N(0, σ²) with σ = √(2 / fanIn) (ReLU halves the variance, the 2 restores it). */
export function heNormal(shape: [number, number], seed: number): tf.Tensor2D {
  checkShape2d('heNormal', shape);
  // TODO: a [fanIn, fanOut] float32 tensor from N(0, 2/fanIn) (variance 2/fanIn), determined
  //   by `seed`. The fan-in is the number of inputs each unit sums over (z = x·W).
  throw new NotImplemented('heNormal');
}

// ───────────────────────────── Task 4: optimiser update rules ─────────────────────────────

/** v ← β·v + g;  θ ← θ − α·v  (the tf.train.momentum / PyTorch form, not the slides' (1−β)·g form). */
export function sgdMomentumStep(param: tf.Tensor, grad: tf.Tensor, state: MomentumState, opts: MomentumOptions): StepResult<MomentumState> {
  checkStep('sgdMomentumStep', param, grad, opts.learningRate);
  // TODO: the new velocity and the new parameter by the formula above (β = opts.momentum,
  //   α = opts.learningRate), as NEW tensors { param, state: { velocity } }; the inputs stay
  //   valid and unchanged. Must match tfjs's momentum optimiser (no Nesterov) step for step.
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
  // TODO: one Adam step by the formulas above, as NEW tensors
  //   { param, state: { m, v, t } } where t = state.t + 1 and m, v are the moments WITHOUT the
  //   bias correction (it is recomputed from t at every step); inputs stay valid and unchanged.
  //   Checks: the very first step moves every weight by ≈ learningRate (in the direction
  //   −sign of its gradient); ten steps match tfjs's Adam optimiser to 1e-5.
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
  // TODO: one plain number per layer: the Frobenius norm of the change divided by the norm of
  //   the OLD weights. Check: before [3, 4], after [6, 8] → 1 (not 0.5). Infinity where
  //   ‖before‖ = 0. No tensors left behind.
  throw new NotImplemented('updateToWeightRatio');
}
