/**
 * 02-activations: one training step of the comparison's 6-layer MLP (784 → 5×64 → 10, GELU tanh
 * approximation, the most op-heavy activation of the set) with Adam on a batch of 64, through the
 * exercise's own trainEpoch (optimizer.minimize over softmax cross-entropy).
 */
import * as tf from '@tensorflow/tfjs';
import { makeRng } from '../../lib/random.js';
import { batchStep } from '../../lib/train/classifier-epoch.js';
import { buildMlp, makeOptimizer, trainEpoch, type Dataset } from '../../solutions/02-activations/index.js';
import { BATCH, type BenchCase } from './_shared.js';

export const benchCase: BenchCase = {
  name: '02-activations-mlp6-gelu',
  exercise: '02-activations',
  async setup() {
    const model = buildMlp({ activation: 'gelu', hidden: [64, 64, 64, 64, 64], seed: 1 });
    const optimizer = makeOptimizer({ name: 'adam', learningRate: 1e-3 });
    const data: Dataset = tf.tidy(() => ({
      x: tf.randomUniform([BATCH, 784], 0, 1, 'float32', 2) as tf.Tensor2D,
      y: tf.oneHot(tf.randomUniform([BATCH], 0, 10, 'int32', 3) as tf.Tensor1D, 10).toFloat() as tf.Tensor2D,
      labels: new Int32Array(BATCH),
    }));
    const rng = makeRng(4);
    return {
      // trainEpoch's step on one batch (batchStep: minimize softmax cross-entropy, count the
      // correct predictions), the one the full run compiles; the eager step also gathers the batch.
      graph: { fn: batchStep(model, optimizer), args: () => [data.x, data.y] },
      step(): void {
        trainEpoch(model, optimizer, data, BATCH, rng); // one batch = one step; reads the loss, so it really ran
      },
      dispose(): void {
        tf.dispose([data.x, data.y]);
        optimizer.dispose();
        model.dispose();
      },
    };
  },
};
