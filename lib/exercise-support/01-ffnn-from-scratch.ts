/**
 * 01-ffnn-from-scratch — the types and helpers that are not the lesson, shared by the student
 * stub (exercises/) and the reference (solutions/); both index.ts files re-export them.
 *
 * Conventions: examples are ROWS (x is [batch, inFeatures]); a layer is { W: [in, out], b: [out] }
 * and computes z = x·W + b (the slide's W transposed).
 */
import * as tf from '@tensorflow/tfjs';
import { CourseError } from '../errors.js';

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
