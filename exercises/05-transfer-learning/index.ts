/**
 * 05-transfer-learning — your turn. Each TODO says WHAT the function must do (contract, what
 * trains and what must not, errors); HOW is in the hints: `course hint 05-transfer-learning`.
 *
 * A CNN pretrained on Fashion-MNIST classes 0–4 (T-shirt, trouser, pullover, dress, coat: the
 * *source* task) is reused for classes 5–9 (sandal, shirt, sneaker, bag, ankle boot: the *target*
 * task) with few labels, three ways:
 *   scratch             same architecture, random weights, everything trained
 *   feature extraction  pretrained base frozen, only a new head trained
 *   fine-tuning         new head at the head's learning rate + the top of the base at a ≥10×
 *                       smaller one, so the pretrained features are adjusted, not destroyed
 *
 * The base (lib/pretrain/transfer-base.ts) has named layers:
 *   conv1 → pool1 → conv2 → pool2 → conv3 → pool3 → flatten → fc1 → logits
 * Data loading, training with Adam, accuracy and plotting are done for you (lib/models/), and
 * so is the training loop with progress and history (trainLoop, lib/train).
 */
import * as tf from '@tensorflow/tfjs';
import { CourseError, NotImplemented } from '../../lib/errors.js';
import { makeRng } from '../../lib/random.js';
import { trainLoop, type History, type Logs } from '../../lib/train/index.js';
import { disposeData, evaluateAccuracy, loadTargetData, trainWithAdam, type LabelledData } from '../../lib/models/transfer-data.js';

export { loadTargetData, evaluateAccuracy, trainWithAdam, disposeData, type LabelledData } from '../../lib/models/transfer-data.js';

import {
  type CompareConfig,
  type FineTuneOptions,
  type ProgressiveOptions,
  type StrategyRun,
  type TransferOptions,
  HEAD_PREFIX,
  STRATEGIES,
  checkFineTuneRates,
} from '../../lib/exercise-support/05-transfer-learning.js';

// The options/result types, the constants and checkFineTuneRates are not the lesson: one copy in
// lib/, re-exported here.
export * from '../../lib/exercise-support/05-transfer-learning.js';

// ---------------------------------------------------------------- task 1: cut + new head

export function buildTransferModel(base: tf.LayersModel, opts: TransferOptions): tf.LayersModel {
  // TODO (task 1): a model that is `base` up to and including the layer named opts.cutAt, with a
  // new head on top, and no base layer above cutAt.
  //  - input: the base's own input; output: class probabilities [n, numClasses] (rows sum to 1);
  //  - the kept layers are the base's own layers: their pretrained weights are kept (and shared
  //    with `base` — the caller loads a fresh base for every model);
  //  - the head: flattened features when the cut layer's output has rank > 2 (a conv layer),
  //    an optional ReLU layer of opts.headUnits units, then a softmax layer of numClasses units;
  //    every head layer's name starts with HEAD_PREFIX (fineTune tells head from base by it);
  //    the head's initial weights depend only on opts.seed (default 0);
  //  - opts.freeze: every kept base layer stays bit-identical while the model trains — and that
  //    is checked by training, not by reading a flag (tfjs has a way to look frozen while the
  //    optimiser still updates the weights); freeze false: they train too;
  //  - an unknown cutAt → CourseError whose message names it and lists the base's layer names;
  //    numClasses not an integer ≥ 2 → CourseError.
  throw new NotImplemented('buildTransferModel');
}

// ---------------------------------------------------------------- task 2: fine-tuning

export async function fineTune(model: tf.LayersModel, data: LabelledData, opts: FineTuneOptions): Promise<History> {
  // TODO (task 2): train the head and the TOP of the base at once, with two learning rates.
  //  - first, before touching anything: checkFineTuneRates(opts.learningRate,
  //    opts.headLearningRate) (the base's rate must be ≥ 10× smaller than the head's);
  //  - the layer opts.unfreezeFrom and every base layer above it train at opts.learningRate;
  //    the head (layers named HEAD_PREFIX…) trains at opts.headLearningRate; every base layer
  //    below unfreezeFrom stays bit-identical. Layer trainable flags end up saying the same;
  //  - an unfreezeFrom that is not a layer (CourseError listing the names) or is a head layer
  //    (CourseError) is rejected;
  //  - loss: the mean categorical cross-entropy of the model's probabilities against data.y,
  //    forward pass in training mode; Adam for both groups;
  //  - opts.epochs passes over `data` in shuffled mini-batches of opts.batchSize (default 32),
  //    the order seeded by opts.seed (default 0), run by the given trainLoop (label, quiet);
  //  - returns the loop's History: `loss` per epoch, and `val_acc` (evaluateAccuracy on
  //    opts.validation) per epoch when a validation set is given;
  //  - no tensors left behind: its optimisers are disposed even when training throws.
  throw new NotImplemented('fineTune');
}

/** Bonus: unfreeze gradually, deeper at each stage. Histories are concatenated. */
export async function progressiveFineTune(model: tf.LayersModel, data: LabelledData, opts: ProgressiveOptions): Promise<History> {
  // TODO (bonus): one fineTune per stage, in order, each unfreezing from stages[k] for
  // epochsPerStage epochs (other options as given; stage k seeded with seed + k). Each stage
  // must sit LOWER in the model than the one before (it unfreezes more), and there must be at
  // least one → CourseError otherwise. Returns the stages' histories concatenated per key.
  throw new NotImplemented('progressiveFineTune');
}

// ---------------------------------------------------------------- task 3: the comparison

export async function compareStrategies(config: CompareConfig): Promise<StrategyRun[]> {
  // TODO (task 3): a fair experiment — the strategies may differ ONLY in how the network starts
  // and which weights train.
  //  - bad rates are rejected first (checkFineTuneRates(config.fineTuneLearningRate,
  //    config.headLearningRate));
  //  - validation: config.valPerClass images per class from the 'test' split (loadTargetData,
  //    with config.seed and config.adapt), never trained on;
  //  - for each size in config.perClass: ONE labelled 'train' set of that size, shared by all
  //    three strategies, and one run per strategy in the order of STRATEGIES:
  //      scratch             config.buildScratchBase(), cut at cutAt, nothing frozen, trained
  //                          at headLearningRate (trainWithAdam);
  //      feature-extraction  config.loadBase(), cut at cutAt, frozen, head at headLearningRate;
  //      fine-tuning         config.loadBase(), cut and frozen, then fineTune from
  //                          config.unfreezeFrom at fineTuneLearningRate / headLearningRate;
  //    all with the same epochs, batchSize, seed and validation set; numClasses defaults to 5;
  //  - each run: { strategy, perClass, history, valAccuracy (of the final model on the
  //    validation set, never on the training images), model } — the caller disposes the models;
  //  - every data set is disposed at the end (disposeData), even when a run throws.
  throw new NotImplemented('compareStrategies');
}
