/**
 * 09-dl-vs-ml: one training step of the learning curves' largest model, the small CNN
 * (conv 3×3·8 → pool → conv 3×3·16 → pool → dense 10, logits) with Adam, on a batch of 64
 * 28×28 images, through the full run's own deepStep (the learning curves use batches of 32).
 */
import * as tf from '@tensorflow/tfjs';
import { deepStep, smallCnn } from '../../solutions/09-dl-vs-ml/train.js';
import { BATCH, type BenchCase } from './_shared.js';

export const benchCase: BenchCase = {
  name: '09-dl-vs-ml-small-cnn',
  exercise: '09-dl-vs-ml',
  async setup() {
    const model = smallCnn(1);
    const optimizer = tf.train.adam(1e-3);
    const x = tf.randomUniform([BATCH, 28, 28, 1], 0, 1, 'float32', 2);
    const y = tf.tidy(() => tf.oneHot(tf.randomUniform([BATCH], 0, 10, 'int32', 3) as tf.Tensor1D, 10).toFloat());
    return {
      graph: { fn: (xb: tf.Tensor, yb: tf.Tensor) => deepStep(model, optimizer, xb, yb), args: () => [x, y] },
      step(): void {
        const loss = deepStep(model, optimizer, x, y);
        loss.dataSync(); // read it: the step really ran
        loss.dispose();
      },
      dispose(): void {
        tf.dispose([x, y]);
        optimizer.dispose();
        model.dispose();
      },
    };
  },
};
