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
 * TODO: the fair experiment — the activation is the ONLY thing that differs between runs:
 *  - a bad config is rejected before any work (the given checkCompareConfig throws a CourseError);
 *  - the data are Fashion-MNIST subsets (config.data: images per class; training from split
 *    'train', validation from split 'test', chosen by config.seed), loaded once and freed at the
 *    end even when training throws (the helpers in mlp.ts load and dispose them);
 *  - every activation starts from the same initial weights (config.seed; same `hidden` and
 *    `init`), sees the same batches in the same order, and gets an optimizer of kind
 *    config.optimizer with no state from another run — so a run's result does not depend on
 *    the other activations in the list or their order;
 *  - per epoch the history records training loss and accuracy and validation loss and accuracy
 *    (the logs of the given trainEpoch and evaluate); config.onEpoch?.(activation, epoch,
 *    { loss, acc, val_loss, val_acc }) reports each epoch;
 *  - secondsPerEpoch times training only (wall clock, validation excluded); finalValAccuracy
 *    is the last epoch's; epochsToTarget the first 1-based epoch with validation accuracy
 *    ≥ targetAccuracy, or null (firstEpochReaching);
 *  - the models are disposed unless config.returnModels (then each run carries its model and
 *    the caller disposes it); optimizers are disposed.
 *  Shapes: x [n, 784], y [n, 10] one-hot.
 */
export function compareActivations(config: CompareConfig): ActivationRun[] {
  throw new NotImplemented('compareActivations');
}
