/**
 * 04-dcgan's own training step (solutions/04-dcgan trainStep) at the full run's size:
 * latentDim 64, width 32 (G: dense 7·7·64 → convT 32 → convT 1; D: conv 32 → conv 64), batch 64.
 * The generic `dcgan-step` case is a fixed architecture; this one follows the exercise.
 */
import * as tf from '@tensorflow/tfjs';
import { buildDiscriminator, buildGenerator, trainStep } from '../../solutions/04-dcgan/index.js';
import { makeRng } from '../../lib/random.js';
import { BATCH, type BenchCase } from './_shared.js';

export const benchCase: BenchCase = {
  name: '04-dcgan-step',
  exercise: '04-dcgan',
  async setup() {
    const config = { latentDim: 64, width: 32, dropout: 0.3, seed: 1 };
    const models = { generator: buildGenerator(config), discriminator: buildDiscriminator(config) };
    const optimizers = { generator: tf.train.adam(2e-4, 0.5), discriminator: tf.train.adam(2e-4, 0.5) };
    const real = tf.randomUniform([BATCH, 28, 28, 1], -1, 1, 'float32', 7) as tf.Tensor4D;
    const rng = makeRng(1);
    return {
      step: () => {
        trainStep(models, optimizers, real, rng); // reads both losses: the step really ran
      },
      // node-graph: the same trainStep through compileStep (its shadow pass: the noise comes from
      // the JS Rng and D's dropout masks from Math.random, per call; it returns { dLoss, gLoss })
      graph: { fn: (batch) => trainStep(models, optimizers, batch as tf.Tensor4D, rng), args: () => [real] },
      dispose: () => {
        real.dispose();
        models.generator.dispose();
        models.discriminator.dispose();
        optimizers.generator.dispose();
        optimizers.discriminator.dispose();
      },
    };
  },
};
