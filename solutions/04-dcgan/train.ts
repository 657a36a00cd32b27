/**
 * `course train 04-dcgan`: train the DCGAN on Fashion-MNIST with the target's own functions and
 * write, to opts.out:
 *   samples-epoch-NN.png   8×8 grid from the same fixed noise after every epoch
 *   final-samples.png      the last grid
 *   losses.png             D and G loss per epoch
 *   score.png              FID-style score (Fréchet distance on fashion-classifier features) per epoch
 *   d-accuracy.png         D's accuracy on held-out real images and on fresh fakes per epoch
 * Checkpoints (models + Adam state) go to opts.out/checkpoint; `--resume` continues from there.
 *
 * On tfjs-node the run drives the batches itself (trainBatches: trainEpoch's batching) and runs
 * the target's trainStep as one compiled TensorFlow graph per batch (compileStep's shadow pass:
 * the noise and dropout masks are drawn in JS each step, as eagerly). Other backends call the
 * target's trainEpoch.
 */
import * as tf from '@tensorflow/tfjs';
import path from 'node:path';
import { imagesToTensor, loadFashionMnist } from '../../lib/data/fashion-mnist.js';
import type { TrainOptions, TrainResult } from '../../lib/exercises.js';
import { frechetDistance } from '../../lib/metrics/frechet.js';
import { imageGrid, lineChart } from '../../lib/plot/index.js';
import { FID_CLASSIFIER_DIR, FID_INPUT_RANGE } from '../../lib/pretrain/fid-classifier.js';
import { compileStep } from '../../lib/backend/graph/index.js';
import { makeRng, type Rng } from '../../lib/random.js';
import { loadModel, trainLoop } from '../../lib/train/index.js';

export const defaults = { epochs: 8 };

/**
 * The full run, a narrower full run for the JS fallbacks (wasm uses one core: the width-32 step
 * measured 3.5 s vs 0.57 s on tfjs-node, batch 64, on a loaded 2-core machine), and the
 * smoke-size one (`--quick`).
 */
const SIZES = {
  full: { latentDim: 64, width: 32, trainImages: 6400, batchSize: 64, batchesPerStep: 5, evalImages: 1000 },
  fallback: { latentDim: 64, width: 16, trainImages: 6400, batchSize: 64, batchesPerStep: 5, evalImages: 1000 },
  quick: { latentDim: 16, width: 8, trainImages: 512, batchSize: 32, batchesPerStep: 4, evalImages: 200 },
};

function sampleNoise(n: number, dim: number, rng: Rng): tf.Tensor2D {
  return tf.tensor2d(Float32Array.from({ length: n * dim }, () => rng.normal()), [n, dim]);
}

/**
 * One pass over `images` in shuffled batches, exactly as the reference trainEpoch does it (the
 * order from a Fisher–Yates shuffle drawn from `rng`, ⌊N / batchSize⌋ full batches, mean losses),
 * with `step` doing each batch's training step: the full run passes the target's trainStep
 * compiled. test/lib/graph-shadow.test.ts checks it matches trainEpoch step for step.
 */
export function trainBatches(
  images: tf.Tensor4D,
  batchSize: number,
  rng: Rng,
  step: (batch: tf.Tensor4D) => { dLoss: number; gLoss: number },
): { dLoss: number; gLoss: number } {
  const total = images.shape[0];
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
      const l = step(batch);
      dSum += l.dLoss;
      gSum += l.gLoss;
    } finally {
      tf.dispose([idx, batch]);
    }
  }
  return { dLoss: dSum / steps, gLoss: gSum / steps };
}

export async function train(impl: typeof import('./index.js'), opts: TrainOptions): Promise<TrainResult> {
  const native = tf.getBackend() === 'tensorflow';
  const size = opts.quick ? SIZES.quick : native ? SIZES.full : SIZES.fallback;
  if (!opts.quick && !native) {
    console.error(`[04-dcgan] ${tf.getBackend()} backend: using width ${size.width} instead of ${SIZES.full.width} to keep the run to minutes`);
  }
  const epochs = opts.quick ? Math.min(opts.epochs, 2) : opts.epochs;
  const config = { latentDim: size.latentDim, width: size.width, dropout: 0.3, seed: opts.seed };
  const models = { generator: impl.buildGenerator(config), discriminator: impl.buildDiscriminator(config) };
  // Adam with β1 = 0.5, the usual DCGAN choice: a shorter momentum memory copes better with
  // the moving target each network is to the other.
  const optimizers = { generator: tf.train.adam(2e-4, 0.5), discriminator: tf.train.adam(2e-4, 0.5) };

  const trainSet = loadFashionMnist('train', { limit: size.trainImages, seed: opts.seed });
  const images = imagesToTensor(trainSet, [-1, 1]);
  // Held-out real images: the reference set for the score and for D's real accuracy.
  const evalReal = imagesToTensor(loadFashionMnist('test', { limit: 2 * size.evalImages, seed: opts.seed }), FID_INPUT_RANGE);
  const refReal = evalReal.slice([0], [size.evalImages]);
  const otherReal = evalReal.slice([size.evalImages], [size.evalImages]);
  const classifier = await loadModel(FID_CLASSIFIER_DIR);
  const refFeatures = impl.extractFeatures(classifier, refReal);
  // The floor: what two disjoint sets of real images score against each other.
  const realVsReal = frechetDistance(refFeatures, impl.extractFeatures(classifier, otherReal));

  const gridNoise = sampleNoise(64, size.latentDim, makeRng(opts.seed + 101));
  const evalNoise = sampleNoise(size.evalImages, size.latentDim, makeRng(opts.seed + 202));
  const stepImages = size.batchSize * size.batchesPerStep;
  const stepsPerEpoch = Math.floor(size.trainImages / stepImages);
  const samples: string[] = [];

  const writeGrid = (file: string, title: string): string => {
    const grid = impl.samplesForGrid(models.generator, gridNoise);
    const written = imageGrid(path.join(opts.out, file), grid, { cols: 8, title });
    grid.dispose();
    return written;
  };

  // The target's trainStep as one TensorFlow graph per batch (tfjs-node only); `stepRng` is the
  // current chunk's Rng, read by the step's JavaScript, which the shadow pass runs every call.
  let stepRng: Rng = makeRng(opts.seed);
  const compiled = native ? compileStep((batch) => impl.trainStep(models, optimizers, batch as tf.Tensor4D, stepRng), { name: '04-dcgan trainStep' }) : null;

  let order: number[] = [];
  const result = await trainLoop({
    label: '04-dcgan',
    epochs,
    stepsPerEpoch,
    checkpoint: { dir: path.join(opts.out, 'checkpoint'), models: { ...models }, optimizers: { ...optimizers } },
    resume: opts.resume,
    // One loop "step" = one pass (trainBatches with the compiled trainStep on tfjs-node, else
    // impl.trainEpoch) over a chunk of batchesPerStep batches, so progress shows inside an epoch. All randomness is derived from (seed, epoch, step): a resumed run repeats it.
    step: (epoch, step) => {
      if (step === 0 || order.length === 0) {
        const rng = makeRng(opts.seed * 7919 + epoch);
        order = Array.from({ length: size.trainImages }, (_, i) => i);
        for (let i = order.length - 1; i > 0; i--) {
          const j = rng.int(i + 1);
          [order[i], order[j]] = [order[j]!, order[i]!];
        }
      }
      const idx = tf.tensor1d(order.slice(step * stepImages, (step + 1) * stepImages), 'int32');
      const chunk = tf.gather(images, idx) as tf.Tensor4D;
      try {
        const rng = makeRng(opts.seed * 1_000_003 + epoch * 10_007 + step);
        stepRng = rng;
        const losses = compiled
          ? trainBatches(chunk, size.batchSize, rng, (batch) => compiled(batch))
          : impl.trainEpoch(models, optimizers, chunk, { batchSize: size.batchSize, rng });
        return { d_loss: losses.dLoss, g_loss: losses.gLoss };
      } finally {
        tf.dispose([idx, chunk]);
      }
    },
    endEpoch: (epoch) => {
      samples.push(writeGrid(`samples-epoch-${String(epoch + 1).padStart(2, '0')}.png`, `DCGAN samples after epoch ${epoch + 1} (fixed noise)`));
      const fake = tf.tidy(() => models.generator.predict(evalNoise) as tf.Tensor4D);
      const score = frechetDistance(refFeatures, impl.extractFeatures(classifier, fake));
      const nAcc = Math.min(256, size.evalImages);
      const [realLogits, fakeLogits] = tf.tidy(() => [
        models.discriminator.predict(refReal.slice([0], [nAcc])) as tf.Tensor,
        models.discriminator.predict(fake.slice([0], [nAcc])) as tf.Tensor,
      ]);
      const acc = impl.discriminatorAccuracy(realLogits!, fakeLogits!);
      tf.dispose([fake, realLogits!, fakeLogits!]);
      return { score, d_acc_real: acc.real, d_acc_fake: acc.fake };
    },
  });

  const h = result.history;
  const x = (h.d_loss ?? []).map((_, i) => i + 1);
  const plots = [
    lineChart(path.join(opts.out, 'losses.png'), {
      title: 'DCGAN losses per epoch (mean over batches)',
      xLabel: 'epoch',
      yLabel: 'binary cross-entropy',
      series: [
        { label: 'D loss (real + fake)', data: h.d_loss ?? [], x },
        { label: 'G loss (non-saturating)', data: h.g_loss ?? [], x },
      ],
    }),
    lineChart(path.join(opts.out, 'score.png'), {
      title: 'FID-style score (Fréchet distance, fashion-classifier features; lower is better)',
      xLabel: 'epoch',
      yLabel: 'Fréchet distance',
      series: [
        { label: 'generated vs real test images', data: h.score ?? [], x },
        { label: 'real vs real (floor)', data: x.map(() => realVsReal), x },
      ],
    }),
    lineChart(path.join(opts.out, 'd-accuracy.png'), {
      title: "Discriminator accuracy at the end of each epoch",
      xLabel: 'epoch',
      yLabel: 'accuracy',
      series: [
        { label: 'real test images called real', data: h.d_acc_real ?? [], x },
        { label: 'fresh fakes called fake', data: h.d_acc_fake ?? [], x },
      ],
    }),
  ];
  samples.push(writeGrid('final-samples.png', `DCGAN final samples (${result.epochsRun} epochs, fixed noise)`));

  const last = (k: string) => h[k]?.[h[k]!.length - 1] ?? null;
  const metrics = {
    config: { ...config, trainImages: size.trainImages, batchSize: size.batchSize, evalImages: size.evalImages },
    epochsRun: result.epochsRun,
    resumedFrom: result.resumedFrom,
    finalScore: last('score'),
    bestScore: h.score?.length ? Math.min(...h.score) : null,
    realVsRealScore: realVsReal,
    finalDLoss: last('d_loss'),
    finalGLoss: last('g_loss'),
    finalDAccReal: last('d_acc_real'),
    finalDAccFake: last('d_acc_fake'),
    scoreNote: 'FID-style: Fréchet distance on the penultimate layer of data/models/fashion-classifier, not ImageNet FID',
  };
  compiled?.dispose();
  tf.dispose([images, evalReal, refReal, otherReal, gridNoise, evalNoise]);
  classifier.dispose();
  models.generator.dispose();
  models.discriminator.dispose();
  return { metrics, plots, samples };
}
