/**
 * Task 1: activation functions and their derivatives, written by hand from elementary tensor ops
 * (tf.exp, tf.erf, tf.maximum, tf.minimum, tf.where, …) rather than the built-in tf.sigmoid,
 * tf.tanh, tf.relu, tf.elu or tf.softmax, so each formula is visible.
 * Every function takes any-shape tensor `x` and returns a new tensor of the same shape; the
 * `…Derivative` functions return d f(x) / dx elementwise (what backprop multiplies by).
 * Wrap each body in tf.tidy(() => …) so intermediate tensors are freed.
 */
import * as tf from '@tensorflow/tfjs';
import { NotImplemented } from '../../lib/errors.js';

// ---- sigmoid: σ(x) = 1 / (1 + e^(−x)), range (0, 1) ----
export function sigmoid(x: tf.Tensor): tf.Tensor {
  // TODO: σ(x) = 1 / (1 + exp(−x)).  Ops: tf.neg, tf.exp, tf.add, tf.div.
  throw new NotImplemented('sigmoid');
}
export function sigmoidDerivative(x: tf.Tensor): tf.Tensor {
  // TODO: σ'(x) = σ(x)·(1 − σ(x)). Reuse sigmoid(x). Its maximum, 0.25 at x = 0, is why deep
  // sigmoid nets lose gradient: every layer multiplies the backward signal by at most 1/4.
  throw new NotImplemented('sigmoidDerivative');
}

// ---- tanh, range (−1, 1), zero-centred ----
export function tanh(x: tf.Tensor): tf.Tensor {
  // TODO: tanh(x) = (eˣ − e⁻ˣ)/(eˣ + e⁻ˣ). Careful: for |x| > 88 both exponentials are Infinity
  // and the quotient is NaN. Find an equivalent form that cannot overflow (hint: relate tanh to
  // sigmoid). Do not call tf.tanh here.
  throw new NotImplemented('tanh');
}
export function tanhDerivative(x: tf.Tensor): tf.Tensor {
  // TODO: tanh'(x) = 1 − tanh(x)². Ops: tf.square, tf.sub.
  throw new NotImplemented('tanhDerivative');
}

// ---- ReLU family ----
// Tip: in tfjs 4.22, tf.grad fails with "gradient function not found for Greater" through a
// forward pass built with tf.where(tf.greater(x, 0), …). Write the forward functions with
// tf.maximum / tf.minimum instead; tf.where is fine inside the derivative functions.
export function relu(x: tf.Tensor): tf.Tensor {
  // TODO: max(0, x).
  throw new NotImplemented('relu');
}
export function reluDerivative(x: tf.Tensor): tf.Tensor {
  // TODO: 1 where x > 0, else 0 (use 0 at the kink x = 0, as tfjs does). Return float32:
  // tf.greater gives a bool tensor, tf.cast(…, 'float32') converts it.
  throw new NotImplemented('reluDerivative');
}

export function leakyRelu(x: tf.Tensor, alpha = 0.01): tf.Tensor {
  // TODO: x for x > 0, α·x otherwise (a small slope keeps negative units learning).
  throw new NotImplemented('leakyRelu');
}
export function leakyReluDerivative(x: tf.Tensor, alpha = 0.01): tf.Tensor {
  // TODO: 1 for x > 0, α otherwise. Ops: tf.where, tf.onesLike, tf.fill(x.shape, alpha).
  throw new NotImplemented('leakyReluDerivative');
}

export function elu(x: tf.Tensor, alpha = 1): tf.Tensor {
  // TODO: x for x > 0, α·(eˣ − 1) otherwise. Compute exp only of min(x, 0), so a large positive
  // x cannot overflow to Infinity (which would turn the gradient into NaN).
  throw new NotImplemented('elu');
}
export function eluDerivative(x: tf.Tensor, alpha = 1): tf.Tensor {
  // TODO: 1 for x > 0, α·eˣ otherwise.
  throw new NotImplemented('eluDerivative');
}

// ---- smooth, non-monotonic: swish (SiLU) and GELU ----
export function swish(x: tf.Tensor): tf.Tensor {
  // TODO: swish(x) = x·σ(x).
  throw new NotImplemented('swish');
}
export function swishDerivative(x: tf.Tensor): tf.Tensor {
  // TODO: product rule on x·σ(x). Simplify it in terms of σ(x) and x.
  throw new NotImplemented('swishDerivative');
}

/** GELU, tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
export function gelu(x: tf.Tensor): tf.Tensor {
  // TODO: the formula above. Use your own tanh(). Ops: tf.pow(x, 3) or tf.mul(x, tf.square(x)).
  throw new NotImplemented('gelu');
}
export function geluDerivative(x: tf.Tensor): tf.Tensor {
  // TODO: let u = √(2/π)·(x + 0.044715·x³) and t = tanh(u). Product + chain rule:
  //   0.5·(1 + t) + 0.5·x·(1 − t²)·u'   with u' = √(2/π)·(1 + 3·0.044715·x²)
  throw new NotImplemented('geluDerivative');
}

/** Bonus: exact GELU, x·Φ(x) with the standard normal CDF Φ(x) = ½(1 + erf(x/√2)). */
export function geluExact(x: tf.Tensor): tf.Tensor {
  // TODO (bonus): x·½(1 + erf(x/√2)). Ops: tf.erf.
  throw new NotImplemented('geluExact');
}
export function geluExactDerivative(x: tf.Tensor): tf.Tensor {
  // TODO (bonus): Φ(x) + x·φ(x), with the normal density φ(x) = exp(−x²/2)/√(2π).
  throw new NotImplemented('geluExactDerivative');
}

// ---- softmax over one axis ----
/** Numerically stable softmax along `axis` (default: the last one). */
export function softmax(logits: tf.Tensor, axis = -1): tf.Tensor {
  // TODO: exp(zᵢ) / Σⱼ exp(zⱼ) along `axis`. exp(1000) is Infinity in float32, so first subtract
  // the maximum along the axis (tf.max(logits, axis, true): keepDims keeps it broadcastable);
  // the result is mathematically unchanged. Ops: tf.max, tf.sub, tf.exp, tf.sum(…, axis, true).
  throw new NotImplemented('softmax');
}
