/**
 * 04-dcgan — the types, config handling and noise sampler that are not the lesson, shared by
 * the student stub and the reference; both index.ts files re-export them.
 */
import * as tf from '@tensorflow/tfjs';
import { CourseError } from '../errors.js';
import type { Rng } from '../random.js';

export interface GanConfig {
  /** length of the noise vector z (default 100) */
  latentDim?: number;
  /** channel width multiplier w (default 64): G has 2w then w channels, D has w then 2w */
  width?: number;
  /** dropout rate after each conv in D (default 0.3; tests use 0 to make D deterministic) */
  dropout?: number;
  /** seed for the weight initialisers (default 1) */
  seed?: number;
}

export const DEFAULT_CONFIG: Required<GanConfig> = { latentDim: 100, width: 64, dropout: 0.3, seed: 1 };

export interface GanModels {
  generator: tf.LayersModel;
  discriminator: tf.LayersModel;
}

export interface GanOptimizers {
  generator: tf.Optimizer;
  discriminator: tf.Optimizer;
}

export interface StepLosses {
  /** D's loss on this batch, computed before D's update */
  dLoss: number;
  /** G's loss, computed after D's update and before G's update */
  gLoss: number;
}

/** Fills in defaults and rejects nonsense; use it as `const { latentDim, width, seed } = resolveGanConfig(config)`. */
export function resolveGanConfig(config: GanConfig): Required<GanConfig> {
  const c = { ...DEFAULT_CONFIG, ...config };
  for (const key of ['latentDim', 'width'] as const) {
    if (!Number.isInteger(c[key]) || c[key] < 1) {
      throw new CourseError(`${key} must be a positive integer, got ${c[key]}`, `pass e.g. { ${key}: ${DEFAULT_CONFIG[key]} }`);
    }
  }
  if (!(c.dropout >= 0 && c.dropout < 1)) {
    throw new CourseError(`dropout must be in [0, 1), got ${c.dropout}`, 'pass e.g. { dropout: 0.3 }');
  }
  return c;
}

/** [n, latentDim] standard-normal noise, filled row by row from rng.normal() (reproducible). */
export function sampleNoise(n: number, latentDim: number, rng: Rng): tf.Tensor2D {
  const values = new Float32Array(n * latentDim);
  for (let i = 0; i < values.length; i++) values[i] = rng.normal();
  return tf.tensor2d(values, [n, latentDim]);
}
