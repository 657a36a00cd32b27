/**
 * The parts of exercise 05-transfer-learning that are not the lesson: the target-task data, a
 * plain "compile + fit with Adam" trainer, held-out accuracy and weight snapshots.
 */
import * as tf from '@tensorflow/tfjs';
import { CourseError } from '../errors.js';
import { loadFashionMnist } from '../data/fashion-mnist.js';
import { TARGET_CLASSES, toTensors } from '../pretrain/transfer-base.js';
import { fitModel, type History } from '../train/index.js';

export interface LabelledData {
  /** images [n,h,w,c] as the model takes them */
  x: tf.Tensor4D;
  /** one-hot targets [n, numClasses] */
  y: tf.Tensor2D;
  /** class index per example (0..numClasses-1) */
  labels: Int32Array;
}

/**
 * Target-task images (Fashion-MNIST classes 5–9 relabelled 0–4): `perClass` seeded examples of
 * each class from one split. `adapt` maps the [n,28,28,1] images to another base's input.
 */
export function loadTargetData(
  split: 'train' | 'test',
  perClass: number,
  seed: number,
  adapt?: (x: tf.Tensor4D) => tf.Tensor4D,
): LabelledData {
  const { x, y, labels } = toTensors(loadFashionMnist(split, { classes: [...TARGET_CLASSES], perClass, seed }), TARGET_CLASSES);
  if (!adapt) return { x, y, labels };
  const adapted = adapt(x);
  x.dispose();
  return { x: adapted, y, labels };
}

export function disposeData(data: LabelledData): void {
  tf.dispose([data.x, data.y]);
}

/** Predicted class per example. */
export function predictClasses(model: tf.LayersModel, x: tf.Tensor4D): Int32Array {
  return tf.tidy(() => {
    const probs = model.predict(x, { batchSize: 256 }) as tf.Tensor;
    return Int32Array.from(probs.argMax(-1).dataSync());
  });
}

/** Fraction of `data` that `model` classifies correctly. */
export function evaluateAccuracy(model: tf.LayersModel, data: LabelledData): number {
  const pred = predictClasses(model, data.x);
  let hits = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === data.labels[i]) hits++;
  return hits / Math.max(1, pred.length);
}

export interface AdamTrainOptions {
  learningRate: number;
  epochs: number;
  batchSize: number;
  seed: number;
  validation?: LabelledData;
  label?: string;
  quiet?: boolean;
}

/**
 * Compiles `model` with Adam(learningRate) + categorical cross-entropy and trains it. Only the
 * layers whose `trainable` flag is set *before this call* are updated (compile reads the flags).
 * History: loss, acc and, with validation data, val_loss and val_acc per epoch.
 */
export async function trainWithAdam(model: tf.LayersModel, data: LabelledData, o: AdamTrainOptions): Promise<History> {
  if (!(o.learningRate > 0)) throw new CourseError(`learningRate must be > 0, got ${o.learningRate}`, 'pass e.g. 1e-3');
  model.compile({ optimizer: tf.train.adam(o.learningRate), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const result = await fitModel(model, data.x, data.y, {
    epochs: o.epochs,
    batchSize: o.batchSize,
    seed: o.seed,
    validationData: o.validation ? [o.validation.x, o.validation.y] : undefined,
    label: o.label,
    quiet: o.quiet,
  });
  return result.history;
}

/** Copies of every weight of every layer, by layer name (for "did this layer change?" checks). */
export function snapshotWeights(model: tf.LayersModel): Map<string, Float32Array[]> {
  const out = new Map<string, Float32Array[]>();
  for (const layer of model.layers) {
    out.set(
      layer.name,
      layer.weights.map((w) => Float32Array.from(w.read().dataSync() as Float32Array)),
    );
  }
  return out;
}

/** Largest absolute change of any weight of `layer` between two snapshots (0 = bit-identical). */
export function maxWeightChange(before: Map<string, Float32Array[]>, after: Map<string, Float32Array[]>, layer: string): number {
  const a = before.get(layer);
  const b = after.get(layer);
  if (!a || !b) throw new CourseError(`no layer named ${layer} in the snapshot`, `use one of ${[...before.keys()].join(', ')}`);
  let max = 0;
  a.forEach((w, i) => {
    const v = b[i]!;
    for (let j = 0; j < w.length; j++) {
      const d = Math.abs(v[j]! - w[j]!);
      if (d > max || Number.isNaN(d)) max = Number.isNaN(d) ? Infinity : d;
    }
  });
  return max;
}
