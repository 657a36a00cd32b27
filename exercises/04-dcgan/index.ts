/**
 * 04-dcgan — a DCGAN that learns to draw Fashion-MNIST clothes.
 *
 * Fill in every function that throws NotImplemented. Types, config handling and sampleNoise
 * are done for you. Run the graded tests with `course grade --only 04-dcgan` and the full run
 * with `course train 04-dcgan --target exercises`.
 */
import * as tf from '@tensorflow/tfjs';
import { CourseError, NotImplemented, assertShape } from '../../lib/errors.js';
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
  // TODO(task 1): a tf.sequential generator, z [n, latentDim] → images [n, 28, 28, 1] in [−1, 1].
  //   1. dense: units 7·7·(2·width), useBias false, inputShape [latentDim]
  //   2. batchNormalization, then leakyReLU({ alpha: 0.2 })
  //   3. reshape to [7, 7, 2·width]
  //   4. conv2dTranspose: width filters, kernelSize 5, strides 2, padding 'same', useBias false  → 14×14
  //   5. batchNormalization, leakyReLU({ alpha: 0.2 })
  //   6. conv2dTranspose: 1 filter, kernelSize 5, strides 2, padding 'same', WITH a bias,
  //      and the activation that squashes pixels into [−1, 1]                               → 28×28
  // Seed every kernelInitializer, e.g. tf.initializers.glorotUniform({ seed: seed * 100 + 1 }).
  // (BatchNorm already has a shift β, which is why the layers before it need no bias.)
  void latentDim; void width; void seed;
  throw new NotImplemented('buildGenerator');
}

export function buildDiscriminator(config: GanConfig = {}): tf.LayersModel {
  const { width, dropout, seed } = resolve(config);
  // TODO(task 1): a tf.sequential discriminator, images [n, 28, 28, 1] → one LOGIT per image [n, 1].
  //   conv2d(width filters, 5×5, strides 2, 'same', inputShape [28, 28, 1]) → leakyReLU(0.2) → dropout
  //   conv2d(2·width filters, 5×5, strides 2, 'same') → leakyReLU(0.2) → dropout
  //   flatten → dense(1) with NO activation (the losses take logits).
  // Add the dropout layers only when dropout > 0. Don't give them a fixed seed: that would draw the
  // same mask at every step (Math.random is already seeded by the course). All layers keep their biases.
  void width; void dropout; void seed;
  throw new NotImplemented('buildDiscriminator');
}

// ---------------------------------------------------------------- task 2: the losses

/**
 * D's loss: BCE(real logits, target 1 − s) + BCE(fake logits, target 0), each a batch mean.
 */
export function discriminatorLoss(realLogits: tf.Tensor, fakeLogits: tf.Tensor, opts: { labelSmoothing?: number } = {}): tf.Scalar {
  const s = opts.labelSmoothing ?? 0;
  if (!(s >= 0 && s < 1)) {
    throw new CourseError(`labelSmoothing must be in [0, 1), got ${s}`, 'use 0 (none) or a small value such as 0.1');
  }
  // TODO(task 2): binary cross-entropy computed from logits x against a constant target t is
  //   mean( softplus(x) − t·x )        (= −t·log σ(x) − (1 − t)·log(1 − σ(x)), but never log(0))
  // Real images get target 1 − s (one-sided label smoothing), fakes get target 0.
  // Return the SUM of the two means as a scalar. Wrap it in tf.tidy. Ops: tf.softplus, tf.mul, tf.sub, tf.mean.
  throw new NotImplemented('discriminatorLoss');
}

/** Non-saturating G loss: −mean log D(G(z)). */
export function generatorLoss(fakeLogits: tf.Tensor): tf.Scalar {
  // TODO(task 2): G wants D to call its fakes real, so: BCE(fake logits, target 1).
  // Do NOT minimise log(1 − D(G(z))) instead: when D confidently rejects the fakes
  // (large negative logits, i.e. early in training) its gradient vanishes.
  throw new NotImplemented('generatorLoss');
}

// ---------------------------------------------------------------- task 3: one training step

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
  // TODO(task 3):
  //   n = batch size; latentDim = models.generator.inputs[0].shape[1]
  //   D step (inside tf.tidy):
  //     noise = sampleNoise(n, latentDim, rng)
  //     { value, grads } = tf.variableGrads(() => discriminatorLoss(D(real), D(G(noise)), opts), dVars)
  //     optimizers.discriminator.applyGradients(grads)
  //   G step (inside tf.tidy), with a SECOND noise batch:
  //     { value, grads } = tf.variableGrads(() => generatorLoss(D(G(noise))), gVars)
  //     optimizers.generator.applyGradients(grads)
  // Run models with model.apply(x, { training: true }). The variable lists are the point:
  //   dVars = models.discriminator.trainableWeights.map((w) => w.read() as tf.Variable), gVars likewise.
  // Without them variableGrads differentiates w.r.t. EVERY trainable variable and G's step
  // would also move D. Return both losses as numbers (dataSync) and dispose the scalars.
  void models; void optimizers; void rng; void opts;
  throw new NotImplemented('trainStep');
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
  const { batchSize } = opts;
  const total = images.shape[0];
  if (!Number.isInteger(batchSize) || batchSize < 2 || batchSize > total) {
    throw new CourseError(`batchSize ${batchSize} does not fit ${total} images`, 'use an integer between 2 and the number of images');
  }
  // TODO(task 4):
  //   - shuffle the indices 0..total−1 with opts.rng (Fisher–Yates with rng.int)
  //   - for each of the floor(total / batchSize) FULL batches: tf.gather the images,
  //     call trainStep(models, optimizers, batch, opts.rng, opts), dispose the batch
  //   - return the mean dLoss and mean gLoss over the steps
  void models; void optimizers;
  throw new NotImplemented('trainEpoch');
}

/**
 * Images to look at: G in inference mode on fixed noise, mapped from [−1, 1] to [0, 1].
 */
export function samplesForGrid(generator: tf.LayersModel, fixedNoise: tf.Tensor2D): tf.Tensor4D {
  // TODO(task 4): generator.predict (inference mode: BatchNorm uses its moving averages, so a
  // sample never depends on the other rows of the batch), then (x + 1) / 2 and clip to [0, 1].
  // tf.tidy so only the result survives.
  void generator; void fixedNoise;
  throw new NotImplemented('samplesForGrid');
}

// ---------------------------------------------------------------- task 5: measuring quality

/**
 * Penultimate-layer activations of a classifier (the input of its last layer), as plain rows,
 * computed in batches in inference mode.
 */
export function extractFeatures(classifier: tf.LayersModel, images: tf.Tensor4D, batchSize = 256): number[][] {
  // TODO(task 5): build a feature model that ends at the layer BEFORE the classifier's output:
  //   tf.model({ inputs: classifier.inputs, outputs: classifier.layers[L − 2].output })
  // then, batch by batch (images.slice), predict, reshape to [size, −1] and append arraySync() rows.
  // (The softmax output has only 10 numbers and saturates; the hidden layer describes the image.)
  void classifier; void images; void batchSize;
  throw new NotImplemented('extractFeatures');
}

/** Fraction of real images D calls real (logit > 0) and of fakes it calls fake (logit < 0). */
export function discriminatorAccuracy(realLogits: tf.Tensor, fakeLogits: tf.Tensor): { real: number; fake: number } {
  // TODO(task 5): logit > 0 means σ(logit) > 0.5, i.e. D says "real". Count on plain arrays (dataSync).
  void realLogits; void fakeLogits;
  throw new NotImplemented('discriminatorAccuracy');
}
