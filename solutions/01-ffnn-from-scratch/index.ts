/**
 * 01-ffnn-from-scratch — reference solution.
 *
 * A perceptron, then a small multi-layer perceptron whose forward AND backward passes are
 * written by hand with tensor ops (no autodiff), trained with mini-batch SGD on Iris.
 *
 * Conventions (the same in the stub):
 * - Examples are ROWS: x has shape [batch, inFeatures].
 * - A layer is { W: [in, out], b: [out] } and computes z = x·W + b.
 *   The course slides write z = W x + b with W as [out, in]; our W is the slide's W transposed.
 * - Losses average over the batch: softmax → cross-entropy (mean over examples),
 *   sigmoid → binary cross-entropy and linear → squared error (both mean over all elements).
 */
import * as tf from '@tensorflow/tfjs';
import { CourseError } from '../../lib/errors.js';
import { makeRng } from '../../lib/random.js';
import { loadIris } from '../../lib/data/iris.js';
import { batchIndices, standardize, stratifiedSplit } from '../../lib/data/split.js';
import { perceptronPredict, checkNetwork, disposeParams, tidy } from '../../lib/exercise-support/01-ffnn-from-scratch.js';
import type { OutputActivation, InitScheme, Params, NetConfig, ForwardCache, Grads, PerceptronOptions, PerceptronResult, PreparedData, PrepareOptions, TrainConfig, TrainResult } from '../../lib/exercise-support/01-ffnn-from-scratch.js';

// The shared types and helpers (not the lesson) live in lib/; re-exported so this module's exports stay the same.
export * from '../../lib/exercise-support/01-ffnn-from-scratch.js';

// ───────────────────────────── Task 1: perceptron ─────────────────────────────

export function trainPerceptron(x: number[][], y: number[], options: PerceptronOptions = {}): PerceptronResult {
  const { epochs = 20, learningRate = 0.1 } = options;
  if (x.length === 0 || x.length !== y.length) {
    throw new CourseError(`trainPerceptron got ${x.length} inputs and ${y.length} labels`, 'pass one 0/1 label per input row');
  }
  const weights = new Array<number>(x[0]!.length).fill(0);
  let bias = 0;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    let mistakes = 0;
    for (let i = 0; i < x.length; i++) {
      const error = y[i]! - perceptronPredict(weights, bias, x[i]!);
      if (error === 0) continue;
      mistakes++;
      for (let j = 0; j < weights.length; j++) weights[j]! += learningRate * error * x[i]![j]!;
      bias += learningRate * error;
    }
    if (mistakes === 0) return { weights, bias, converged: true, epochsRun: epoch };
  }
  return { weights, bias, converged: false, epochsRun: epochs };
}

// ───────────────────────────── Task 2: parameter count ─────────────────────────────

export function countParameters(layerSizes: readonly number[]): number {
  if (layerSizes.length < 2 || !layerSizes.every((n) => Number.isInteger(n) && n > 0)) {
    throw new CourseError(
      `layer sizes [${layerSizes.join(', ')}] do not describe a network`,
      'pass at least an input and an output size, all positive integers, e.g. [784, 128, 64, 10]',
    );
  }
  let total = 0;
  for (let l = 1; l < layerSizes.length; l++) total += layerSizes[l - 1]! * layerSizes[l]! + layerSizes[l]!;
  return total;
}

// ───────────────────────────── Task 3: forward pass ─────────────────────────────

export function forward(params: Params, x: tf.Tensor2D, config: NetConfig): ForwardCache {
  checkNetwork(params, x);
  return tidy(() => {
    const preActivations: tf.Tensor2D[] = [];
    const activations: tf.Tensor2D[] = [x];
    params.forEach((layer, l) => {
      const z = activations[l]!.matMul(layer.W).add(layer.b) as tf.Tensor2D;
      const isOutput = l === params.length - 1;
      const kind = isOutput ? config.output : config.hidden;
      let a: tf.Tensor2D;
      if (kind === 'sigmoid') a = tf.sigmoid(z);
      else if (kind === 'relu') a = tf.relu(z);
      else if (kind === 'softmax') a = tf.softmax(z);
      else a = z.clone();
      preActivations.push(z);
      activations.push(a);
    });
    return { preActivations, activations };
  });
}

// ───────────────────────────── Task 4: loss, backward pass, SGD step ─────────────────────────────

const EPS = 1e-7;

export function computeLoss(yPred: tf.Tensor2D, yTrue: tf.Tensor2D, output: OutputActivation): tf.Scalar {
  if (yPred.shape.join() !== yTrue.shape.join()) {
    throw new CourseError(`prediction shape [${yPred.shape}] differs from target shape [${yTrue.shape}]`, 'targets need one row per example and one column per output (one-hot for classes)');
  }
  return tidy((): tf.Scalar => {
    if (output === 'softmax') {
      return tf.neg(tf.mean(tf.sum(yTrue.mul(tf.log(yPred.clipByValue(EPS, 1))), 1))) as tf.Scalar;
    }
    if (output === 'sigmoid') {
      const p = yPred.clipByValue(EPS, 1 - EPS);
      return tf.neg(tf.mean(yTrue.mul(tf.log(p)).add(tf.sub(1, yTrue).mul(tf.log(tf.sub(1, p)))))) as tf.Scalar;
    }
    return tf.mean(tf.square(yPred.sub(yTrue))) as tf.Scalar;
  });
}

export function backward(params: Params, cache: ForwardCache, yTrue: tf.Tensor2D, config: NetConfig): Grads {
  return tidy(() => {
    const L = params.length;
    const yHat = cache.activations[L]!;
    const [n, k] = yHat.shape;
    // Gradient of the loss w.r.t. the output pre-activation z_L.
    let dz: tf.Tensor2D;
    if (config.output === 'softmax') dz = yHat.sub(yTrue).div(n);
    else if (config.output === 'sigmoid') dz = yHat.sub(yTrue).div(n * k);
    else dz = yHat.sub(yTrue).mul(2 / (n * k));

    const grads: Grads = new Array(L);
    for (let l = L - 1; l >= 0; l--) {
      const aPrev = cache.activations[l]!;
      grads[l] = { dW: aPrev.transpose().matMul(dz) as tf.Tensor2D, db: dz.sum(0) as tf.Tensor1D };
      if (l === 0) break;
      const da = dz.matMul(params[l]!.W.transpose());
      const local =
        config.hidden === 'sigmoid'
          ? aPrev.mul(tf.sub(1, aPrev)) // σ'(z) = σ(z)(1 − σ(z))
          : tf.step(cache.preActivations[l - 1]!); // ReLU'(z) = 1 where z > 0
      dz = da.mul(local) as tf.Tensor2D;
    }
    return grads;
  });
}

export function sgdStep(params: Params, grads: Grads, learningRate: number): Params {
  return tidy(() =>
    params.map((layer, l) => ({
      W: layer.W.sub(grads[l]!.dW.mul(learningRate)) as tf.Tensor2D,
      b: layer.b.sub(grads[l]!.db.mul(learningRate)) as tf.Tensor1D,
    })),
  );
}

// ───────────────────────────── Task 5: data, init, training ─────────────────────────────

export function prepareIris(options: PrepareOptions): PreparedData {
  const { testFraction, seed, featureIndices = [0, 1, 2, 3] } = options;
  const iris = loadIris();
  const rows = iris.features.map((r) => featureIndices.map((c) => r[c]!));
  const split = stratifiedSplit(iris.labels, { test: testFraction }, seed);
  const numClasses = iris.classNames.length;

  const trainRows = split.train.map((i) => rows[i]!);
  const testRows = split.test.map((i) => rows[i]!);
  const scaler = standardize(trainRows); // statistics from the training rows ONLY
  const labelsTrain = split.train.map((i) => iris.labels[i]!);
  const labelsTest = split.test.map((i) => iris.labels[i]!);
  const oneHot = (labels: number[]): tf.Tensor2D =>
    tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), numClasses).toFloat() as tf.Tensor2D);

  return {
    xTrain: tf.tensor2d(scaler.apply(trainRows)),
    yTrain: oneHot(labelsTrain),
    labelsTrain,
    xTest: tf.tensor2d(scaler.apply(testRows)),
    yTest: oneHot(labelsTest),
    labelsTest,
    trainIndices: split.train,
    testIndices: split.test,
    mean: scaler.mean,
    std: scaler.std,
    featureNames: featureIndices.map((c) => iris.featureNames[c]!),
    classNames: iris.classNames,
  };
}

export function initParams(layerSizes: readonly number[], scheme: InitScheme, seed: number): Params {
  countParameters(layerSizes); // validates the sizes
  const rng = makeRng(seed);
  const params: Params = [];
  for (let l = 1; l < layerSizes.length; l++) {
    const fanIn = layerSizes[l - 1]!;
    const fanOut = layerSizes[l]!;
    // He keeps ReLU activations' variance steady; Xavier/Glorot balances forward and backward for sigmoid/tanh.
    const std = scheme === 'he' ? Math.sqrt(2 / fanIn) : Math.sqrt(2 / (fanIn + fanOut));
    const values = Float32Array.from({ length: fanIn * fanOut }, () => rng.normal() * std);
    params.push({ W: tf.tensor2d(values, [fanIn, fanOut]), b: tf.zeros([fanOut]) });
  }
  return params;
}

export function trainMlp(initial: Params, data: { x: tf.Tensor2D; y: tf.Tensor2D }, config: TrainConfig): TrainResult {
  checkNetwork(initial, data.x);
  const rng = makeRng(config.seed);
  const n = data.x.shape[0];
  // Work on copies: the caller keeps (and disposes) the initial parameters.
  let params: Params = initial.map((l) => ({ W: l.W.clone(), b: l.b.clone() }));
  const epochLoss: number[] = [];

  for (let epoch = 0; epoch < config.epochs; epoch++) {
    let lossSum = 0;
    const batches = batchIndices(n, config.batchSize, rng); // reshuffled every epoch
    for (const batch of batches) {
      const { next, loss } = tidy(() => {
        const idx = tf.tensor1d(batch, 'int32');
        const xb = tf.gather(data.x, idx) as tf.Tensor2D;
        const yb = tf.gather(data.y, idx) as tf.Tensor2D;
        const cache = forward(params, xb, config);
        const lossT = computeLoss(cache.activations[params.length]!, yb, config.output);
        const grads = backward(params, cache, yb, config);
        return { next: sgdStep(params, grads, config.learningRate), loss: lossT };
      });
      lossSum += loss.dataSync()[0]!;
      loss.dispose();
      disposeParams(params);
      params = next;
    }
    epochLoss.push(lossSum / batches.length);
    config.onEpoch?.(epoch, params, epochLoss[epochLoss.length - 1]!);
  }
  return { params, epochLoss };
}
