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
import {
  type ActivationHistory,
  type ActivationRun,
  type CompareConfig,
  checkCompareConfig,
  firstEpochReaching,
} from '../../lib/exercise-support/02-activations-compare.js';

// The config/result types and input checks are not the lesson: one copy in lib/, re-exported here.
export * from '../../lib/exercise-support/02-activations-compare.js';

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
