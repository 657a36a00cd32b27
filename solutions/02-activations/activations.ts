/**
 * Task 1: activation functions and their derivatives, written by hand from elementary tensor ops
 * (exp, tanh, erf, where, …) rather than tf.sigmoid / tf.relu, so each formula is visible.
 * Every function takes any-shape tensor `x` and returns a new tensor of the same shape; the
 * `…Derivative` functions return d f(x) / dx elementwise (what backprop multiplies by).
 */
import * as tf from '@tensorflow/tfjs';

// ---- sigmoid: σ(x) = 1 / (1 + e^(−x)), range (0, 1) ----
export function sigmoid(x: tf.Tensor): tf.Tensor {
  // e^(−x) overflows to Infinity for x < −88; 1 / (1 + Infinity) = 0 is still the right limit.
  return tf.tidy(() => tf.div(1, tf.add(1, tf.exp(tf.neg(x)))));
}
export function sigmoidDerivative(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const s = sigmoid(x);
    return tf.mul(s, tf.sub(1, s)); // σ(1 − σ), at most 0.25 (at x = 0)
  });
}

// ---- tanh, range (−1, 1), zero-centred ----
export function tanh(x: tf.Tensor): tf.Tensor {
  // (e^x − e^−x)/(e^x + e^−x) gives Infinity/Infinity = NaN for |x| > 88; 2σ(2x) − 1 is the same
  // function and never overflows.
  return tf.tidy(() => tf.sub(tf.mul(2, sigmoid(tf.mul(2, x))), 1));
}
export function tanhDerivative(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.sub(1, tf.square(tanh(x))));
}

// ---- ReLU family ----
export function relu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.maximum(x, 0));
}
export function reluDerivative(x: tf.Tensor): tf.Tensor {
  // 1 for x > 0, else 0 (the kink at 0 gets 0 by convention, like tfjs).
  return tf.tidy(() => tf.cast(tf.greater(x, 0), 'float32'));
}

// Forward functions avoid tf.where(tf.greater(x, 0), …): in tfjs 4.22 tf.grad then fails with
// "gradient function not found for Greater". max/min express the same thing and are differentiable.
export function leakyRelu(x: tf.Tensor, alpha = 0.01): tf.Tensor {
  // for 0 ≤ α < 1: x when x > 0, αx otherwise
  return tf.tidy(() => tf.add(tf.maximum(x, 0), tf.mul(alpha, tf.minimum(x, 0))));
}
export function leakyReluDerivative(x: tf.Tensor, alpha = 0.01): tf.Tensor {
  return tf.tidy(() => tf.where(tf.greater(x, 0), tf.onesLike(x), tf.fill(x.shape, alpha)));
}

export function elu(x: tf.Tensor, alpha = 1): tf.Tensor {
  return tf.tidy(() => {
    // x > 0: x + α(e⁰ − 1) = x;  x ≤ 0: 0 + α(eˣ − 1). exp only ever sees min(x, 0) ≤ 0, so it
    // cannot overflow (an Infinity there would turn the gradient into NaN).
    const negativePart = tf.mul(alpha, tf.sub(tf.exp(tf.minimum(x, 0)), 1));
    return tf.add(tf.maximum(x, 0), negativePart);
  });
}
export function eluDerivative(x: tf.Tensor, alpha = 1): tf.Tensor {
  return tf.tidy(() => tf.where(tf.greater(x, 0), tf.onesLike(x), tf.mul(alpha, tf.exp(tf.minimum(x, 0)))));
}

// ---- smooth, non-monotonic: swish (SiLU) and GELU ----
export function swish(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(x, sigmoid(x)));
}
export function swishDerivative(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const s = sigmoid(x);
    return tf.mul(s, tf.add(1, tf.mul(x, tf.sub(1, s)))); // σ + xσ(1 − σ)
  });
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const GELU_CUBIC = 0.044715;

/** GELU, tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const inner = tf.mul(SQRT_2_OVER_PI, tf.add(x, tf.mul(GELU_CUBIC, tf.pow(x, 3))));
    return tf.mul(tf.mul(0.5, x), tf.add(1, tanh(inner)));
  });
}
export function geluDerivative(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const inner = tf.mul(SQRT_2_OVER_PI, tf.add(x, tf.mul(GELU_CUBIC, tf.pow(x, 3))));
    const t = tanh(inner);
    const dInner = tf.mul(SQRT_2_OVER_PI, tf.add(1, tf.mul(3 * GELU_CUBIC, tf.square(x))));
    // product rule: 0.5(1 + t) + 0.5·x·(1 − t²)·inner'
    return tf.add(tf.mul(0.5, tf.add(1, t)), tf.mul(tf.mul(0.5, x), tf.mul(tf.sub(1, tf.square(t)), dInner)));
  });
}

/** Bonus: exact GELU, x·Φ(x) with the standard normal CDF Φ(x) = ½(1 + erf(x/√2)). */
export function geluExact(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(x, tf.mul(0.5, tf.add(1, tf.erf(tf.div(x, Math.SQRT2))))));
}
export function geluExactDerivative(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const cdf = tf.mul(0.5, tf.add(1, tf.erf(tf.div(x, Math.SQRT2))));
    const pdf = tf.div(tf.exp(tf.mul(-0.5, tf.square(x))), Math.sqrt(2 * Math.PI));
    return tf.add(cdf, tf.mul(x, pdf)); // Φ(x) + x·φ(x)
  });
}

// ---- softmax over one axis ----
/** Numerically stable softmax: subtracting the max leaves the result unchanged but keeps exp ≤ 1. */
export function softmax(logits: tf.Tensor, axis = -1): tf.Tensor {
  return tf.tidy(() => {
    const shifted = tf.sub(logits, tf.max(logits, axis, true));
    const e = tf.exp(shifted);
    return tf.div(e, tf.sum(e, axis, true));
  });
}
