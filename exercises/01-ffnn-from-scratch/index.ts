/**
 * 01-ffnn-from-scratch — YOUR CODE goes in the TODO blocks below. Each TODO says WHAT the
 * function must do (contract, shapes, edge cases, errors, the course's formula); HOW is in the
 * hints: `course hint 01-ffnn-from-scratch`.
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
import { perceptronPredict, checkNetwork, disposeParams, tidy } from '../../lib/exercise-support/01-ffnn-from-scratch.js';
import type { OutputActivation, InitScheme, Params, NetConfig, ForwardCache, Grads, PerceptronOptions, PerceptronResult, PreparedData, PrepareOptions, TrainConfig, TrainResult } from '../../lib/exercise-support/01-ffnn-from-scratch.js';

// The shared types and helpers (not the lesson) live in lib/; re-exported so this module's exports stay the same.
export * from '../../lib/exercise-support/01-ffnn-from-scratch.js';

// ───────────────────────────── Task 1: perceptron ─────────────────────────────

export function trainPerceptron(x: number[][], y: number[], options: PerceptronOptions = {}): PerceptronResult {
  // TODO (Task 1): the classic perceptron learning rule (Rosenblatt), exactly:
  //   - it starts from all-zero weights (one per input column) and bias 0;
  //   - an epoch visits the examples in their given order; the prediction is the given
  //     perceptronPredict (a step on w·x + b, which is 1 at exactly 0);
  //   - only a mistake changes anything: with error e = y − ŷ and rate α,
  //       w_j ← w_j + α·e·x_j   and   b ← b + α·e;
  //   - an epoch without a mistake ends training: converged true, epochsRun = that epoch (1-based);
  //     otherwise after `epochs` epochs: converged false, epochsRun = epochs.
  // Defaults epochs 20, learningRate 0.1. No examples, or x and y of different lengths → CourseError.
  throw new NotImplemented('trainPerceptron');
}

// ───────────────────────────── Task 2: parameter count ─────────────────────────────

export function countParameters(layerSizes: readonly number[]): number {
  // TODO (Task 2): the number of weights plus biases of a fully connected net whose layer widths
  // are `layerSizes` (input first). Check: [784, 128, 64, 10] → 109,386.
  // Fewer than 2 sizes, or a size that is not a positive integer → CourseError (problem + fix).
  throw new NotImplemented('countParameters');
}

// ───────────────────────────── Task 3: forward pass ─────────────────────────────

export function forward(params: Params, x: tf.Tensor2D, config: NetConfig): ForwardCache {
  checkNetwork(params, x); // shape errors come back as a CourseError
  // TODO (Task 3): the forward pass, remembering every intermediate result for backward().
  //   a_0 = x [batch, in]; for each layer l:  z_l = a_l·W_l + b_l   [batch, out_l]
  //                                           a_{l+1} = act(z_l)
  //   act is config.hidden for every layer but the last ('sigmoid' σ(z) = 1/(1 + e^−z), or
  //   'relu' max(0, z)) and config.output for the last ('softmax' per ROW: e^z_k / Σ_j e^z_j,
  //   'sigmoid', or 'linear': a = z).
  //   Returns { preActivations: [z_0 … z_{L−1}], activations: [x, a_1 … a_L] } (L = layers).
  //   Contract: activations[0] is the caller's x itself; every other tensor in the cache is
  //   new and appears only once (disposeCache frees both lists, so a = z must be a copy);
  //   nothing else is left behind (no leaked temporaries).
  throw new NotImplemented('forward');
}

// ───────────────────────────── Task 4: loss, backward pass, SGD step ─────────────────────────────


export function computeLoss(yPred: tf.Tensor2D, yTrue: tf.Tensor2D, output: OutputActivation): tf.Scalar {
  // TODO (Task 4a): the loss that goes with each output activation, as a scalar tensor:
  //   'softmax': cross-entropy, mean over EXAMPLES of −Σ_k y_k ln ŷ_k
  //   'sigmoid': binary cross-entropy, mean over ALL elements of −[y ln ŷ + (1−y) ln(1−ŷ)]
  //   'linear' : squared error, mean over ALL elements of (ŷ − y)²   (no ½ in front)
  //   Check: ŷ = 0.731, y = 1, linear → ≈ 0.072. It must stay finite when ŷ is exactly 0 or 1
  //   (a confident mistake is a large loss, not Infinity or NaN; ε = 1e-7 is fine).
  //   yPred and yTrue of different shapes → CourseError. No leaked temporaries.
  throw new NotImplemented('computeLoss');
}

export function backward(params: Params, cache: ForwardCache, yTrue: tf.Tensor2D, config: NetConfig): Grads {
  // TODO (Task 4b): backpropagation by hand: the gradient of computeLoss(ŷ, yTrue, config.output)
  // with respect to every W and b, from the cache of forward(). Autodiff (tf.grad and friends)
  // and optimizers are switched OFF while the tests run this function.
  //   Returns one { dW, db } per layer, in layer order, each with the shape of its W and b.
  //   The chain rule of the course: the error at the output, ∂L/∂z_L, goes down layer by
  //   layer; at each layer ∂L/∂W = (the layer's input)ᵀ·∂L/∂z and ∂L/∂b = the sum of ∂L/∂z over
  //   the batch; the error reaching the layer below is multiplied element-wise by the
  //   derivative of that layer's activation: σ' = σ(1 − σ), relu' = 1 for z > 0 else 0.
  //   Mind the means: the losses above average over N examples (softmax) or over all N·K
  //   elements (sigmoid, linear), and the squared error has no ½.
  //   Check (chapter 5): x = 2, w1 = 0.5, σ hidden, linear output w2 = 1, y = 1, squared error →
  //   ∂L/∂w2 ≈ −0.393, ∂L/∂w1 ≈ −0.211. Must agree with autodiff to float32 precision; no leaks.
  throw new NotImplemented('backward');
}

export function sgdStep(params: Params, grads: Grads, learningRate: number): Params {
  // TODO (Task 4c): one plain gradient-descent step: θ ← θ − lr·∂L/∂θ for every W and b.
  // Returns NEW tensors; `params` and `grads` stay valid and unchanged (the caller owns them).
  // Check: the chapter-5 example with lr 0.01 → w2 ≈ 1.0039, w1 ≈ 0.5021.
  throw new NotImplemented('sgdStep');
}

// ───────────────────────────── Task 5: data, init, training ─────────────────────────────

export function prepareIris(options: PrepareOptions): PreparedData {
  // TODO (Task 5a): Iris (loadIris) as PreparedData (see its field comments):
  //   - only the columns in featureIndices (default [0, 1, 2, 3]), in that order;
  //   - a STRATIFIED split (each class in the same proportion on both sides), decided by `seed`
  //     and testFraction only (same seed → same rows); trainIndices/testIndices are rows of
  //     loadIris().features, disjoint, together all 150;
  //   - both sides standardised, x' = (x − mean) / std per column, with mean and std of the
  //     TRAINING rows only (test statistics would leak the held-out data into training);
  //   - y* one-hot float [n, 3], labels* the integer classes in the same row order.
  // The given helpers stratifiedSplit and standardize (lib/data/split.ts) do the bookkeeping.
  throw new NotImplemented('prepareIris');
}

export function initParams(layerSizes: readonly number[], scheme: InitScheme, seed: number): Params {
  // TODO (Task 5b): seeded random initialisation, one layer per consecutive pair of sizes:
  //   W [fanIn, fanOut] drawn from a normal distribution with mean 0 and standard deviation
  //     'he'     √(2 / fanIn)            (for ReLU nets)
  //     'xavier' √(2 / (fanIn + fanOut)) (for sigmoid / tanh nets);
  //   b = 0. Same seed → the same numbers, another seed → others (the given makeRng is seeded).
  //   Bad sizes → the same CourseError as countParameters.
  throw new NotImplemented('initParams');
}

export function trainMlp(initial: Params, data: { x: tf.Tensor2D; y: tf.Tensor2D }, config: TrainConfig): TrainResult {
  checkNetwork(initial, data.x);
  // TODO (Task 5c): mini-batch SGD with YOUR forward / computeLoss / backward / sgdStep:
  //   - config.epochs passes; each pass visits every row once, in batches of config.batchSize,
  //     in a fresh shuffled order that depends only on config.seed (same seed → same result,
  //     another seed → another result); the given batchIndices makes such batches;
  //   - `initial` stays valid and unchanged: the caller keeps and disposes it;
  //   - epochLoss[e] = the mean of epoch e's batch losses; config.onEpoch?.(e, params, that
  //     mean) after each epoch (0-based e);
  //   - returns the final params as fresh tensors; the number of live tensors must not grow
  //     from batch to batch.
  throw new NotImplemented('trainMlp');
}
