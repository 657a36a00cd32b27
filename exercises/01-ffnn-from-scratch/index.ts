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
import { perceptronPredict, checkNetwork, tidy } from '../../lib/exercise-support/01-ffnn-from-scratch.js';
import type { OutputActivation, InitScheme, Params, NetConfig, ForwardCache, Grads, PerceptronOptions, PerceptronResult, PreparedData, PrepareOptions, TrainConfig, TrainResult } from '../../lib/exercise-support/01-ffnn-from-scratch.js';

// The shared types and helpers (not the lesson) live in lib/; re-exported so this module's exports stay the same.
export * from '../../lib/exercise-support/01-ffnn-from-scratch.js';

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
