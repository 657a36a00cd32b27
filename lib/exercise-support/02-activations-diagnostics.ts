/**
 * 02-activations task 3 — the diagnostics' input and result types and the ReLU-layer test (not
 * the lesson), shared by the stub and the reference; their diagnostics.ts re-exports them.
 */
import type * as tf from '@tensorflow/tfjs';

export interface Batch {
  /** [n, features] */
  x: tf.Tensor;
  /** [n, classes] one-hot */
  y: tf.Tensor;
}

export interface LayerGradientNorm {
  /** the layer's name, e.g. 'dense1' */
  layer: string;
  /** L2 norm of d loss / d kernel for this layer */
  norm: number;
}

export interface DeadUnits {
  /** one entry per ReLU layer, first → last */
  perLayer: { layer: string; units: number; dead: number; fraction: number }[];
  /** dead units / all ReLU units */
  overall: number;
}

/** A Dense layer with activation 'relu', or a standalone ReLU layer. */
export function isReluLayer(layer: tf.layers.Layer): boolean {
  const config = layer.getConfig();
  return config.activation === 'relu' || layer.getClassName() === 'ReLU';
}
