/**
 * 05-transfer-learning — your turn.
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
 * Data loading, training with Adam, accuracy and plotting are done for you (lib/models/).
 */
import * as tf from '@tensorflow/tfjs';
import { CourseError, NotImplemented } from '../../lib/errors.js';
import type { History } from '../../lib/train/index.js';
import type { LabelledData } from '../../lib/models/transfer-data.js';

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
  // TODO (task 1): reuse `base` up to the layer named opts.cutAt and put a new head on top.
  //
  //  1. Find the cut layer: base.getLayer(opts.cutAt). If there is none, throw a CourseError
  //     that names opts.cutAt and lists base.layers' names.
  //  2. Build FUNCTIONALLY on the base's own input: start from base.getLayer(cutAt).output
  //     (a SymbolicTensor [null, ...]), and apply the head layers to it:
  //       - tf.layers.flatten (name `${HEAD_PREFIX}flatten`) if the output has rank > 2,
  //       - optionally tf.layers.dense ReLU with opts.headUnits units (`${HEAD_PREFIX}hidden`),
  //       - tf.layers.dense softmax with opts.numClasses units (`${HEAD_PREFIX}out`).
  //     Seed the initialisers from opts.seed. Then tf.model({ inputs: base.inputs, outputs }).
  //  3. Freeze: set `trainable = !opts.freeze` on EACH base layer up to and including cutAt.
  //     Careful — putting the cut base inside another model (tf.sequential / nested model) and
  //     writing `cut.trainable = false` looks frozen (model.trainableWeights is short), but tfjs
  //     still hands those weights to the optimiser: they keep training. The tests check that
  //     frozen weights stay bit-identical.
  //  The new model shares the base's layers (and weights): load a fresh base for each model.
  throw new NotImplemented('buildTransferModel');
}

// ---------------------------------------------------------------- task 2: fine-tuning

export async function fineTune(model: tf.LayersModel, data: LabelledData, opts: FineTuneOptions): Promise<History> {
  // TODO (task 2): train the head and the TOP of the base with two learning rates.
  //
  //  1. checkFineTuneRates(opts.learningRate, opts.headLearningRate) before touching anything.
  //  2. Find the index of opts.unfreezeFrom in model.layers (CourseError listing the names if
  //     missing, or if it is a head layer). Head layers: name starts with HEAD_PREFIX.
  //  3. For every layer: trainable = head || index >= unfreezeFrom's index. Collect the
  //     variables, `layer.trainableWeights.map((w) => w.read() as tf.Variable)`, into two lists:
  //     head variables and unfrozen base variables.
  //  4. Two optimisers: tf.train.adam(headLearningRate) and tf.train.adam(learningRate).
  //  5. Train with trainLoop from lib/train (label, epochs, stepsPerEpoch = ceil(n / batchSize),
  //     quiet): each step takes a seeded shuffled mini-batch (makeRng(seed * 7919 + epoch)),
  //     and inside tf.tidy computes
  //        const { value, grads } = tf.variableGrads(() => mean categorical cross-entropy of
  //            model.apply(xb, { training: true }) vs yb, [...headVars, ...baseVars]);
  //     then headOpt.applyGradients(head grads) and baseOpt.applyGradients(base grads)
  //     (as [{ name: v.name, tensor: grads[v.name] }]). Return { loss } for the step.
  //     endEpoch: with opts.validation, return { val_acc: evaluateAccuracy(model, validation) }.
  //  6. Dispose both optimisers (try/finally) and return the loop's history.
  throw new NotImplemented('fineTune');
}

/** Bonus: unfreeze gradually, deeper at each stage. Histories are concatenated. */
export async function progressiveFineTune(model: tf.LayersModel, data: LabelledData, opts: ProgressiveOptions): Promise<History> {
  // TODO (bonus): for each stage k (each must sit lower in the model than the one before:
  //  CourseError otherwise), call fineTune(model, data, { ...rest, unfreezeFrom: stages[k],
  //  epochs: epochsPerStage, seed: seed + k }) and append its history arrays to one History.
  throw new NotImplemented('progressiveFineTune');
}

// ---------------------------------------------------------------- task 3: the comparison

export async function compareStrategies(config: CompareConfig): Promise<StrategyRun[]> {
  // TODO (task 3): a fair experiment — the strategies may differ ONLY in how the network starts
  // and which weights train.
  //
  //  - checkFineTuneRates(config.fineTuneLearningRate, config.headLearningRate).
  //  - val = loadTargetData('test', config.valPerClass, config.seed, config.adapt): held-out
  //    images, never trained on. Dispose it at the end (disposeData).
  //  - For each size in config.perClass: ONE labelled set train = loadTargetData('train', size,
  //    seed, adapt), shared by all three strategies (dispose after). For each of STRATEGIES:
  //      scratch:            buildTransferModel(await config.buildScratchBase(), { numClasses, cutAt,
  //                          freeze: false, seed }) + trainWithAdam(model, train, { learningRate:
  //                          headLearningRate, epochs, batchSize, seed, validation: val, quiet })
  //      feature-extraction: same with await config.loadBase() and freeze: true
  //      fine-tuning:        frozen model from config.loadBase(), then fineTune(model, train,
  //                          { unfreezeFrom, learningRate: fineTuneLearningRate, headLearningRate,
  //                            epochs, batchSize, seed, validation: val, quiet })
  //    All three get the same epochs. Push { strategy, perClass: size, history,
  //    valAccuracy: evaluateAccuracy(model, val), model }.
  //  numClasses defaults to 5.
  throw new NotImplemented('compareStrategies');
}
