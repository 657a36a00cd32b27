/** The lstm-char model with a GRU: 40 one-hot chars → GRU 128 → softmax. */
import * as tf from '@tensorflow/tfjs';
import { type BenchCase, charBatch, glorot, trainOnBatchCase } from './_shared.js';

const SEQ = 40;
const VOCAB = 60;

export const benchCase: BenchCase = {
  name: 'gru-char',
  async setup() {
    const model = tf.sequential({
      layers: [
        tf.layers.gru({ inputShape: [SEQ, VOCAB], units: 128, kernelInitializer: glorot(1), recurrentInitializer: glorot(2) }),
        tf.layers.dense({ units: VOCAB, activation: 'softmax', kernelInitializer: glorot(3) }),
      ],
    });
    model.compile({ optimizer: tf.train.rmsprop(0.01), loss: 'categoricalCrossentropy' });
    const { x, y } = charBatch(SEQ, VOCAB, 4);
    return trainOnBatchCase(model, x, y);
  },
};
