/**
 * One epoch of training, and evaluation, for a classifier that outputs raw logits trained with
 * softmax cross-entropy on one-hot targets (minibatches shuffled by a seeded generator).
 */
import * as tf from '@tensorflow/tfjs';
import { CourseError } from '../errors.js';
import { batchIndices } from '../data/split.js';
import type { Rng } from '../random.js';
import type { Dataset } from '../data/flat-fashion.js';
import { scopedStep } from './graph-scope.js';
import { currentCurve } from '../report/context.js';

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

/**
 * trainEpoch's step on one batch: minimize the softmax cross-entropy of the model's logits
 * (training mode) with `optimizer` over every trainable variable, and count the correct
 * predictions. (xb, yb) → [loss, correct]; frees everything else it makes.
 */
export type BatchStep = (xb: tf.Tensor, yb: tf.Tensor) => tf.Tensor[];

export function batchStep(model: tf.LayersModel, optimizer: tf.Optimizer): BatchStep {
  return (xb, yb) =>
    tf.tidy(() => {
      let correct: tf.Tensor | null = null;
      const loss = optimizer.minimize(() => {
        const logits = model.apply(xb, { training: true }) as tf.Tensor;
        // keep: minimize disposes everything made inside this closure except the returned loss
        correct = tf.keep(tf.equal(tf.argMax(logits, 1), tf.argMax(yb, 1)).sum());
        return tf.losses.softmaxCrossEntropy(yb, logits) as tf.Scalar;
      }, true)!;
      return [loss, correct!];
    });
}

/**
 * One pass over `data` in minibatches shuffled by `rng`; returns mean training loss and accuracy.
 *
 * Each batch runs `step` (default: batchStep(model, optimizer)). Inside withGraphSteps
 * (lib/train/graph-scope.ts: the full runs) the default step is compiled once per model and
 * optimizer and runs as one TensorFlow graph on tfjs-node, reused by every later epoch; pass a
 * compileStep(batchStep(model, optimizer)) of your own to do the same elsewhere (you dispose it).
 *
 * Inside a run's `withCurve(name, …)` (lib/report/context.ts) every batch's loss and accuracy go
 * to that curve of the run's step log, and each call closes one epoch there.
 */
export function trainEpoch(model: tf.LayersModel, optimizer: tf.Optimizer, data: Dataset, batchSize: number, rng: Rng, step?: BatchStep): EpochLogs {
  const run = step ?? scopedStep([model, optimizer], 'trainEpoch', () => batchStep(model, optimizer)) ?? batchStep(model, optimizer);
  const curve = currentCurve();
  let lossSum = 0;
  let hits = 0;
  const n = data.x.shape[0];
  for (const batch of batchIndices(n, batchSize, rng)) {
    const [xb, yb] = tf.tidy(() => {
      const idx = tf.tensor1d(batch, 'int32');
      return [tf.gather(data.x, idx), tf.gather(data.y, idx)];
    });
    const [lossT, correctT] = run(xb!, yb!);
    tf.dispose([xb!, yb!]);
    const l = lossT!.dataSync()[0]! * batch.length;
    const h = correctT!.dataSync()[0]!;
    tf.dispose([lossT!, correctT!]);
    if (!Number.isFinite(l)) {
      throw new CourseError(`training loss became ${l}`, 'lower the learning rate or check the activation for overflow');
    }
    lossSum += l;
    hits += h;
    curve?.step({ loss: l / batch.length, accuracy: h / batch.length });
  }
  const logs = { loss: lossSum / n, accuracy: hits / n };
  curve?.endEpoch(logs);
  return logs;
}
