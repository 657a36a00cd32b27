/**
 * 05-transfer-learning — reference solution.
 *
 * A CNN pretrained on Fashion-MNIST classes 0–4 (the source task) is reused for classes 5–9
 * (the target task) with few labels, three ways:
 *   scratch             same architecture, random weights, everything trained
 *   feature extraction  pretrained base frozen, only a new head trained
 *   fine-tuning         new head at the head's learning rate + the top of the base at a ≥10×
 *                       smaller one, so the pretrained features are adjusted, not destroyed
 */
import * as tf from '@tensorflow/tfjs';
import { CourseError } from '../../lib/errors.js';
import { makeRng } from '../../lib/random.js';
import { trainLoop, type History } from '../../lib/train/index.js';
import {
  disposeData,
  evaluateAccuracy,
  loadTargetData,
  trainWithAdam,
  type LabelledData,
} from '../../lib/models/transfer-data.js';

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

function checkLayerName(model: tf.LayersModel, name: string, what: string): number {
  const names = model.layers.map((l) => l.name);
  const index = names.indexOf(name);
  if (index < 0) {
    throw new CourseError(`${what}: the model has no layer named '${name}'`, `use one of: ${names.join(', ')}`);
  }
  return index;
}

// ---------------------------------------------------------------- task 1: cut + new head

export function buildTransferModel(base: tf.LayersModel, opts: TransferOptions): tf.LayersModel {
  const { numClasses, cutAt, freeze, headUnits = 0, seed = 0 } = opts;
  if (!(Number.isInteger(numClasses) && numClasses >= 2)) {
    throw new CourseError(`numClasses must be an integer ≥ 2, got ${numClasses}`, 'pass the number of target classes, e.g. 5');
  }
  const cutIndex = checkLayerName(base, cutAt, 'buildTransferModel cutAt');
  // Functional model on the base's own input: the kept layers are *the same layer objects*
  // (weights shared with `base`), so freezing them must be done per layer, not on a container.
  let x = base.getLayer(cutAt).output as tf.SymbolicTensor;
  if (x.shape.length > 2) x = tf.layers.flatten({ name: `${HEAD_PREFIX}flatten` }).apply(x) as tf.SymbolicTensor;
  if (headUnits > 0) {
    x = tf.layers
      .dense({ name: `${HEAD_PREFIX}hidden`, units: headUnits, activation: 'relu', kernelInitializer: tf.initializers.heNormal({ seed: seed * 10 + 1 }) })
      .apply(x) as tf.SymbolicTensor;
  }
  const probs = tf.layers
    .dense({ name: `${HEAD_PREFIX}out`, units: numClasses, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: seed * 10 + 2 }) })
    .apply(x) as tf.SymbolicTensor;
  // The trap: `base.trainable = false` on a model nested inside another does not keep the
  // optimiser off its weights. Setting the flag on every kept layer does.
  base.layers.slice(0, cutIndex + 1).forEach((layer) => {
    layer.trainable = !freeze;
  });
  return tf.model({ inputs: base.inputs, outputs: probs, name: 'transfer_model' });
}

// ---------------------------------------------------------------- task 2: fine-tuning

function isHead(layer: tf.layers.Layer): boolean {
  return layer.name.startsWith(HEAD_PREFIX);
}

export async function fineTune(model: tf.LayersModel, data: LabelledData, opts: FineTuneOptions): Promise<History> {
  const { unfreezeFrom, learningRate, headLearningRate, epochs, batchSize = 32, seed = 0 } = opts;
  checkFineTuneRates(learningRate, headLearningRate);
  const from = checkLayerName(model, unfreezeFrom, 'fineTune unfreezeFrom');
  if (isHead(model.layers[from]!)) {
    throw new CourseError(`fineTune unfreezeFrom '${unfreezeFrom}' is a head layer`, 'name a base layer (e.g. conv3 or fc1): the head always trains');
  }
  // Set the flags (so later compile/summary agree) and split the variables by learning rate.
  const headVars: tf.Variable[] = [];
  const baseVars: tf.Variable[] = [];
  model.layers.forEach((layer, i) => {
    const trains = isHead(layer) || i >= from;
    layer.trainable = trains;
    if (!trains) return;
    for (const w of layer.trainableWeights) (isHead(layer) ? headVars : baseVars).push(w.read() as tf.Variable);
  });
  const headOpt = tf.train.adam(headLearningRate);
  const baseOpt = tf.train.adam(learningRate);
  const n = data.x.shape[0];
  const steps = Math.ceil(n / batchSize);
  let order: number[] = [];
  try {
    const result = await trainLoop({
      label: opts.label ?? `fine-tune from ${unfreezeFrom}`,
      epochs,
      stepsPerEpoch: steps,
      quiet: opts.quiet,
      step: (epoch, step) => {
        if (step === 0) {
          const rng = makeRng(seed * 7919 + epoch);
          order = Array.from({ length: n }, (_, i) => i);
          for (let i = n - 1; i > 0; i--) {
            const j = rng.int(i + 1);
            [order[i], order[j]] = [order[j]!, order[i]!];
          }
        }
        const loss = tf.tidy(() => {
          const idx = tf.tensor1d(order.slice(step * batchSize, (step + 1) * batchSize), 'int32');
          const xb = tf.gather(data.x, idx);
          const yb = tf.gather(data.y, idx);
          const { value, grads } = tf.variableGrads(
            () => tf.mean(tf.metrics.categoricalCrossentropy(yb, model.apply(xb, { training: true }) as tf.Tensor)) as tf.Scalar,
            [...headVars, ...baseVars],
          );
          const pick = (vars: tf.Variable[]) => vars.map((v) => ({ name: v.name, tensor: grads[v.name]! }));
          headOpt.applyGradients(pick(headVars));
          if (baseVars.length > 0) baseOpt.applyGradients(pick(baseVars));
          return value.dataSync()[0]!;
        });
        return { loss };
      },
      endEpoch: () => (opts.validation ? { val_acc: evaluateAccuracy(model, opts.validation) } : undefined),
    });
    return result.history;
  } finally {
    headOpt.dispose();
    baseOpt.dispose();
  }
}

/** Bonus: unfreeze gradually, deeper at each stage. Histories are concatenated. */
export async function progressiveFineTune(model: tf.LayersModel, data: LabelledData, opts: ProgressiveOptions): Promise<History> {
  const { stages, epochsPerStage, ...rest } = opts;
  if (stages.length === 0) throw new CourseError('progressiveFineTune needs at least one stage', "pass e.g. stages: ['fc1', 'conv3']");
  const indices = stages.map((s) => checkLayerName(model, s, 'progressiveFineTune stage'));
  indices.forEach((idx, k) => {
    if (k > 0 && idx >= indices[k - 1]!) {
      throw new CourseError(
        `progressiveFineTune stage '${stages[k]}' is not below '${stages[k - 1]}'`,
        'list the stages from the top of the base down, each unfreezing more layers',
      );
    }
  });
  const history: History = {};
  for (const [k, stage] of stages.entries()) {
    const h = await fineTune(model, data, { ...rest, unfreezeFrom: stage, epochs: epochsPerStage, seed: (rest.seed ?? 0) + k, label: `stage ${k + 1}: from ${stage}` });
    for (const [key, values] of Object.entries(h)) (history[key] ??= []).push(...values);
  }
  return history;
}

// ---------------------------------------------------------------- task 3: the comparison

export async function compareStrategies(config: CompareConfig): Promise<StrategyRun[]> {
  const { perClass, epochs, batchSize, seed, cutAt, unfreezeFrom, headLearningRate, fineTuneLearningRate, quiet } = config;
  const numClasses = config.numClasses ?? 5;
  checkFineTuneRates(fineTuneLearningRate, headLearningRate);
  const val = loadTargetData('test', config.valPerClass, seed, config.adapt);
  const runs: StrategyRun[] = [];
  try {
    for (const size of perClass) {
      // One labelled set per size, shared by all three strategies: the only difference between
      // runs is how the network starts and which weights train.
      const train = loadTargetData('train', size, seed, config.adapt);
      try {
        for (const strategy of STRATEGIES) {
          const label = `${strategy} ${size}/class`;
          let model: tf.LayersModel;
          let history: History;
          if (strategy === 'scratch') {
            model = buildTransferModel(await config.buildScratchBase(), { numClasses, cutAt, freeze: false, seed });
            history = await trainWithAdam(model, train, { learningRate: headLearningRate, epochs, batchSize, seed, validation: val, label, quiet });
          } else if (strategy === 'feature-extraction') {
            model = buildTransferModel(await config.loadBase(), { numClasses, cutAt, freeze: true, seed });
            history = await trainWithAdam(model, train, { learningRate: headLearningRate, epochs, batchSize, seed, validation: val, label, quiet });
          } else {
            model = buildTransferModel(await config.loadBase(), { numClasses, cutAt, freeze: true, seed });
            history = await fineTune(model, train, {
              unfreezeFrom,
              learningRate: fineTuneLearningRate,
              headLearningRate,
              epochs,
              batchSize,
              seed,
              validation: val,
              label,
              quiet,
            });
          }
          runs.push({ strategy, perClass: size, history, valAccuracy: evaluateAccuracy(model, val), model });
        }
      } finally {
        disposeData(train);
      }
    }
  } finally {
    disposeData(val);
  }
  return runs;
}
