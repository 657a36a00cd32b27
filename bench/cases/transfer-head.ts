/**
 * Transfer learning: a frozen conv base (conv·32 → pool → conv·64 → pool) with a trainable
 * dense head (64 → 10). Each base layer is frozen before compile (a nested model's
 * `trainable = false` alone did not freeze it; see TFJS-NOTES).
 */
import * as tf from '@tensorflow/tfjs';
import { BATCH, type BenchCase, glorot, trainOnBatchCase } from './_shared.js';

export const benchCase: BenchCase = {
  name: 'transfer-head',
  async setup() {
    const L = tf.layers;
    const base = [
      L.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: glorot(1) }),
      L.maxPooling2d({ poolSize: 2 }),
      L.conv2d({ filters: 64, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: glorot(2) }),
      L.maxPooling2d({ poolSize: 2 }),
    ];
    for (const layer of base) layer.trainable = false;
    const model = tf.sequential({
      layers: [
        ...base,
        L.flatten(),
        L.dense({ units: 64, activation: 'relu', kernelInitializer: glorot(3) }),
        L.dense({ units: 10, activation: 'softmax', kernelInitializer: glorot(4) }),
      ],
    });
    model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
    const x = tf.randomUniform([BATCH, 28, 28, 1], 0, 1, 'float32', 5);
    const y = tf.oneHot(tf.randomUniform([BATCH], 0, 10, 'int32', 6) as tf.Tensor1D, 10).toFloat();
    return trainOnBatchCase(model, x, y);
  },
};
