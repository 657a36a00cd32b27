/** conv3x3·32 → pool → conv3x3·64 → pool → dense 10 on 28×28×1, Adam, batch 64. */
import * as tf from '@tensorflow/tfjs';
import { BATCH, type BenchCase, glorot, trainOnBatchCase } from './_shared.js';

export const benchCase: BenchCase = {
  name: 'small-cnn',
  async setup() {
    const L = tf.layers;
    const model = tf.sequential({
      layers: [
        L.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: glorot(1) }),
        L.maxPooling2d({ poolSize: 2 }),
        L.conv2d({ filters: 64, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: glorot(2) }),
        L.maxPooling2d({ poolSize: 2 }),
        L.flatten(),
        L.dense({ units: 10, activation: 'softmax', kernelInitializer: glorot(3) }),
      ],
    });
    model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
    const x = tf.randomUniform([BATCH, 28, 28, 1], 0, 1, 'float32', 4);
    const y = tf.oneHot(tf.randomUniform([BATCH], 0, 10, 'int32', 5) as tf.Tensor1D, 10).toFloat();
    return trainOnBatchCase(model, x, y);
  },
};
