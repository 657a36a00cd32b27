/**
 * 05-transfer-learning's fine-tuning step (solutions/05-transfer-learning fineTune): the course's
 * transfer base cut at `flatten`, conv3 and above unfrozen (conv weight gradients needed), a new
 * softmax head, two Adam optimisers; one step = one mini-batch of BATCH images.
 */
import * as tf from '@tensorflow/tfjs';
import { buildTransferModel, fineTune } from '../../solutions/05-transfer-learning/index.js';
import { buildBaseCnn } from '../../lib/pretrain/transfer-base.js';
import { BATCH, type BenchCase } from './_shared.js';

export const benchCase: BenchCase = {
  name: '05-transfer-finetune-step',
  exercise: '05-transfer-learning',
  async setup() {
    const model = buildTransferModel(buildBaseCnn(1), { numClasses: 5, cutAt: 'flatten', freeze: true });
    const x = tf.randomUniform([BATCH, 28, 28, 1], 0, 1, 'float32', 5) as tf.Tensor4D;
    const labels = Int32Array.from({ length: BATCH }, (_, i) => i % 5);
    const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 5).toFloat() as tf.Tensor2D;
    const data = { x, y, labels };
    return {
      step: async () => {
        await fineTune(model, data, { unfreezeFrom: 'conv3', learningRate: 1e-4, headLearningRate: 1e-3, epochs: 1, batchSize: BATCH, quiet: true });
      },
      dispose: () => {
        tf.dispose([x, y]);
        model.dispose();
      },
    };
  },
};
