/**
 * The plumbing for tasks 2 and 3 (already working, not the lesson): the MLP builder, data
 * loading, optimizers, one epoch of training and evaluation. It lives in lib/ (one copy for the
 * stub and the solution); this file gathers it under the names the exercise uses.
 */
export { ACTIVATION_NAMES, type ActivationName, type InitName, type MlpSpec, checkActivationName, buildMlp } from '../../lib/models/mlp.js';
export { INPUT_SIZE, NUM_CLASSES, type Dataset, loadFlatFashion, disposeDataset } from '../../lib/data/flat-fashion.js';
export { type OptimizerSpec, makeOptimizer } from '../../lib/train/optimizer.js';
export { type EpochLogs, crossEntropy, evaluate, trainEpoch } from '../../lib/train/classifier-epoch.js';
