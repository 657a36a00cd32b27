/**
 * Task 2: a fair comparison of activation functions. Every activation gets the same MLP shape,
 * the same initial-weight seed, the same data in the same shuffled order and a fresh optimizer
 * of the same kind, so the only thing that differs between runs is the activation.
 */
import * as tf from '@tensorflow/tfjs';
import { CourseError } from '../../lib/errors.js';
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

function trainOne(activation: ActivationName, config: CompareConfig, train: Dataset, val: Dataset): ActivationRun {
  // Same seed for every activation: identical initial weights (up to the activation) and batches.
  const model = buildMlp({ activation, hidden: config.hidden, seed: config.seed, init: config.init });
  const optimizer = makeOptimizer(config.optimizer);
  const shuffleRng = makeRng(config.seed);
  const history: ActivationHistory = { loss: [], accuracy: [], valLoss: [], valAccuracy: [] };
  let trainSeconds = 0;
  for (let epoch = 1; epoch <= config.epochs; epoch++) {
    const start = performance.now();
    const logs: EpochLogs = trainEpoch(model, optimizer, train, config.batchSize, shuffleRng);
    trainSeconds += (performance.now() - start) / 1000;
    const valLogs = evaluate(model, val);
    history.loss.push(logs.loss);
    history.accuracy.push(logs.accuracy);
    history.valLoss.push(valLogs.loss);
    history.valAccuracy.push(valLogs.accuracy);
    config.onEpoch?.(activation, epoch, { loss: logs.loss, acc: logs.accuracy, val_loss: valLogs.loss, val_acc: valLogs.accuracy });
  }
  optimizer.dispose();
  const run: ActivationRun = {
    activation,
    secondsPerEpoch: trainSeconds / config.epochs,
    history,
    finalValAccuracy: history.valAccuracy[history.valAccuracy.length - 1]!,
    epochsToTarget: firstEpochReaching(history.valAccuracy, config.targetAccuracy),
  };
  if (config.returnModels) run.model = model;
  else model.dispose();
  return run;
}

/** Trains the same MLP once per activation; results come back in the order of `activations`. */
export function compareActivations(config: CompareConfig): ActivationRun[] {
  checkCompareConfig(config);
  const train = loadFlatFashion('train', config.data.trainPerClass, config.seed);
  const val = loadFlatFashion('test', config.data.valPerClass, config.seed);
  try {
    return config.activations.map((activation) => trainOne(activation, config, train, val));
  } finally {
    disposeDataset(train);
    disposeDataset(val);
  }
}
