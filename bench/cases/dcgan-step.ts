/**
 * One DCGAN step on 28×28×1 images, batch 64: a discriminator update on real + fake, then a
 * generator update through the discriminator.
 * G: z(100) → dense 7·7·128 → BN → ReLU → convT 64 (4×4, s2) → BN → ReLU → convT 1 (4×4, s2) → tanh
 * D: conv 64 (4×4, s2) → LeakyReLU → conv 128 (4×4, s2) → LeakyReLU → dense 1 (logit)
 */
import * as tf from '@tensorflow/tfjs';
import { BATCH, type BenchCase, glorot } from './_shared.js';

const LATENT = 100;

function generator(): tf.Sequential {
  const L = tf.layers;
  return tf.sequential({
    layers: [
      L.dense({ inputShape: [LATENT], units: 7 * 7 * 128, useBias: false, kernelInitializer: glorot(1) }),
      L.batchNormalization(),
      L.reLU(),
      L.reshape({ targetShape: [7, 7, 128] }),
      L.conv2dTranspose({ filters: 64, kernelSize: 4, strides: 2, padding: 'same', useBias: false, kernelInitializer: glorot(2) }),
      L.batchNormalization(),
      L.reLU(),
      L.conv2dTranspose({ filters: 1, kernelSize: 4, strides: 2, padding: 'same', activation: 'tanh', kernelInitializer: glorot(3) }),
    ],
  });
}

function discriminator(): tf.Sequential {
  const L = tf.layers;
  return tf.sequential({
    layers: [
      L.conv2d({ inputShape: [28, 28, 1], filters: 64, kernelSize: 4, strides: 2, padding: 'same', kernelInitializer: glorot(4) }),
      L.leakyReLU({ alpha: 0.2 }),
      L.conv2d({ filters: 128, kernelSize: 4, strides: 2, padding: 'same', kernelInitializer: glorot(5) }),
      L.leakyReLU({ alpha: 0.2 }),
      L.flatten(),
      L.dense({ units: 1, kernelInitializer: glorot(6) }),
    ],
  });
}

export const benchCase: BenchCase = {
  name: 'dcgan-step',
  async setup() {
    const g = generator();
    const d = discriminator();
    const gOpt = tf.train.adam(2e-4, 0.5);
    const dOpt = tf.train.adam(2e-4, 0.5);
    const real = tf.randomUniform([BATCH, 28, 28, 1], -1, 1, 'float32', 7);
    const ones = tf.ones([BATCH, 1]);
    const zeros = tf.zeros([BATCH, 1]);
    let seed = 100;
    const bce = (labels: tf.Tensor, logits: tf.Tensor) => tf.losses.sigmoidCrossEntropy(labels, logits);
    const twoSteps = (z1: tf.Tensor, z2: tf.Tensor): tf.Scalar[] => {
      const dLoss = dOpt.minimize(() => {
        const fake = g.apply(z1, { training: true }) as tf.Tensor;
        const lossReal = bce(ones, d.apply(real, { training: true }) as tf.Tensor);
        const lossFake = bce(zeros, d.apply(fake, { training: true }) as tf.Tensor);
        return lossReal.add(lossFake) as tf.Scalar;
      }, true, d.trainableWeights.map((w) => w.read() as tf.Variable));
      const gLoss = gOpt.minimize(() => {
        const fake = g.apply(z2, { training: true }) as tf.Tensor;
        return bce(ones, d.apply(fake, { training: true }) as tf.Tensor) as tf.Scalar;
      }, true, g.trainableWeights.map((w) => w.read() as tf.Variable));
      return [dLoss!, gLoss!];
    };
    // The noise is drawn eagerly (in JS) and passed in, so the compiled graph has no random op.
    const noise = (): tf.Tensor[] => [
      tf.randomNormal([BATCH, LATENT], 0, 1, 'float32', seed++),
      tf.randomNormal([BATCH, LATENT], 0, 1, 'float32', seed++),
    ];
    return {
      graph: { fn: twoSteps, args: noise, release: (a) => tf.dispose(a) },
      async step(): Promise<void> {
        const z = noise();
        const losses = twoSteps(z[0]!, z[1]!);
        await Promise.all(losses.map((l) => l.data()));
        tf.dispose([...z, ...losses]);
      },
      dispose(): void {
        tf.dispose([real, ones, zeros]);
        gOpt.dispose();
        dOpt.dispose();
        g.dispose();
        d.dispose();
      },
    };
  },
};
