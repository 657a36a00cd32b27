/**
 * 07-cnn: one training step of the full run's CNN (reshape → conv 3×3·8 → pool → conv 3×3·16 →
 * pool → dense 10, built by the exercise's buildCnn) with Adam on a batch of 64, through the
 * step the full run uses (lib/train batchStep: minimize softmax cross-entropy, count the correct
 * predictions; compiled as one graph on tfjs-node).
 */
import * as tf from '@tensorflow/tfjs';
import { batchStep } from '../../lib/train/classifier-epoch.js';
import { buildCnn } from '../../solutions/07-cnn/index.js';
import { BATCH, type BenchCase } from './_shared.js';

export const benchCase: BenchCase = {
  name: '07-cnn-conv8-16-adam',
  exercise: '07-cnn',
  async setup() {
    const model = buildCnn({ filters: [8, 16], kernel: 3, seed: 1 });
    const optimizer = tf.train.adam(2e-3);
    const x = tf.randomUniform([BATCH, 784], 0, 1, 'float32', 2) as tf.Tensor2D;
    const y = tf.tidy(() => tf.oneHot(tf.randomUniform([BATCH], 0, 10, 'int32', 3) as tf.Tensor1D, 10).toFloat() as tf.Tensor2D);
    const step = batchStep(model, optimizer);
    return {
      graph: { fn: step, args: () => [x, y] },
      step(): void {
        const out = step(x, y);
        out[0]!.dataSync(); // read the loss, so the step really ran
        tf.dispose(out);
      },
      dispose(): void {
        tf.dispose([x, y]);
        optimizer.dispose();
        model.dispose();
      },
    };
  },
};
