/** Optimizers by name, so experiment configs can say which one to use. */
import * as tf from '@tensorflow/tfjs';
import { CourseError } from '../errors.js';

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
