/**
 * Task 2: a fair comparison of activation functions. Every activation gets the same MLP shape,
 * the same initial-weight seed, the same data in the same shuffled order and a fresh optimizer
 * of the same kind, so the only thing that differs between runs is the activation.
 */
import * as tf from '@tensorflow/tfjs';
import { CourseError, NotImplemented } from '../../lib/errors.js';
import { makeRng } from '../../lib/random.js';
import {
  type ActivationName,
  type Dataset,
  type EpochLogs,
  type InitName,
  type OptimizerSpec,
  buildMlp,
  checkActivationName,
  disposeDataset,
  evaluate,
  loadFlatFashion,
  makeOptimizer,
  trainEpoch,
} from './mlp.js';

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

/**
 * Trains the same MLP once per activation; results come back in the order of `activations`.
 *
 * TODO: write the fair experiment. The only thing that may differ between runs is the activation.
 *  1. checkCompareConfig(config) first (it throws a CourseError on bad input).
 *  2. Load the data ONCE for all activations with the helpers in mlp.ts:
 *       train = loadFlatFashion('train', config.data.trainPerClass, config.seed)
 *       val   = loadFlatFashion('test',  config.data.valPerClass,   config.seed)
 *     and dispose both (disposeDataset) when done, even if training throws (try/finally).
 *  3. For each activation, in order:
 *     - model = buildMlp({ activation, hidden: config.hidden, seed: config.seed, init: config.init })
 *       (the SAME seed for every activation, so they all start from the same weights),
 *     - a fresh optimizer: makeOptimizer(config.optimizer) (optimizers carry state such as Adam's
 *       moments; sharing one would leak one run into the next),
 *     - a fresh shuffle generator makeRng(config.seed) (same batches in the same order),
 *     - for each epoch: time trainEpoch(model, optimizer, train, config.batchSize, rng) with
 *       performance.now() (training only, not validation), then evaluate(model, val); push the
 *       four numbers into the history; call config.onEpoch?.(activation, epoch,
 *       { loss, acc, val_loss, val_acc }) for progress.
 *     - secondsPerEpoch = training seconds / epochs; finalValAccuracy = last valAccuracy;
 *       epochsToTarget = firstEpochReaching(history.valAccuracy, config.targetAccuracy).
 *     - dispose the optimizer; keep the model in the run if config.returnModels, else dispose it.
 *  Shapes: train.x [n, 784], train.y [n, 10] one-hot.
 */
export function compareActivations(config: CompareConfig): ActivationRun[] {
  throw new NotImplemented('compareActivations');
}
