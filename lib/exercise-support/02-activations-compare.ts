/**
 * 02-activations task 2 — the comparison's config and result types and its input checks (not the
 * lesson), shared by the stub and the reference; their compare.ts re-exports them.
 */
import type * as tf from '@tensorflow/tfjs';
import { CourseError } from '../errors.js';
import type { ActivationName, InitName } from '../models/mlp.js';
import { checkActivationName } from '../models/mlp.js';
import type { OptimizerSpec } from '../train/optimizer.js';

export interface CompareConfig {
  activations: ActivationName[];
  /** hidden widths, e.g. [64, 64, 64, 64, 64] for a 6-layer net */
  hidden: number[];
  epochs: number;
  batchSize: number;
  optimizer: OptimizerSpec;
  /** one seed for weights, data subset and shuffling: the same for every activation */
  seed: number;
  /** validation accuracy that counts as "reached" (e.g. 0.7) */
  targetAccuracy: number;
  /** images per class: training from split 'train', validation from split 'test' */
  data: { trainPerClass: number; valPerClass: number };
  init?: InitName;
  /** keep the trained models in the result (the caller disposes them) */
  returnModels?: boolean;
  /** progress callback, called after each epoch of each activation */
  onEpoch?: (activation: ActivationName, epoch: number, logs: Record<string, number>) => void;
}

export interface ActivationHistory {
  loss: number[];
  accuracy: number[];
  valLoss: number[];
  valAccuracy: number[];
}

export interface ActivationRun {
  activation: ActivationName;
  /** mean wall-clock seconds of one training epoch (validation excluded) */
  secondsPerEpoch: number;
  /** one value per epoch */
  history: ActivationHistory;
  finalValAccuracy: number;
  /** first epoch (1-based) whose validation accuracy ≥ targetAccuracy, or null if none did */
  epochsToTarget: number | null;
  model?: tf.Sequential;
}

export function checkCompareConfig(config: CompareConfig): void {
  if (!Array.isArray(config.activations) || config.activations.length === 0) {
    throw new CourseError('compareActivations needs at least one activation', "pass e.g. activations: ['sigmoid', 'relu']");
  }
  config.activations.forEach((a) => checkActivationName(a));
  if (new Set(config.activations).size !== config.activations.length) {
    throw new CourseError(`activations has duplicates: [${config.activations.join(', ')}]`, 'list each activation once');
  }
  if (!(Number.isInteger(config.epochs) && config.epochs >= 1)) {
    throw new CourseError(`epochs must be a positive integer, got ${config.epochs}`, 'pass e.g. epochs: 5');
  }
  if (!(config.targetAccuracy > 0 && config.targetAccuracy <= 1)) {
    throw new CourseError(`targetAccuracy must be in (0, 1], got ${config.targetAccuracy}`, 'pass e.g. targetAccuracy: 0.7');
  }
}

/** First 1-based epoch whose value reaches `target`, or null. */
export function firstEpochReaching(values: number[], target: number): number | null {
  const i = values.findIndex((v) => v >= target);
  return i < 0 ? null : i + 1;
}
