/**
 * 06-regularisation-lab: one step of the full run's hand-built 784→256→256→10 MLP with dropout 0.5,
 * L2 penalty gradients and the hand-written Adam update (plus the update/weight ratio it logs),
 * on a batch of 64. LabMlp.step reads the loss and the ratios, so the step really ran.
 * node-graph: the same step with its tensor part compiled by LabMlp.compile (the full run's path).
 */
import * as tf from '@tensorflow/tfjs';
import * as impl from '../../solutions/06-regularisation-lab/index.js';
import { LabMlp } from '../../solutions/06-regularisation-lab/lab-mlp.js';
import { BATCH, type BenchCase } from './_shared.js';

export const benchCase: BenchCase = {
  name: '06-regularisation-lab-mlp-dropout-l2-adam',
  exercise: '06-regularisation-lab',
  async setup() {
    const net = new LabMlp(impl, { sizes: [784, 256, 256, 10], init: 'he', l2: 1e-3, dropout: 0.5, optimizer: 'adam', learningRate: 1e-3, seed: 1 });
    const x = tf.randomUniform([BATCH, 784], 0, 1, 'float32', 2) as tf.Tensor2D;
    const y = tf.tidy(() => tf.oneHot(tf.randomUniform([BATCH], 0, 10, 'int32', 3) as tf.Tensor1D, 10).toFloat() as tf.Tensor2D);
    let step = 0;
    // node-graph: the same LabMlp.step with its tensor part compiled (LabMlp.compile, as the
    // full run does), on a second net so the eager `step` and the graph step share no state.
    let graphNet: LabMlp | null = null;
    let compiled: ReturnType<LabMlp['compile']> | null = null;
    let graphStep = 0;
    return {
      step(): void {
        net.step(x, y, step++);
      },
      graph: {
        fn: () => {
          if (!graphNet) {
            graphNet = new LabMlp(impl, net.config);
            compiled = graphNet.compile({ name: '06 bench', log: null });
          }
          return graphNet.step(x, y, graphStep++).loss;
        },
        args: () => [],
        compiled: () => compiled,
      },
      dispose(): void {
        tf.dispose([x, y]);
        net.dispose();
        graphNet?.dispose();
      },
    };
  },
};
