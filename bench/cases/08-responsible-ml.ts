/**
 * 08-responsible-ml: one reweighted training step of the full run's 784→32→1 classifier (Adam,
 * per-example group weights from the reference groupWeights, weighted sigmoid cross-entropy) on a
 * batch of 64, plus the saliency map of that batch (one backward pass to the input), the two
 * tensor-heavy parts of the run. SmallClassifier.step reads the loss, so the step really ran.
 */
import * as tf from '@tensorflow/tfjs';
import { groupWeights, saliencyMap, SmallClassifier } from '../../solutions/08-responsible-ml/index.js';
import { BATCH, type BenchCase } from './_shared.js';

export const benchCase: BenchCase = {
  name: '08-responsible-ml-reweighted-step-saliency',
  exercise: '08-responsible-ml',
  async setup() {
    const net = new SmallClassifier([784, 32], { seed: 1, learningRate: 1e-3 });
    const x = tf.randomUniform([BATCH, 784], 0, 1, 'float32', 2) as tf.Tensor2D;
    const y = tf.tidy(() => tf.cast(tf.greater(tf.randomUniform([BATCH], 0, 1, 'float32', 3), 0.7), 'float32') as tf.Tensor1D);
    // 5 % of the batch in group B, as in the full run's training set
    const w = tf.tensor1d(groupWeights(Array.from({ length: BATCH }, (_, i) => (i % 20 === 0 ? 1 : 0)), 1));
    return {
      step(): void {
        net.step(x, y, w);
        saliencyMap((t) => net.logits(t), x).dispose();
      },
      dispose(): void {
        tf.dispose([x, y, w]);
        net.dispose();
      },
    };
  },
};
