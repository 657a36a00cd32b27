/**
 * `course train 04-dcgan`: train the DCGAN on Fashion-MNIST with the target's own functions and
 * write, to opts.out:
 *   samples-epoch-NN.png   8×8 grid from the same fixed noise after every epoch
 *   final-samples.png      the last grid
 *   losses.png             D and G loss every step (a step = batchesPerStep batches)
 *   score.png              FID-style score (Fréchet distance on fashion-classifier features) per epoch
 *   d-accuracy.png         D's accuracy on held-out real images and on fresh fakes per epoch
 *   report.md/.html        (lib/report) the samples over the epochs as a strip, the curves, the
 *                          per-epoch table and conclusions from the numbers
 * Checkpoints (models + Adam state) go to opts.out/checkpoint; `--resume` continues from there.
 * `--demo` (npm start): SIZES.demo, long enough for recognisable garments.
 *
 * On tfjs-node the run drives the batches itself (trainBatches: trainEpoch's batching) and runs
 * the target's trainStep as one compiled TensorFlow graph per batch (compileStep's shadow pass:
 * the noise and dropout masks are drawn in JS each step, as eagerly). Other backends call the
 * target's trainEpoch.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { imagesToTensor, loadFashionMnist } from '../../lib/data/fashion-mnist.js';
import type { TrainOptions, TrainResult } from '../../lib/exercises.js';
import { frechetDistance } from '../../lib/metrics/frechet.js';
import { imageGrid, lineChart, stepCurveChart } from '../../lib/plot/index.js';
import { epochRows, epochTable, pct, reportOf } from '../../lib/report/index.js';
import { FID_CLASSIFIER_DIR, FID_INPUT_RANGE } from '../../lib/pretrain/fid-classifier.js';
import { compileStep } from '../../lib/backend/graph/index.js';
import { makeRng, type Rng } from '../../lib/random.js';
import { loadModel, trainLoop } from '../../lib/train/index.js';

export const defaults = { epochs: 8, demo: true };

/**
 * The full run, a narrower full run for the JS fallbacks (wasm uses one core: the width-32 step
 * measured 3.5 s vs 0.57 s on tfjs-node, batch 64, on a loaded 2-core machine), and the
 * smoke-size one (`--quick`).
 */
const SIZES = {
  full: { latentDim: 64, width: 32, trainImages: 6400, batchSize: 64, batchesPerStep: 5, evalImages: 1000, learningRate: 2e-4, epochs: null },
  fallback: { latentDim: 64, width: 16, trainImages: 6400, batchSize: 64, batchesPerStep: 5, evalImages: 1000, learningRate: 2e-4, epochs: null },
  quick: { latentDim: 16, width: 8, trainImages: 512, batchSize: 32, batchesPerStep: 4, evalImages: 200, learningRate: 2e-4, epochs: null },
  /**
   * npm start (--demo): 2000 batches of 64 (the full run: 800). Measured on the compiled step
   * (2026-12-07, a 2-core machine at load ~30, CPU time): width 16 costs 0.085 s of CPU per
   * batch, width 32 0.22 s; with Adam 2e-4 both still drew blobs after 800–1250 batches, with
   * 1e-3 width 16 drew shirts, dresses and shoes by 1500. The score is measured on 500 images.
   */
  demo: { latentDim: 64, width: 16, trainImages: 16000, batchSize: 64, batchesPerStep: 10, evalImages: 500, learningRate: 1e-3, epochs: 8 },
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
  const size = opts.quick ? SIZES.quick : opts.demo ? SIZES.demo : native ? SIZES.full : SIZES.fallback;
  const report = reportOf(opts);
  if (!opts.quick && !opts.demo && !native) {
    console.error(`[04-dcgan] ${tf.getBackend()} backend: using width ${size.width} instead of ${SIZES.full.width} to keep the run to minutes`);
  }
  const epochs = opts.quick ? Math.min(opts.epochs, 2) : (size.epochs ?? opts.epochs);
  const config = { latentDim: size.latentDim, width: size.width, dropout: 0.3, seed: opts.seed };
  const models = { generator: impl.buildGenerator(config), discriminator: impl.buildDiscriminator(config) };
  // Adam with β1 = 0.5, the usual DCGAN choice: a shorter momentum memory copes better with
  // the moving target each network is to the other.
  const optimizers = { generator: tf.train.adam(size.learningRate, 0.5), discriminator: tf.train.adam(size.learningRate, 0.5) };

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
    curve: 'DCGAN',
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
  const curve = result.curve;
  const stepIs = `${size.batchesPerStep} batches of ${size.batchSize}`;
  const [lossPng, scorePng, accPng] = [
    stepCurveChart(path.join(opts.out, 'losses.png'), {
      title: 'DCGAN losses (mean over the batches of each step)',
      yLabel: 'binary cross-entropy',
      stepIs,
      series: [
        { label: 'D loss (real + fake)', curve, key: 'd_loss' },
        { label: 'G loss (non-saturating)', curve, key: 'g_loss' },
      ],
      baselines: [{ label: 'D at chance: 2·ln 2 ≈ 1.386', value: 2 * Math.LN2 }],
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
      title: 'Discriminator accuracy at the end of each epoch',
      xLabel: 'epoch',
      yLabel: 'accuracy',
      series: [
        { label: 'real test images called real', data: h.d_acc_real ?? [], x },
        { label: 'fresh fakes called fake', data: h.d_acc_fake ?? [], x },
      ],
    }),
  ];
  const plots = [lossPng, scorePng, accPng];
  samples.push(writeGrid('final-samples.png', `DCGAN final samples (${result.epochsRun + (result.resumedFrom ?? 0)} epochs, fixed noise)`));
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
  // ── the report ──
  const finalPng = samples[samples.length - 1]!;
  // every epoch's grid, also those a resumed run wrote before
  const epochGrids = x.map((e) => path.join(opts.out, `samples-epoch-${String(e).padStart(2, '0')}.png`)).filter((f) => existsSync(f));
  const shown = epochRows(epochGrids.length, 8).map((i) => epochGrids[i]!).filter(Boolean);
  const score = h.score ?? [];
  const bestAt = score.length ? score.indexOf(Math.min(...score)) : -1;
  report.section('1. What the generator draws');
  report.text(
    `A DCGAN (generator width ${size.width}, noise dimension ${size.latentDim}) trained on ${size.trainImages.toLocaleString('en')} Fashion-MNIST images for ${result.epochsRun + (result.resumedFrom ?? 0)} epochs ` +
      `(${x.length * stepsPerEpoch * size.batchesPerStep} batches of ${size.batchSize}), Adam ${size.learningRate} with β1 = 0.5.`,
  );
  report.strip(
    shown,
    'The same 64 noise vectors through the generator after each epoch (a selection of epochs when there are many). Look for: grey noise turning into silhouettes, then into garments with edges and texture; and whether the samples stay varied (the same garment everywhere is mode collapse).',
    shown.map((f) => `epoch ${Number(/epoch-(\d+)/.exec(f)?.[1] ?? 0)}`),
  );
  report.figure(finalPng, 'The final samples from the same fixed noise. Look for: recognisable classes (shirts, trousers, shoes, bags) and how many different ones appear.');
  report.section('2. The two-player game');
  report.figure(lossPng, `Discriminator and generator losses at every step (${stepIs}; faint) with their moving averages. Look for: both hovering instead of converging, D near 2·ln 2 when it cannot tell real from fake; a D loss falling to 0 means D has won and G stops learning.`);
  report.figure(accPng, 'How often D calls held-out real images real and fresh fakes fake, after each epoch. Look for: both near 50 % (a balanced game) rather than one near 100 %.');
  report.figure(scorePng, `The FID-style score of ${size.evalImages} generated images against real test images, after each epoch, with the score of real images against other real images (the floor). Look for: a falling score; the distance to the floor is how far the fakes still are from real clothes.`);
  const table = epochTable(curve, [
    { key: 'd_loss', label: 'D loss' },
    { key: 'g_loss', label: 'G loss' },
    { key: 'score', label: 'FID-style score' },
    { key: 'd_acc_real', label: 'D acc (real)', format: pct },
    { key: 'd_acc_fake', label: 'D acc (fake)', format: pct },
  ]);
  report.table({ caption: `Per epoch: mean losses and the end-of-epoch measurements${table.note}.`, columns: table.columns, rows: table.rows });
  if (score.length) {
    report.conclusion(
      `The FID-style score went from ${score[0]!.toFixed(1)} after epoch 1 to ${score[score.length - 1]!.toFixed(1)} after epoch ${score.length}` +
        (bestAt !== score.length - 1 ? ` (best ${score[bestAt]!.toFixed(1)} at epoch ${bestAt + 1})` : '') +
        `; two sets of real images score ${realVsReal.toFixed(1)} against each other, so ${score[score.length - 1]! <= realVsReal * 2 ? 'the fakes are close to real ones by this measure' : `the fakes are still ${(score[score.length - 1]! / realVsReal).toFixed(1)}× that floor away`}.`,
    );
  }
  const accReal = last('d_acc_real');
  const accFake = last('d_acc_fake');
  if (accReal !== null && accFake !== null) {
    const mean = (accReal + accFake) / 2;
    report.conclusion(
      `At the end D called ${pct(accReal)} of real images real and ${pct(accFake)} of fakes fake (${pct(mean)} right on average): ` +
        (mean >= 0.9
          ? 'D tells them apart almost perfectly, so G gets little useful gradient (a smaller D learning rate or label smoothing would help).'
          : mean <= 0.6
            ? 'D is close to chance (50 %): the fakes fool it about as often as not.'
            : 'D is right more often than chance but far from always: the game is still in play.'),
    );
  }
  const dl = last('d_loss');
  if (dl !== null) report.conclusion(`The last epoch's mean D loss was ${dl.toFixed(3)} (chance level 2·ln 2 = ${(2 * Math.LN2).toFixed(3)}) and G loss ${last('g_loss')?.toFixed(3)}: a GAN's losses do not fall to 0 like a classifier's; the samples and the score show the progress.`);

  compiled?.dispose();
  tf.dispose([images, evalReal, refReal, otherReal, gridNoise, evalNoise]);
  classifier.dispose();
  models.generator.dispose();
  models.discriminator.dispose();
  return { metrics, plots, samples };
}
