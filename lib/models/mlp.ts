/**
 * A dense classifier (MLP) built from named activations, seeded so the same spec always starts
 * from the same weights. Uses tfjs's built-in activations, so its speed reflects real kernels.
 */
import * as tf from '@tensorflow/tfjs';
import { CourseError } from '../errors.js';
import { INPUT_SIZE, NUM_CLASSES } from '../data/flat-fashion.js';

export const ACTIVATION_NAMES = ['sigmoid', 'tanh', 'relu', 'leakyRelu', 'elu', 'swish', 'gelu'] as const;
export type ActivationName = (typeof ACTIVATION_NAMES)[number];
export type InitName = 'glorotUniform' | 'heNormal';

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
