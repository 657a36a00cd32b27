/**
 * 04-dcgan — reference solution: a DCGAN on Fashion-MNIST.
 *
 * Generator G: noise z ~ N(0, I) → Dense 7·7·(2w) → BN → LeakyReLU → reshape
 *              → ConvTranspose w (5×5, stride 2, 14×14) → BN → LeakyReLU
 *              → ConvTranspose 1 (5×5, stride 2, 28×28) → tanh            (images in [−1, 1])
 * Discriminator D: Conv w (5×5, s2) → LeakyReLU → Dropout → Conv 2w (5×5, s2) → LeakyReLU
 *              → Dropout → Flatten → Dense 1                              (one logit per image)
 *
 * The TensorFlow DCGAN tutorial uses w = 128 with an extra 256-channel stage; `width` scales
 * the whole net so tests can use a tiny model and the full run a bigger one.
 */
import * as tf from '@tensorflow/tfjs';
import { CourseError, assertShape } from '../../lib/errors.js';
import type { Rng } from '../../lib/random.js';
import {
  type GanConfig,
  type GanModels,
  type GanOptimizers,
  type StepLosses,
  resolveGanConfig as resolve,
  sampleNoise,
} from '../../lib/exercise-support/04-dcgan.js';

// Types, config handling and sampleNoise are not the lesson: one copy in lib/, re-exported here.
export {
  DEFAULT_CONFIG,
  type GanConfig,
  type GanModels,
  type GanOptimizers,
  type StepLosses,
  sampleNoise,
} from '../../lib/exercise-support/04-dcgan.js';

// ---------------------------------------------------------------- task 1: the two networks

export function buildGenerator(config: GanConfig = {}): tf.LayersModel {
  const { latentDim, width, seed } = resolve(config);
  const init = (k: number) => tf.initializers.glorotUniform({ seed: seed * 100 + k });
  const model = tf.sequential({ name: 'generator' });
  // Biases before BatchNorm are redundant (BN's beta plays that role), as in the tutorial.
  model.add(tf.layers.dense({ inputShape: [latentDim], units: 7 * 7 * 2 * width, useBias: false, kernelInitializer: init(1) }));
  model.add(tf.layers.batchNormalization());
  model.add(tf.layers.leakyReLU({ alpha: 0.2 }));
  model.add(tf.layers.reshape({ targetShape: [7, 7, 2 * width] }));
  model.add(tf.layers.conv2dTranspose({ filters: width, kernelSize: 5, strides: 2, padding: 'same', useBias: false, kernelInitializer: init(2) }));
  model.add(tf.layers.batchNormalization());
  model.add(tf.layers.leakyReLU({ alpha: 0.2 }));
  model.add(tf.layers.conv2dTranspose({ filters: 1, kernelSize: 5, strides: 2, padding: 'same', activation: 'tanh', kernelInitializer: init(3) }));
  return model;
}

export function buildDiscriminator(config: GanConfig = {}): tf.LayersModel {
  const { width, dropout, seed } = resolve(config);
  const init = (k: number) => tf.initializers.glorotUniform({ seed: seed * 100 + 50 + k });
  const model = tf.sequential({ name: 'discriminator' });
  model.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: width, kernelSize: 5, strides: 2, padding: 'same', kernelInitializer: init(1) }));
  model.add(tf.layers.leakyReLU({ alpha: 0.2 }));
  // No dropout seed: a fixed seed would draw the same mask at every step. Math.random is
  // seeded by seedEverything, so runs are still reproducible.
  if (dropout > 0) model.add(tf.layers.dropout({ rate: dropout }));
  model.add(tf.layers.conv2d({ filters: 2 * width, kernelSize: 5, strides: 2, padding: 'same', kernelInitializer: init(2) }));
  model.add(tf.layers.leakyReLU({ alpha: 0.2 }));
  if (dropout > 0) model.add(tf.layers.dropout({ rate: dropout }));
  model.add(tf.layers.flatten());
  // No sigmoid: the losses take logits (numerically stable log-sigmoid).
  model.add(tf.layers.dense({ units: 1, kernelInitializer: init(3) }));
  return model;
}

// ---------------------------------------------------------------- task 2: the losses

/** Mean binary cross-entropy of logits against a constant target t: softplus(x) − t·x. */
function bceWithLogits(logits: tf.Tensor, target: number): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.sub(tf.softplus(logits), tf.mul(logits, target))) as tf.Scalar);
}

/**
 * D's loss: BCE(real logits, target 1 − s) + BCE(fake logits, target 0), each a batch mean.
 * One-sided label smoothing s (default 0) keeps D from becoming over-confident on real images.
 */
export function discriminatorLoss(realLogits: tf.Tensor, fakeLogits: tf.Tensor, opts: { labelSmoothing?: number } = {}): tf.Scalar {
  const s = opts.labelSmoothing ?? 0;
  if (!(s >= 0 && s < 1)) {
    throw new CourseError(`labelSmoothing must be in [0, 1), got ${s}`, 'use 0 (none) or a small value such as 0.1');
  }
  return tf.tidy(() => tf.add(bceWithLogits(realLogits, 1 - s), bceWithLogits(fakeLogits, 0)) as tf.Scalar);
}

/** Non-saturating G loss: −mean log D(G(z)) = BCE(fake logits, target 1). */
export function generatorLoss(fakeLogits: tf.Tensor): tf.Scalar {
  return bceWithLogits(fakeLogits, 1);
}

// ---------------------------------------------------------------- task 3: one training step

function latentDimOf(generator: tf.LayersModel): number {
  const dim = generator.inputs[0]!.shape[1];
  if (typeof dim !== 'number') throw new CourseError('the generator has no fixed input size', 'build it with buildGenerator({ latentDim })');
  return dim;
}

/** The tf.Variables behind a model's trainable weights (what the optimiser may touch). */
function trainableVariables(model: tf.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

/**
 * One D update, then one G update. Noise: D's batch is sampleNoise(n, latentDim, rng), then
 * G's batch is a second sampleNoise(n, latentDim, rng). Both models run in training mode.
 */
export function trainStep(
  models: GanModels,
  optimizers: GanOptimizers,
  realBatch: tf.Tensor4D,
  rng: Rng,
  opts: { labelSmoothing?: number } = {},
): StepLosses {
  assertShape('realBatch', realBatch.shape, [null, 28, 28, 1], 'pass images as [batch, 28, 28, 1] in [-1, 1]');
  const { generator, discriminator } = models;
  const n = realBatch.shape[0];
  const latentDim = latentDimOf(generator);

  const dLoss = tf.tidy(() => {
    const noise = sampleNoise(n, latentDim, rng);
    const { value, grads } = tf.variableGrads(() => {
      const fake = generator.apply(noise, { training: true }) as tf.Tensor;
      const realLogits = discriminator.apply(realBatch, { training: true }) as tf.Tensor;
      const fakeLogits = discriminator.apply(fake, { training: true }) as tf.Tensor;
      return discriminatorLoss(realLogits, fakeLogits, opts);
    }, trainableVariables(discriminator));
    optimizers.discriminator.applyGradients(grads);
    return value;
  });

  const gLoss = tf.tidy(() => {
    const noise = sampleNoise(n, latentDim, rng);
    const { value, grads } = tf.variableGrads(() => {
      const fake = generator.apply(noise, { training: true }) as tf.Tensor;
      return generatorLoss(discriminator.apply(fake, { training: true }) as tf.Tensor);
    }, trainableVariables(generator));
    optimizers.generator.applyGradients(grads);
    return value;
  });

  const losses = { dLoss: dLoss.dataSync()[0]!, gLoss: gLoss.dataSync()[0]! };
  tf.dispose([dLoss, gLoss]);
  return losses;
}

// ---------------------------------------------------------------- task 4: epochs and sample grids

/**
 * One pass over `images` ([N,28,28,1] in [−1, 1]) in shuffled batches of `batchSize` (order from
 * rng; a last partial batch is dropped so BN always sees full batches). Returns the mean losses.
 */
export function trainEpoch(
  models: GanModels,
  optimizers: GanOptimizers,
  images: tf.Tensor4D,
  opts: { batchSize: number; rng: Rng; labelSmoothing?: number },
): StepLosses {
  const { batchSize, rng } = opts;
  const total = images.shape[0];
  if (!Number.isInteger(batchSize) || batchSize < 2 || batchSize > total) {
    throw new CourseError(`batchSize ${batchSize} does not fit ${total} images`, 'use an integer between 2 and the number of images');
  }
  const order = Array.from({ length: total }, (_, i) => i);
  for (let i = total - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const steps = Math.floor(total / batchSize);
  let dSum = 0;
  let gSum = 0;
  for (let s = 0; s < steps; s++) {
    const idx = tf.tensor1d(order.slice(s * batchSize, (s + 1) * batchSize), 'int32');
    const batch = tf.gather(images, idx) as tf.Tensor4D;
    try {
      const l = trainStep(models, optimizers, batch, rng, opts);
      dSum += l.dLoss;
      gSum += l.gLoss;
    } finally {
      tf.dispose([idx, batch]);
    }
  }
  return { dLoss: dSum / steps, gLoss: gSum / steps };
}

/**
 * Images to look at: G in inference mode (BN uses its moving statistics, so one sample never
 * depends on the others in the batch) on fixed noise, mapped from [−1, 1] to [0, 1].
 */
export function samplesForGrid(generator: tf.LayersModel, fixedNoise: tf.Tensor2D): tf.Tensor4D {
  return tf.tidy(() => {
    const images = generator.predict(fixedNoise) as tf.Tensor4D;
    return tf.clipByValue(tf.div(tf.add(images, 1), 2), 0, 1) as tf.Tensor4D;
  });
}

// ---------------------------------------------------------------- task 5: measuring quality

/**
 * Penultimate-layer activations of a classifier (the input of its last layer), as plain rows,
 * computed in batches in inference mode.
 */
export function extractFeatures(classifier: tf.LayersModel, images: tf.Tensor4D, batchSize = 256): number[][] {
  const layers = classifier.layers;
  if (layers.length < 2) throw new CourseError('the classifier has fewer than 2 layers', 'use the committed fashion-classifier (data/models/fashion-classifier)');
  const featureModel = tf.model({ inputs: classifier.inputs, outputs: layers[layers.length - 2]!.output as tf.SymbolicTensor });
  const rows: number[][] = [];
  for (let start = 0; start < images.shape[0]; start += batchSize) {
    const size = Math.min(batchSize, images.shape[0] - start);
    const feats = tf.tidy(() => {
      const batch = images.slice([start, 0, 0, 0], [size, -1, -1, -1]);
      return (featureModel.predict(batch) as tf.Tensor).reshape([size, -1]) as tf.Tensor2D;
    });
    rows.push(...(feats.arraySync() as number[][]));
    feats.dispose();
  }
  return rows;
}

/** Fraction of real images D calls real (logit > 0) and of fakes it calls fake (logit < 0). */
export function discriminatorAccuracy(realLogits: tf.Tensor, fakeLogits: tf.Tensor): { real: number; fake: number } {
  const real = realLogits.dataSync();
  const fake = fakeLogits.dataSync();
  let r = 0;
  let f = 0;
  for (const x of real) if (x > 0) r++;
  for (const x of fake) if (x < 0) f++;
  return { real: r / real.length, fake: f / fake.length };
}
