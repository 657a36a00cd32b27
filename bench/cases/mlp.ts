/** Dense net 784-128-64-10 on Fashion-MNIST-sized inputs, Adam, batch 64. */
import * as tf from '@tensorflow/tfjs';
import { BATCH, type BenchCase, glorot, trainOnBatchCase } from './_shared.js';

export const benchCase: BenchCase = {
  name: 'mlp',
  async setup() {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [784], units: 128, activation: 'relu', kernelInitializer: glorot(1) }),
        tf.layers.dense({ units: 64, activation: 'relu', kernelInitializer: glorot(2) }),
        tf.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: glorot(3) }),
      ],
    });
    model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
    const x = tf.randomUniform([BATCH, 784], 0, 1, 'float32', 4);
    const y = tf.oneHot(tf.randomUniform([BATCH], 0, 10, 'int32', 5) as tf.Tensor1D, 10).toFloat();
    return trainOnBatchCase(model, x, y);
  },
};
