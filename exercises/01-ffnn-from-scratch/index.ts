/**
 * 01-ffnn-from-scratch — YOUR CODE goes in the TODO blocks below.
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
import { CourseError, NotImplemented } from '../../lib/errors.js';
import { makeRng } from '../../lib/random.js';
import { loadIris } from '../../lib/data/iris.js';
import { batchIndices, standardize, stratifiedSplit } from '../../lib/data/split.js';

// ───────────────────────────── shared types and helpers (not the lesson) ─────────────────────────────

export type HiddenActivation = 'sigmoid' | 'relu';
export type OutputActivation = 'softmax' | 'sigmoid' | 'linear';
export type InitScheme = 'he' | 'xavier';

/** One dense layer: z = x·W + b with W [in, out] and b [out]. */
export interface Layer {
  W: tf.Tensor2D;
  b: tf.Tensor1D;
}
/** A network is its layers, input side first. */
export type Params = Layer[];

export interface NetConfig {
  hidden: HiddenActivation;
  output: OutputActivation;
}

/**
 * What the forward pass remembers for the backward pass.
 * activations[0] is the input x itself (owned by the caller); activations[l + 1] = act(preActivations[l]).
 */
export interface ForwardCache {
  preActivations: tf.Tensor2D[];
  activations: tf.Tensor2D[];
}

/** Gradients of the loss, one entry per layer, same shapes as the layer's W and b. */
export interface LayerGrads {
  dW: tf.Tensor2D;
  db: tf.Tensor1D;
}
export type Grads = LayerGrads[];

export interface PerceptronOptions {
  /** passes over the data (default 20) */
  epochs?: number;
  /** α in the update rule (default 0.1) */
  learningRate?: number;
}
export interface PerceptronResult {
  weights: number[];
  bias: number;
  /** true when an epoch made no mistakes (training stopped there) */
  converged: boolean;
  epochsRun: number;
}

export interface PreparedData {
  xTrain: tf.Tensor2D;
  /** one-hot [nTrain, numClasses] */
  yTrain: tf.Tensor2D;
  labelsTrain: number[];
  xTest: tf.Tensor2D;
  yTest: tf.Tensor2D;
  labelsTest: number[];
  /** row indices into loadIris().features */
  trainIndices: number[];
  testIndices: number[];
  /** the statistics used to standardise (computed from the training rows only) */
  mean: number[];
  std: number[];
  featureNames: string[];
  classNames: string[];
}
export interface PrepareOptions {
  testFraction: number;
  seed: number;
  /** which of the 4 Iris columns to keep (default all: [0, 1, 2, 3]) */
  featureIndices?: number[];
}

export interface TrainConfig extends NetConfig {
  learningRate: number;
  epochs: number;
  batchSize: number;
  /** seeds the mini-batch shuffling */
  seed: number;
  /** called after each epoch with the current parameters (do not dispose them) */
  onEpoch?: (epoch: number, params: Params, meanLoss: number) => void;
}
export interface TrainResult {
  /** fresh tensors; the caller disposes them (disposeParams) */
  params: Params;
  /** mean mini-batch loss per epoch */
  epochLoss: number[];
}

/** The classic step activation: 1 when z ≥ 0, else 0. */
export function step(z: number): 0 | 1 {
  return z >= 0 ? 1 : 0;
}

export function perceptronPredict(weights: readonly number[], bias: number, x: readonly number[]): 0 | 1 {
  let z = bias;
  for (let i = 0; i < weights.length; i++) z += weights[i]! * x[i]!;
  return step(z);
}

/** Checks that layer shapes chain and that x fits the first layer; throws a CourseError otherwise. */
export function checkNetwork(params: Params, x?: tf.Tensor): void {
  if (!Array.isArray(params) || params.length === 0) {
    throw new CourseError('the network has no layers', 'pass an array of { W, b } layers, e.g. from initParams([4, 16, 3], …)');
  }
  params.forEach((layer, l) => {
    if (layer.W.rank !== 2 || layer.b.rank !== 1 || layer.W.shape[1] !== layer.b.shape[0]) {
      throw new CourseError(
        `layer ${l}: W has shape [${layer.W.shape}] and b [${layer.b.shape}]; expected W [in, out] and b [out]`,
        'W is [inputs, units] (the slide matrix transposed) and b has one entry per unit',
      );
    }
    if (l > 0 && params[l - 1]!.W.shape[1] !== layer.W.shape[0]) {
      throw new CourseError(
        `layer ${l} expects ${layer.W.shape[0]} inputs but layer ${l - 1} has ${params[l - 1]!.W.shape[1]} units`,
        'make each W[l] have as many rows as W[l-1] has columns',
      );
    }
  });
  if (x && (x.rank !== 2 || x.shape[1] !== params[0]!.W.shape[0])) {
    throw new CourseError(
      `input has shape [${x.shape}] but the first layer expects [batch, ${params[0]!.W.shape[0]}]`,
      'put one example per row; reshape a single example with x.reshape([1, -1])',
    );
  }
}

export function disposeParams(params: Params | Grads): void {
  for (const layer of params) tf.dispose(Object.values(layer) as tf.Tensor[]);
}

/** Disposes everything forward() created (not activations[0], which is the caller's input). */
export function disposeCache(cache: ForwardCache): void {
  tf.dispose(cache.preActivations);
  tf.dispose(cache.activations.slice(1));
}

/**
 * tf.tidy with its result type kept: frees every tensor made inside `fn` except the ones in
 * the returned value (which may be a tensor, an array or an object of tensors).
 */
export function tidy<T>(fn: () => T): T {
  return tf.tidy(fn as () => tf.TensorContainer) as T;
}

/** Index of the largest output per row. */
export function predictClasses(output: tf.Tensor2D): number[] {
  return tf.tidy(() => output.argMax(1)).arraySync() as number[];
}

// ───────────────────────────── Task 1: perceptron ─────────────────────────────

export function trainPerceptron(x: number[][], y: number[], options: PerceptronOptions = {}): PerceptronResult {
  // TODO (Task 1): the classic perceptron learning rule.
  //   - start from weights = zeros (one per input column) and bias = 0
  //   - for each epoch, visit the examples in order; predict ŷ = perceptronPredict(weights, bias, x[i])
  //   - on a mistake (y − ŷ ≠ 0):  w_j += α (y − ŷ) x_ij   and   b += α (y − ŷ)
  //   - if an epoch makes no mistakes, stop: { converged: true, epochsRun: that epoch (1-based) }
  //   - otherwise after all epochs return converged: false, epochsRun: epochs
  // Defaults: epochs = 20, learningRate = 0.1. Throw a CourseError when x and y lengths differ.
  throw new NotImplemented('trainPerceptron');
}

// ───────────────────────────── Task 2: parameter count ─────────────────────────────

export function countParameters(layerSizes: readonly number[]): number {
  // TODO (Task 2): weights + biases of a fully connected net.
  //   Each layer l maps n_{l-1} inputs to n_l units: n_{l-1}·n_l weights and n_l biases.
  //   [784, 128, 64, 10] → 109,386.
  //   Throw a CourseError (problem + fix) for fewer than 2 sizes or a size that isn't a positive integer.
  throw new NotImplemented('countParameters');
}

// ───────────────────────────── Task 3: forward pass ─────────────────────────────

export function forward(params: Params, x: tf.Tensor2D, config: NetConfig): ForwardCache {
  checkNetwork(params, x); // shape errors come back as a CourseError
  // TODO (Task 3): the forward pass, remembering every step for backward().
  //   a_0 = x                                  [batch, in]
  //   for each layer l:  z_l = a_l · W_l + b_l  (tf.matMul / .matMul, .add broadcasts b over rows)
  //                      a_{l+1} = act(z_l)     hidden layers: config.hidden ('sigmoid' | 'relu')
  //                                             last layer:    config.output ('softmax' | 'sigmoid' | 'linear')
  //   Return { preActivations: [z_0 … z_{L-1}], activations: [x, a_1 … a_L] }.
  //   Useful: tf.sigmoid, tf.relu, tf.softmax (row-wise). For 'linear' return z.clone() so
  //   activations and preActivations never share a tensor (disposeCache frees both lists).
  //   Wrap the work in tidy(() => ({ preActivations, activations })): tidy keeps the
  //   tensors you return and frees the temporaries.
  throw new NotImplemented('forward');
}

// ───────────────────────────── Task 4: loss, backward pass, SGD step ─────────────────────────────


export function computeLoss(yPred: tf.Tensor2D, yTrue: tf.Tensor2D, output: OutputActivation): tf.Scalar {
  // TODO (Task 4a): the loss that goes with each output activation, as a scalar tensor.
  //   'softmax': cross-entropy, mean over examples of −Σ_k y_k log ŷ_k
  //   'sigmoid': binary cross-entropy, mean over ALL elements of −[y log ŷ + (1−y) log(1−ŷ)]
  //   'linear' : squared error, mean over ALL elements of (ŷ − y)²   (no ½ in front)
  //   Clip ŷ away from 0 and 1 (e.g. 1e-7) before tf.log so a confident mistake can't give Infinity.
  //   Throw a CourseError when yPred and yTrue have different shapes.
  throw new NotImplemented('computeLoss');
}

export function backward(params: Params, cache: ForwardCache, yTrue: tf.Tensor2D, config: NetConfig): Grads {
  // TODO (Task 4b): backpropagation by hand. tf.grad / tf.variableGrads / optimizers are
  // switched off while the tests run this function: use plain tensor ops.
  //   N = batch size, K = outputs, ŷ = cache.activations[L].
  //   1. dz_L (gradient w.r.t. the LAST pre-activation) for the losses in computeLoss:
  //        softmax + cross-entropy:  (ŷ − y) / N
  //        sigmoid + binary CE:      (ŷ − y) / (N·K)
  //        linear  + squared error:  2 (ŷ − y) / (N·K)
  //   2. for l = L−1 down to 0:
  //        dW_l = a_lᵀ · dz_l    [in, out]      db_l = Σ over rows of dz_l    [out]
  //        if l > 0:  da = dz_l · W_lᵀ   then  dz_{l−1} = da ⊙ act'(z_{l−1})
  //          sigmoid: act' = a(1 − a) using a = cache.activations[l]
  //          relu:    act' = 1 where z > 0 else 0  (tf.step)
  //   Return [{ dW, db }, …] in layer order, inside tidy(() => …).
  throw new NotImplemented('backward');
}

export function sgdStep(params: Params, grads: Grads, learningRate: number): Params {
  // TODO (Task 4c): one plain gradient-descent step, W − lr·dW and b − lr·db, as NEW tensors.
  //   Don't dispose the inputs (the caller owns them); use tidy(() => …).
  throw new NotImplemented('sgdStep');
}

// ───────────────────────────── Task 5: data, init, training ─────────────────────────────

export function prepareIris(options: PrepareOptions): PreparedData {
  // TODO (Task 5a): load, split and standardise Iris.
  //   const iris = loadIris();  keep the columns in featureIndices (default [0, 1, 2, 3])
  //   const split = stratifiedSplit(iris.labels, { test: testFraction }, seed);
  //   const scaler = standardize(<TRAIN rows only>)   ← statistics from the training set alone;
  //     using test rows here leaks the held-out data into training.
  //   xTrain / xTest = tf.tensor2d(scaler.apply(rows)); yTrain / yTest one-hot (tf.oneHot, float)
  //   labels* are the integer classes in the same row order; trainIndices / testIndices = split.train / split.test;
  //   mean / std = scaler.mean / scaler.std; featureNames for the kept columns; classNames = iris.classNames.
  throw new NotImplemented('prepareIris');
}

export function initParams(layerSizes: readonly number[], scheme: InitScheme, seed: number): Params {
  // TODO (Task 5b): seeded random initialisation.
  //   For layer l (fanIn = sizes[l−1], fanOut = sizes[l]):
  //     W ~ Normal(0, std²) of shape [fanIn, fanOut], b = zeros([fanOut])
  //     'he':     std = sqrt(2 / fanIn)            (ReLU nets)
  //     'xavier': std = sqrt(2 / (fanIn + fanOut)) (sigmoid / tanh nets)
  //   Draw the numbers from makeRng(seed).normal() so the same seed gives the same net.
  //   Validate the sizes first (countParameters throws on bad ones).
  throw new NotImplemented('initParams');
}

export function trainMlp(initial: Params, data: { x: tf.Tensor2D; y: tf.Tensor2D }, config: TrainConfig): TrainResult {
  checkNetwork(initial, data.x);
  // TODO (Task 5c): mini-batch SGD with YOUR forward / computeLoss / backward / sgdStep.
  //   - work on copies of `initial` (clone each W and b): the caller keeps and disposes the originals
  //   - const rng = makeRng(config.seed); every epoch: batchIndices(n, config.batchSize, rng)
  //     gives freshly SHUFFLED batches of row indices
  //   - per batch (inside tidy(() => …)): gather the rows (tf.gather with an int32 index tensor),
  //     forward → computeLoss → backward → sgdStep; then dispose the old params
  //   - epochLoss[epoch] = mean of the batch losses; call config.onEpoch?.(epoch, params, thatMean)
  //   - return { params, epochLoss }
  // Watch tf.memory().numTensors: it must not grow from batch to batch.
  throw new NotImplemented('trainMlp');
}
