/**
 * 01-ffnn-from-scratch: one hand-written SGD step (forward → cross-entropy → backward by hand →
 * sgdStep) of a 784 → 128 → 64 → 10 ReLU/softmax MLP on a batch of BATCH, i.e. the course's
 * 109,386-parameter example net, built from the exercise's explicit weight tensors.
 * The `graph` step is the full run's compiled step (solutions/01-ffnn-from-scratch/train.ts
 * sgdStepFunction): the same ops as `step()`, the batch and parameters fed in, the loss and the
 * new parameters fetched and fed to the next step.
 */
import * as tf from '@tensorflow/tfjs';
import { backward, computeLoss, disposeParams, forward, initParams, sgdStep, tidy, type NetConfig, type Params } from '../../solutions/01-ffnn-from-scratch/index.js';
import { flattenParams, sgdStepFunction, unflattenParams } from '../../solutions/01-ffnn-from-scratch/train.js';
import * as impl from '../../solutions/01-ffnn-from-scratch/index.js';
import { BATCH, type BenchCase, type GraphStep } from './_shared.js';

const NET: NetConfig = { hidden: 'relu', output: 'softmax' };

export const benchCase: BenchCase = {
  name: '01-ffnn-mlp-784-128-64-10-manual-backprop',
  exercise: '01-ffnn-from-scratch',
  async setup() {
    let params: Params = initParams([784, 128, 64, 10], 'he', 1);
    const x = tf.randomUniform([BATCH, 784], 0, 1, 'float32', 2) as tf.Tensor2D;
    const y = tf.tidy(() => tf.oneHot(tf.randomUniform([BATCH], 0, 10, 'int32', 3) as tf.Tensor1D, 10).toFloat() as tf.Tensor2D);
    return {
      graph: {
        fn: sgdStepFunction(impl, NET, 0.05),
        args: () => [x, y, ...flattenParams(params)],
        take([loss, ...next]: tf.Tensor[]): void {
          loss!.dispose();
          disposeParams(params);
          params = unflattenParams(next);
        },
      } satisfies GraphStep,
      step(): void {
        const { next, loss } = tidy(() => {
          const cache = forward(params, x, NET);
          const lossT = computeLoss(cache.activations[params.length]!, y, NET.output);
          return { next: sgdStep(params, backward(params, cache, y, NET), 0.05), loss: lossT };
        });
        loss.dataSync(); // wait for the step to really finish
        loss.dispose();
        disposeParams(params);
        params = next;
      },
      dispose(): void {
        disposeParams(params);
        tf.dispose([x, y]);
      },
    };
  },
};
