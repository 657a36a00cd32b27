/**
 * 06-regularisation-lab: the types and input checks that are not the lesson, shared by the
 * student stub (exercises/) and the reference (solutions/), which re-export them.
 */
import * as tf from '@tensorflow/tfjs';
import { CourseError } from '../errors.js';

export interface MomentumOptions {
  learningRate: number;
  /** β: how much of the previous velocity is kept (tf.train.momentum's `momentum`) */
  momentum: number;
}
/** The velocity v, same shape as the parameter. */
export interface MomentumState {
  velocity: tf.Tensor;
}

export interface AdamOptions {
  learningRate: number;
  /** decay of the first moment (mean of the gradient); default 0.9 */
  beta1?: number;
  /** decay of the second moment (mean of the squared gradient); default 0.999 */
  beta2?: number;
  /** added to sqrt(v̂) so the division never blows up; default 1e-7 (tf.train.adam's float32 default) */
  epsilon?: number;
}
/** Adam's running moments and the number of steps already taken. */
export interface AdamState {
  m: tf.Tensor;
  v: tf.Tensor;
  /** steps taken so far (0 before the first step) */
  t: number;
}

/** What an optimiser step returns: the updated parameter and the new state (inputs untouched). */
export interface StepResult<S> {
  param: tf.Tensor;
  state: S;
}

export function initMomentumState(param: tf.Tensor): MomentumState {
  return { velocity: tf.zerosLike(param) };
}

export function initAdamState(param: tf.Tensor): AdamState {
  return { m: tf.zerosLike(param), v: tf.zerosLike(param), t: 0 };
}

export function disposeState(state: MomentumState | AdamState): void {
  tf.dispose(Object.values(state).filter((v): v is tf.Tensor => v instanceof tf.Tensor));
}

export function checkLambda(fn: string, lambda: number): void {
  if (!Number.isFinite(lambda) || lambda < 0) {
    throw new CourseError(`${fn}: lambda must be a finite number ≥ 0, got ${lambda}`, 'pass the regularisation strength, e.g. 1e-4 (0 switches the penalty off)');
  }
}

export function checkWeights(fn: string, weights: readonly tf.Tensor[]): void {
  if (!Array.isArray(weights) || weights.length === 0) {
    throw new CourseError(`${fn}: expected a non-empty array of weight tensors`, 'pass the kernels of every layer, e.g. [W1, W2] (not the biases)');
  }
}

export function checkShape2d(fn: string, shape: readonly number[]): void {
  if (shape.length !== 2 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new CourseError(`${fn}: shape must be [fanIn, fanOut] with positive integers, got [${shape.join(', ')}]`, 'pass the weight matrix shape, e.g. [784, 256]');
  }
}

export function checkStep(fn: string, param: tf.Tensor, grad: tf.Tensor, learningRate: number): void {
  if (!tf.util.arraysEqual(param.shape, grad.shape)) {
    throw new CourseError(`${fn}: grad has shape [${grad.shape}] but param has [${param.shape}]`, 'pass the gradient of the loss with respect to this very parameter');
  }
  if (!Number.isFinite(learningRate) || learningRate <= 0) {
    throw new CourseError(`${fn}: learningRate must be > 0, got ${learningRate}`, 'use e.g. 0.01 for momentum, 0.001 for Adam');
  }
}

export function checkRate(fn: string, rate: number): void {
  if (!Number.isFinite(rate) || rate < 0 || rate >= 1) {
    throw new CourseError(`${fn}: rate must be in [0, 1), got ${rate}`, 'rate is the fraction of units DROPPED, e.g. 0.5; 1 would drop everything');
  }
}

/** before and after must hold the same layers with the same shapes. */
export function checkLayerPairs(fn: string, before: readonly tf.Tensor[], after: readonly tf.Tensor[]): void {
  checkWeights(fn, before);
  const fix = 'pass the same layers, in the same order, before and after the step';
  if (!Array.isArray(after) || after.length !== before.length) {
    throw new CourseError(`${fn}: got ${before.length} tensors before but ${after?.length} after`, fix);
  }
  before.forEach((b, i) => {
    if (!tf.util.arraysEqual(after[i]!.shape, b.shape)) {
      throw new CourseError(`${fn}: layer ${i} has shape [${b.shape}] before and [${after[i]!.shape}] after`, fix);
    }
  });
}
