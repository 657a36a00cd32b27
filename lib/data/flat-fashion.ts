/**
 * Fashion-MNIST as flat vectors for dense networks: x [n, 784] in [0, 1], y [n, 10] one-hot.
 */
import * as tf from '@tensorflow/tfjs';
import { loadFashionMnist } from './fashion-mnist.js';

export const INPUT_SIZE = 28 * 28;
export const NUM_CLASSES = 10;

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
