/**
 * The plumbing for tasks 2 and 3 (already working in the stub): the MLP builder, data loading,
 * one epoch of training and evaluation. The network uses tfjs's built-in activations so its
 * speed reflects real kernels; your hand-written functions from task 1 are checked against them.
 */
import * as tf from '@tensorflow/tfjs';
import { CourseError } from '../../lib/errors.js';
import { loadFashionMnist } from '../../lib/data/fashion-mnist.js';
import { batchIndices } from '../../lib/data/split.js';
import type { Rng } from '../../lib/random.js';

export const ACTIVATION_NAMES = ['sigmoid', 'tanh', 'relu', 'leakyRelu', 'elu', 'swish', 'gelu'] as const;
export type ActivationName = (typeof ACTIVATION_NAMES)[number];
export type InitName = 'glorotUniform' | 'heNormal';

export const INPUT_SIZE = 28 * 28;
export const NUM_CLASSES = 10;

export interface MlpSpec {
  activation: ActivationName;
  /** hidden layer widths; the net has hidden.length + 1 Dense layers */
  hidden: number[];
  /** seeds every kernel initializer (layer i gets seed + i) */
  seed: number;
  /** weight init for every layer; default glorotUniform (tfjs's default) */
  init?: InitName;
  inputSize?: number;
  numClasses?: number;
}

export function checkActivationName(name: string): asserts name is ActivationName {
  if (!(ACTIVATION_NAMES as readonly string[]).includes(name)) {
    throw new CourseError(`unknown activation '${name}'`, `use one of ${ACTIVATION_NAMES.join(', ')}`);
  }
}

/** An MLP: Dense(+activation) per hidden width, then a Dense output of raw logits (no softmax). */
export function buildMlp(spec: MlpSpec): tf.Sequential {
  checkActivationName(spec.activation);
  if (spec.hidden.length === 0 || !spec.hidden.every((h) => Number.isInteger(h) && h > 0)) {
    throw new CourseError(`hidden must be a non-empty list of positive widths, got [${spec.hidden.join(',')}]`, 'pass e.g. hidden: [64, 64, 64]');
  }
  const init = spec.init ?? 'glorotUniform';
  const kernel = (i: number) =>
    init === 'heNormal' ? tf.initializers.heNormal({ seed: spec.seed + i }) : tf.initializers.glorotUniform({ seed: spec.seed + i });
  const model = tf.sequential();
  spec.hidden.forEach((units, i) => {
    const inputShape = i === 0 ? [spec.inputSize ?? INPUT_SIZE] : undefined;
    if (spec.activation === 'leakyRelu') {
      // tfjs has no 'leakyRelu' activation string; a LeakyReLU layer after a linear Dense is the same.
      model.add(tf.layers.dense({ units, inputShape, kernelInitializer: kernel(i), name: `dense${i + 1}` }));
      model.add(tf.layers.leakyReLU({ alpha: 0.01, name: `leaky${i + 1}` }));
    } else {
      const activation = spec.activation === 'gelu' ? 'gelu_new' : spec.activation; // gelu_new = tanh approximation
      model.add(tf.layers.dense({ units, inputShape, activation, kernelInitializer: kernel(i), name: `dense${i + 1}` }));
    }
  });
  const last = spec.hidden.length;
  model.add(tf.layers.dense({ units: spec.numClasses ?? NUM_CLASSES, kernelInitializer: kernel(last), name: `logits` }));
  return model;
}

export interface OptimizerSpec {
  name: 'sgd' | 'momentum' | 'adam';
  learningRate: number;
}

/** A fresh optimizer (each run needs its own: optimizers keep per-weight state). */
export function makeOptimizer(spec: OptimizerSpec): tf.Optimizer {
  if (!(spec.learningRate > 0)) throw new CourseError(`learningRate must be > 0, got ${spec.learningRate}`, 'pass e.g. 0.05');
  if (spec.name === 'sgd') return tf.train.sgd(spec.learningRate);
  if (spec.name === 'momentum') return tf.train.momentum(spec.learningRate, 0.9);
  if (spec.name === 'adam') return tf.train.adam(spec.learningRate);
  throw new CourseError(`unknown optimizer '${String((spec as { name: unknown }).name)}'`, "use 'sgd', 'momentum' or 'adam'");
}

export interface Dataset {
  /** [n, 784] pixels in [0, 1] */
  x: tf.Tensor2D;
  /** [n, 10] one-hot */
  y: tf.Tensor2D;
  labels: Int32Array;
}

/**
 * A Fashion-MNIST subset as flat vectors: `perClass` images of each class from `split`, chosen by
 * `seed`. The comparison trains on split 'train' and validates on split 'test'.
 */
export function loadFlatFashion(split: 'train' | 'test', perClass: number, seed: number): Dataset {
  const set = loadFashionMnist(split, { perClass, seed });
  return tf.tidy(() => ({
    x: tf.tensor2d(set.images, [set.n, INPUT_SIZE]),
    y: tf.oneHot(tf.tensor1d(set.labels, 'int32'), NUM_CLASSES).toFloat() as tf.Tensor2D,
    labels: set.labels,
  }));
}

export function disposeDataset(d: Dataset): void {
  tf.dispose([d.x, d.y]);
}

/** Mean softmax cross-entropy of the model's logits against one-hot targets. */
export function crossEntropy(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.losses.softmaxCrossEntropy(y, model.apply(x) as tf.Tensor) as tf.Scalar);
}

export interface EpochLogs {
  loss: number;
  accuracy: number;
}

/** Loss and accuracy of `model` on a whole dataset (batched so big sets fit in memory). */
export function evaluate(model: tf.LayersModel, data: Dataset, batchSize = 500): EpochLogs {
  let lossSum = 0;
  let hits = 0;
  const n = data.x.shape[0];
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    const [l, h] = tf.tidy(() => {
      const xb = data.x.slice([start, 0], [size, -1]);
      const yb = data.y.slice([start, 0], [size, -1]);
      const logits = model.apply(xb) as tf.Tensor;
      const loss = tf.losses.softmaxCrossEntropy(yb, logits).mul(size);
      const correct = tf.equal(tf.argMax(logits, 1), tf.argMax(yb, 1)).sum();
      return [loss.dataSync()[0]!, correct.dataSync()[0]!];
    });
    lossSum += l;
    hits += h;
  }
  return { loss: lossSum / n, accuracy: hits / n };
}

/** One pass over `data` in minibatches shuffled by `rng`; returns mean training loss and accuracy. */
export function trainEpoch(model: tf.LayersModel, optimizer: tf.Optimizer, data: Dataset, batchSize: number, rng: Rng): EpochLogs {
  let lossSum = 0;
  let hits = 0;
  const n = data.x.shape[0];
  for (const batch of batchIndices(n, batchSize, rng)) {
    const [lossT, correctT] = tf.tidy(() => {
      const idx = tf.tensor1d(batch, 'int32');
      const xb = tf.gather(data.x, idx);
      const yb = tf.gather(data.y, idx);
      let correct = tf.scalar(0);
      const loss = optimizer.minimize(() => {
        const logits = model.apply(xb, { training: true }) as tf.Tensor;
        // keep: minimize disposes everything made inside this closure except the returned loss
        correct = tf.keep(tf.equal(tf.argMax(logits, 1), tf.argMax(yb, 1)).sum());
        return tf.losses.softmaxCrossEntropy(yb, logits) as tf.Scalar;
      }, true)!;
      return [loss, correct];
    });
    const l = lossT.dataSync()[0]! * batch.length;
    const h = correctT.dataSync()[0]!;
    tf.dispose([lossT, correctT]);
    if (!Number.isFinite(l)) {
      throw new CourseError(`training loss became ${l}`, 'lower the learning rate or check the activation for overflow');
    }
    lossSum += l;
    hits += h;
  }
  return { loss: lossSum / n, accuracy: hits / n };
}
