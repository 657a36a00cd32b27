/**
 * 04-dcgan — a DCGAN that learns to draw Fashion-MNIST clothes.
 *
 * Fill in every function that throws NotImplemented. Each TODO says WHAT it must do (the
 * architecture, shapes, losses, what may change and what may not); HOW is in the hints:
 * `course hint 04-dcgan`. Types, config handling and sampleNoise are done for you. Run the graded tests with `course grade --only 04-dcgan` and the full run
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
  // TODO(task 1): the DCGAN generator, noise z [n, latentDim] → images [n, 28, 28, 1] in [−1, 1].
  // The architecture (the parameter-count test computes it from these numbers; w = width):
  //   1. fully connected latentDim → 7·7·2w units, WITHOUT bias
  //   2. batch normalisation, then leaky ReLU with slope 0.2
  //   3. the 7·7·2w vector as a [7, 7, 2w] feature map
  //   4. transposed convolution: w filters, 5×5, stride 2, 'same' padding, WITHOUT bias → [14, 14, w]
  //   5. batch normalisation, leaky ReLU 0.2
  //   6. transposed convolution: 1 filter, 5×5, stride 2, 'same', WITH bias, and an output
  //      activation whose range is exactly (−1, 1)                                 → [28, 28, 1]
  // (Batch normalisation has its own shift β: a bias before it would be redundant.)
  // Same config.seed → same initial weights: every kernel initialiser is seeded from `seed`.
  void latentDim; void width; void seed;
  throw new NotImplemented('buildGenerator');
}

export function buildDiscriminator(config: GanConfig = {}): tf.LayersModel {
  const { width, dropout, seed } = resolve(config);
  // TODO(task 1): the DCGAN discriminator, images [n, 28, 28, 1] → one LOGIT per image, [n, 1].
  // The architecture (all layers WITH biases; w = width):
  //   convolution w filters, 5×5, stride 2, 'same' → leaky ReLU 0.2 → dropout at rate `dropout`
  //   convolution 2w filters, 5×5, stride 2, 'same' → leaky ReLU 0.2 → dropout
  //   flattened → fully connected to 1 unit with NO activation (a logit: the losses take logits).
  // The dropout layers exist only when dropout > 0, and draw a NEW mask at every step (a fixed
  // dropout seed would repeat one mask; the course already seeds Math.random). Kernel
  // initialisers seeded from `seed`, different from the generator's.
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
  // TODO(task 2): binary cross-entropy of a logit x against a target t:
  //   BCE(x, t) = −t·ln σ(x) − (1 − t)·ln(1 − σ(x)),
  // here averaged over the batch. Real images have target 1 − s (one-sided label smoothing),
  // fakes target 0; the loss is the SUM of the two batch means (a scalar). At x = 0 each mean
  // is ln 2. It must stay finite and exact for confident logits (±30: σ rounds to 0 or 1 in
  // float32, so the formula cannot be evaluated as written), and leave no tensors behind.
  throw new NotImplemented('discriminatorLoss');
}

/** Non-saturating G loss: −mean log D(G(z)). */
export function generatorLoss(fakeLogits: tf.Tensor): tf.Scalar {
  // TODO(task 2): G wants D to call its fakes real: the batch mean of BCE(fake logit, target 1),
  // with the same numerical care as above. This is the NON-saturating loss: minimising
  // ln(1 − D(G(z))) instead would give a vanishing gradient exactly when D confidently rejects
  // the fakes (early in training); the test checks the gradient stays ≈ −1/n there.
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
  // TODO(task 3): the alternating GAN update, in this order:
  //   1. D step: discriminatorLoss(D(real batch), D(G(z₁)), opts) with z₁ = the FIRST
  //      sampleNoise(n, latentDim, rng) draw; D's optimizer updates D's weights ONLY.
  //   2. G step: generatorLoss(D(G(z₂))) with z₂ = the SECOND draw; G's optimizer updates G's
  //      weights ONLY (D is the judge here, it must not learn to be fooled).
  // n = the batch size, latentDim = the generator's input width. Both models run in TRAINING
  // mode (batch statistics, dropout on). Returns both losses (before their update) as numbers;
  // no tensors left behind (optimizer state excepted).
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
  // TODO(task 4): one epoch:
  //   - the images in an order shuffled with opts.rng (every image at most once);
  //   - ⌊total / batchSize⌋ FULL batches, one trainStep each (the same rng and labelSmoothing);
  //     the remaining images are skipped;
  //   - returns the mean dLoss and the mean gLoss over those steps;
  //   - no tensors left behind.
  void models; void optimizers;
  throw new NotImplemented('trainEpoch');
}

/**
 * Images to look at: G in inference mode on fixed noise, mapped from [−1, 1] to [0, 1].
 */
export function samplesForGrid(generator: tf.LayersModel, fixedNoise: tf.Tensor2D): tf.Tensor4D {
  // TODO(task 4): G(fixedNoise) in INFERENCE mode (batch normalisation uses its moving averages,
  // so a sample never depends on the other rows of the batch), mapped from [−1, 1] to [0, 1] by
  // (x + 1) / 2 and kept within [0, 1]: [n, 28, 28, 1], one image per noise row. Only the
  // result survives.
  void generator; void fixedNoise;
  throw new NotImplemented('samplesForGrid');
}

// ---------------------------------------------------------------- task 5: measuring quality

/**
 * Penultimate-layer activations of a classifier (the input of its last layer), as plain rows,
 * computed in batches in inference mode.
 */
export function extractFeatures(classifier: tf.LayersModel, images: tf.Tensor4D, batchSize = 256): number[][] {
  // TODO(task 5): for every image, in order, the activations of the classifier's SECOND-TO-LAST
  // layer (the input of its output layer), flattened into one row of numbers. The softmax
  // output has only 10 numbers and saturates; the hidden layer describes the image.
  // Inference mode; at most batchSize images through the network at a time (the memory bound);
  // no tensors left behind. A classifier with fewer than 2 layers → CourseError.
  void classifier; void images; void batchSize;
  throw new NotImplemented('extractFeatures');
}

/** Fraction of real images D calls real (logit > 0) and of fakes it calls fake (logit < 0). */
export function discriminatorAccuracy(realLogits: tf.Tensor, fakeLogits: tf.Tensor): { real: number; fake: number } {
  // TODO(task 5): D says "real" when σ(logit) > 0.5, i.e. logit > 0. real = share of real logits
  // > 0, fake = share of fake logits < 0 (a logit of exactly 0 counts for neither).
  void realLogits; void fakeLogits;
  throw new NotImplemented('discriminatorAccuracy');
}
