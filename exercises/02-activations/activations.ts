/**
 * Task 1: activation functions and their derivatives, written from their formulas with
 * elementary tensor arithmetic — not with tfjs's own sigmoid/tanh/relu/elu/softmax — so each
 * formula is visible. HOW: `course hint 02-activations 1`.
 *
 * Contract for every function here:
 * - takes a tensor `x` of any shape and returns a NEW float32 tensor of the same shape,
 *   computed element by element; leaves no other tensors behind;
 * - the `…Derivative` functions return f'(x) element-wise (what backprop multiplies by); the
 *   tests compare them with tfjs's autodiff of YOUR forward function, so every forward function
 *   must be differentiable by tfjs (in tfjs 4.22 autodiff cannot pass through a comparison such
 *   as "x > 0" used to select values: build the forward functions without one);
 * - finite for large inputs (|x| = 100): no e^x may overflow to Infinity (float32 overflows
 *   above e^88), no Infinity/Infinity.
 */
import * as tf from '@tensorflow/tfjs';
import { NotImplemented } from '../../lib/errors.js';

// ---- sigmoid: σ(x) = 1 / (1 + e^(−x)), range (0, 1) ----
export function sigmoid(x: tf.Tensor): tf.Tensor {
  // TODO: σ(x) = 1 / (1 + e^−x). σ(0) = 0.5.
  throw new NotImplemented('sigmoid');
}
export function sigmoidDerivative(x: tf.Tensor): tf.Tensor {
  // TODO: σ'(x), written in terms of σ(x) itself. Its maximum is 0.25 at x = 0 — why deep sigmoid
  // nets lose gradient: every layer multiplies the backward signal by at most 1/4.
  throw new NotImplemented('sigmoidDerivative');
}

// ---- tanh, range (−1, 1), zero-centred ----
export function tanh(x: tf.Tensor): tf.Tensor {
  // TODO: tanh(x) = (eˣ − e⁻ˣ)/(eˣ + e⁻ˣ), range (−1, 1), zero-centred; tanh(±100) = ±1 exactly,
  // not NaN (taken literally, that quotient is Infinity/Infinity for |x| > 88).
  throw new NotImplemented('tanh');
}
export function tanhDerivative(x: tf.Tensor): tf.Tensor {
  // TODO: tanh'(x), in terms of tanh(x) itself; tanh'(0) = 1.
  throw new NotImplemented('tanhDerivative');
}

// ---- ReLU family ----
// The derivatives below are defined with the value at the kink x = 0 that tfjs uses: the
// derivative of the x ≤ 0 side.
export function relu(x: tf.Tensor): tf.Tensor {
  // TODO: ReLU: x for x > 0, else 0.
  throw new NotImplemented('relu');
}
export function reluDerivative(x: tf.Tensor): tf.Tensor {
  // TODO: 1 where x > 0, else 0 (0 at x = 0). float32, like every result here (not bool).
  throw new NotImplemented('reluDerivative');
}

export function leakyRelu(x: tf.Tensor, alpha = 0.01): tf.Tensor {
  // TODO: x for x > 0, α·x otherwise (a small slope keeps negative units learning). Any α ≥ 0.
  throw new NotImplemented('leakyRelu');
}
export function leakyReluDerivative(x: tf.Tensor, alpha = 0.01): tf.Tensor {
  // TODO: 1 for x > 0, α otherwise.
  throw new NotImplemented('leakyReluDerivative');
}

export function elu(x: tf.Tensor, alpha = 1): tf.Tensor {
  // TODO: ELU: x for x > 0, α·(eˣ − 1) otherwise; ELU(−1) = e⁻¹ − 1 ≈ −0.632 for α = 1.
  // Finite, and with a finite autodiff gradient, at x = 100.
  throw new NotImplemented('elu');
}
export function eluDerivative(x: tf.Tensor, alpha = 1): tf.Tensor {
  // TODO: 1 for x > 0, α·eˣ otherwise.
  throw new NotImplemented('eluDerivative');
}

// ---- smooth, non-monotonic: swish (SiLU) and GELU ----
export function swish(x: tf.Tensor): tf.Tensor {
  // TODO: swish(x) = x·σ(x) (also called SiLU).
  throw new NotImplemented('swish');
}
export function swishDerivative(x: tf.Tensor): tf.Tensor {
  // TODO: the derivative of x·σ(x), in terms of x and σ(x).
  throw new NotImplemented('swishDerivative');
}

/** GELU, tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
export function gelu(x: tf.Tensor): tf.Tensor {
  // TODO: the formula above, with YOUR tanh (finite for |x| = 100). GELU(1) ≈ 0.841.
  throw new NotImplemented('gelu');
}
export function geluDerivative(x: tf.Tensor): tf.Tensor {
  // TODO: the exact derivative of the tanh-approximation formula above (product and chain rule).
  throw new NotImplemented('geluDerivative');
}

/** Bonus: exact GELU, x·Φ(x) with the standard normal CDF Φ(x) = ½(1 + erf(x/√2)). */
export function geluExact(x: tf.Tensor): tf.Tensor {
  // TODO (bonus): x·Φ(x) as above.
  throw new NotImplemented('geluExact');
}
export function geluExactDerivative(x: tf.Tensor): tf.Tensor {
  // TODO (bonus): its derivative; the standard normal density is φ(x) = e^(−x²/2) / √(2π).
  throw new NotImplemented('geluExactDerivative');
}

// ---- softmax over one axis ----
/** Numerically stable softmax along `axis` (default: the last one). */
export function softmax(logits: tf.Tensor, axis = -1): tf.Tensor {
  // TODO: softmax(z)_i = e^(z_i) / Σ_j e^(z_j), the sums taken along `axis` (negative = counted
  // from the end), same shape as `logits`, every slice along `axis` sums to 1.
  // softmax([1000, 1001]) must be finite (≈ [0.269, 0.731]), though e^1000 is Infinity in float32.
  throw new NotImplemented('softmax');
}
