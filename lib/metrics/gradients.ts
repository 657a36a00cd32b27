/**
 * Gradient diagnostics shared by exercises: L2 norms of gradient tensors (vanishing/exploding
 * gradients, clipping). Which gradients to take and in what order stays the caller's job.
 */
import * as tf from '@tensorflow/tfjs';

/** ‖t‖₂ = sqrt(Σ t²) as a plain number. */
export function l2Norm(t: tf.Tensor): number {
  return tf.tidy(() => tf.sqrt(tf.sum(tf.square(t))).dataSync()[0]!);
}

/** The global norm sqrt(Σ‖tᵢ‖²) over several tensors (what clip-by-global-norm uses). */
export function globalNorm(tensors: tf.Tensor[]): number {
  return Math.sqrt(tensors.reduce((acc, t) => acc + l2Norm(t) ** 2, 0));
}
