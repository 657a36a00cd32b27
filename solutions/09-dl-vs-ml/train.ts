/**
 * `course train 09-dl-vs-ml`: learning curves that test the chapter's claims, using ONLY the
 * target's functions for the lesson's parts (softmax regression, k-NN, features, subsets, the
 * protocol, weight images, the verdict). The deep models (the course MLP and a small CNN) are
 * library code. Writes to opts.out:
 *   fashion-curves.png   test accuracy against training-set size, five models (mean over seeds)
 *   iris-curves.png      the same on Iris (tabular): softmax regression, k-NN, MLP
 *   fashion-gap.png      deep − best traditional accuracy per size (mean ± std over seeds)
 *   lr-weights.png       the pixel softmax regression's weights per class, as images
 *   report.md/.html      figures, mean ± std tables, the computed verdict
 * Each (seed, data set) curve is checkpointed in opts.out/checkpoint/curves.json (`--resume`).
 * `--seeds N` repeats every curve with seeds seed … seed+N−1; `--epochs` is the deep models' epochs.
 */
import * as tf from '@tensorflow/tfjs';
import fs from 'node:fs';
import path from 'node:path';
import type { TrainOptions, TrainResult } from '../../lib/exercises.js';
import { FASHION_CLASSES, loadFashionMnist } from '../../lib/data/fashion-mnist.js';
import { loadIris } from '../../lib/data/iris.js';
import { batchIndices, stratifiedSplit } from '../../lib/data/split.js';
import { makeRng } from '../../lib/random.js';
import { buildMlp } from '../../lib/models/mlp.js';
import { imageGrid, lineChart } from '../../lib/plot/index.js';
import { pct, reportOf } from '../../lib/report/index.js';
import type { Classifier, LabelledSet } from './index.js';

type Impl = typeof import('./index.js');

export const defaults = { epochs: 5, seeds: true };

const FULL = { sizes: [100, 200, 400, 800, 1600, 3200, 6400], testPerClass: 200 };
const QUICK = { sizes: [50, 200], testPerClass: 20 };
const IRIS_SIZES = [9, 15, 30, 60, 90];
// distinct names: lib/plot pairs labels that differ only in a parenthesis (train/validation style)
const TRADITIONAL = ['softmax regression on pixels', 'softmax regression on hand-made features', 'k-NN (k = 3)'] as const;
const DEEP = ['MLP 784→128→10', 'CNN (2 conv)'] as const;

/**
 * The course MLP or a small CNN (logits), trained with Adam on mini-batches of 32 for at least
 * `epochs` epochs and `minSteps` steps (so a 100-image set is not judged after 4 steps).
 */
export function deepClassifier(kind: 'mlp' | 'cnn', epochs: number, seed: number, minSteps = 300, inputSize = 784, numClasses = 10): Classifier {
  return (xTrain, yTrain, xTest) => {
    const n = xTrain.shape[0]!;
    const model = kind === 'mlp' ? buildMlp({ activation: 'relu', hidden: [inputSize === 784 ? 128 : 16], seed, init: 'heNormal', inputSize, numClasses }) : smallCnn(seed);
    const asInput = (x: tf.Tensor) => (kind === 'cnn' ? tf.reshape(x, [x.shape[0]!, 28, 28, 1]) : x);
    const batchSize = Math.min(32, n);
    const runEpochs = Math.max(epochs, Math.ceil((minSteps * batchSize) / n));
    // tabular nets are tiny: a larger step size reaches their plateau within the step budget
    const optimizer = tf.train.adam(inputSize === 784 ? 1e-3 : 1e-2);
    const rng = makeRng(seed * 7919 + n);
    for (let e = 0; e < runEpochs; e++) {
      for (const batch of batchIndices(n, batchSize, rng)) {
        tf.tidy(() => {
          const idx = tf.tensor1d(batch, 'int32');
          const y = tf.oneHot(tf.gather(yTrain, idx), numClasses);
          deepStep(model, optimizer, asInput(tf.gather(xTrain, idx)), y);
        });
      }
    }
    const pred = tf.tidy(() => tf.argMax(model.predict(asInput(xTest)) as tf.Tensor, 1) as tf.Tensor1D);
    optimizer.dispose();
    model.dispose();
    return pred;
  };
}

/** One Adam step of a deep model on a batch (softmax cross-entropy on its logits); returns the loss. The bench times this. */
export function deepStep(model: tf.LayersModel, optimizer: tf.Optimizer, xb: tf.Tensor, yOneHot: tf.Tensor): tf.Scalar {
  return optimizer.minimize(() => tf.losses.softmaxCrossEntropy(yOneHot, model.apply(xb, { training: true }) as tf.Tensor) as tf.Scalar, true)!;
}

/** A small CNN: conv 3×3·8 → pool → conv 3×3·16 → pool → dense 10 (logits). */
export function smallCnn(seed: number): tf.Sequential {
  const L = tf.layers;
  const init = (i: number) => tf.initializers.heNormal({ seed: seed + i });
  return tf.sequential({
    layers: [
      L.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3, activation: 'relu', kernelInitializer: init(0) }),
      L.maxPooling2d({ poolSize: 2 }),
      L.conv2d({ filters: 16, kernelSize: 3, activation: 'relu', kernelInitializer: init(1) }),
      L.maxPooling2d({ poolSize: 2 }),
      L.flatten(),
      L.dense({ units: 10, kernelInitializer: init(2) }),
    ],
  });
}

/** 4×4 cells of 7×7 pixels, an 8-bin orientation histogram each, plus a 16-bin intensity histogram: 144 features. */
export function handFeatures(impl: Impl, x: tf.Tensor): tf.Tensor2D {
  return tf.tidy(() => {
    const n = x.shape[0]!;
    const imgs = tf.reshape(x, [n, 28, 28]) as tf.Tensor3D;
    const parts: tf.Tensor2D[] = [impl.intensityHistogram(imgs, 16)];
    for (let r = 0; r < 4; r++) {
      for (let c = 0; c < 4; c++) parts.push(impl.edgeOrientationHistogram(tf.slice(imgs, [0, r * 7, c * 7], [n, 7, 7]) as tf.Tensor3D, 8));
    }
    return tf.concat(parts, 1) as tf.Tensor2D;
  });
}

function softmaxClassifier(impl: Impl, numClasses: number, steps: number, learningRate: number, features?: (x: tf.Tensor) => tf.Tensor2D): Classifier {
  return (xTrain, yTrain, xTest) => {
    const [a, b] = features ? [features(xTrain), features(xTest)] : [xTrain as tf.Tensor2D, xTest as tf.Tensor2D];
    // the training rows' statistics only (the student's standardizeFeatures): the test set stays unseen
    const z = impl.standardizeFeatures(a, b);
    const m = impl.trainSoftmaxRegression(z.train, yTrain, { numClasses, lambda: 1e-3, learningRate, steps });
    const pred = impl.softmaxPredict(m, z.test);
    impl.disposeModel(m);
    tf.dispose([z.train, z.test]);
    if (features) tf.dispose([a, b]);
    return pred;
  };
}

const knnClassifier = (impl: Impl, k: number): Classifier => (xTrain, yTrain, xTest) => impl.knnPredict(xTrain as tf.Tensor2D, yTrain, xTest as tf.Tensor2D, Math.min(k, xTrain.shape[0]!));

interface Curves {
  /** curves[dataset][seed] = accuracy per model per size */
  [key: string]: Record<string, number[]>;
}

function loadCheckpoint(file: string, resume: boolean): Curves {
  return resume && fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Curves) : {};
}

function fashionSets(poolPerClass: number, testPerClass: number): { pool: LabelledSet; test: LabelledSet } {
  const tr = loadFashionMnist('train', { perClass: poolPerClass, seed: 0 });
  const te = loadFashionMnist('test', { perClass: testPerClass, seed: 1 });
  return { pool: { x: tf.tensor2d(tr.images, [tr.n, 784]), labels: tr.labels }, test: { x: tf.tensor2d(te.images, [te.n, 784]), labels: te.labels } };
}

function irisSets(): { pool: LabelledSet; test: LabelledSet } {
  const iris = loadIris();
  const split = stratifiedSplit(iris.labels, { test: 0.4 }, 3);
  const set = (idx: number[]): LabelledSet => ({ x: tf.tensor2d(idx.map((i) => iris.features[i]!)), labels: Int32Array.from(idx.map((i) => iris.labels[i]!)) });
  return { pool: set(split.train), test: set(split.test) };
}

const mean = (v: number[]) => v.reduce((a, x) => a + x, 0) / v.length;
const std = (v: number[]) => (v.length < 2 ? 0 : Math.sqrt(v.reduce((a, x) => a + (x - mean(v)) ** 2, 0) / (v.length - 1)));
const pm = (v: number[]) => `${pct(mean(v))} ± ${(100 * std(v)).toFixed(1)}`;

export async function train(impl: Impl, opts: TrainOptions): Promise<TrainResult> {
  const report = reportOf(opts);
  const cfg = opts.quick ? QUICK : FULL;
  const epochs = opts.quick ? Math.min(opts.epochs, 2) : opts.epochs;
  const seeds = Array.from({ length: Math.max(1, opts.seeds ?? 1) }, (_, i) => opts.seed + i);
  const ckptFile = path.join(opts.out, 'checkpoint', 'curves.json');
  fs.mkdirSync(path.dirname(ckptFile), { recursive: true });
  const done = loadCheckpoint(ckptFile, opts.resume);
  const fashion = fashionSets(cfg.sizes[cfg.sizes.length - 1]! / 10, cfg.testPerClass);
  const iris = irisSets();
  const irisSizes = opts.quick ? [15, 90] : IRIS_SIZES;
  const minSteps = opts.quick ? 60 : 300;

  for (const seed of seeds) {
    const fKey = `fashion/${seed}`;
    if (!done[fKey]) {
      const t0 = Date.now();
      const models: Record<string, Classifier> = {
        [TRADITIONAL[0]]: softmaxClassifier(impl, 10, opts.quick ? 30 : 200, 0.5),
        [TRADITIONAL[1]]: softmaxClassifier(impl, 10, opts.quick ? 30 : 200, 0.5, (x) => handFeatures(impl, x)),
        [TRADITIONAL[2]]: knnClassifier(impl, 3),
        [DEEP[0]]: deepClassifier('mlp', epochs, seed, minSteps),
        [DEEP[1]]: deepClassifier('cnn', epochs, seed, minSteps),
      };
      done[fKey] = impl.learningCurve(fashion.pool, fashion.test, cfg.sizes, models, seed).accuracy;
      fs.writeFileSync(ckptFile, JSON.stringify(done));
      console.log(`09-dl-vs-ml: Fashion-MNIST curves, seed ${seed}: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    }
    const iKey = `iris/${seed}`;
    if (!done[iKey]) {
      const models: Record<string, Classifier> = {
        'softmax regression': softmaxClassifier(impl, 3, 300, 0.5),
        'k-NN (k = 3)': knnClassifier(impl, 3),
        'MLP 4→16→3': (x, y, xt) => {
          const z = impl.standardizeFeatures(x as tf.Tensor2D, xt as tf.Tensor2D);
          const p = deepClassifier('mlp', epochs, seed, minSteps, 4, 3)(z.train, y, z.test);
          tf.dispose([z.train, z.test]);
          return p;
        },
      };
      done[iKey] = impl.learningCurve(iris.pool, iris.test, irisSizes, models, seed).accuracy;
      fs.writeFileSync(ckptFile, JSON.stringify(done));
    }
  }
  tf.dispose([iris.pool.x, iris.test.x, fashion.test.x]);

  // the largest subset's pixel softmax regression, for its weight images (first seed's subset)
  const largest = impl.nestedStratifiedSubsets(fashion.pool.labels, [cfg.sizes[cfg.sizes.length - 1]!], opts.seed)[0]!;
  const weights = tf.tidy(() => {
    const idx = tf.tensor1d(largest, 'int32');
    const m = impl.trainSoftmaxRegression(tf.gather(fashion.pool.x, idx) as tf.Tensor2D, tf.gather(tf.tensor1d(fashion.pool.labels, 'int32'), idx) as tf.Tensor1D, { numClasses: 10, lambda: 1e-3, learningRate: 0.5, steps: opts.quick ? 30 : 200 });
    return tf.reshape(impl.weightImages(m.W, 28, 28), [10, 28, 28, 1]) as tf.Tensor4D;
  });
  fashion.pool.x.dispose();
  const plots: string[] = [];
  const weightsPng = imageGrid(path.join(opts.out, 'lr-weights.png'), weights, { cols: 5, cell: 84, labels: [...FASHION_CLASSES], title: `Softmax regression weights (${largest.length} images)` });
  weights.dispose();
  plots.push(weightsPng);

  // curves: per model, per size, the values over seeds
  const over = (ds: string, model: string, j: number) => seeds.map((s) => done[`${ds}/${s}`]![model]![j]!);
  const curveChart = (ds: string, sizes: number[], models: readonly string[], title: string, file: string) =>
    lineChart(path.join(opts.out, file), {
      title,
      xLabel: 'log₂(training examples): 7 = 128, 10 = 1,024, 12 = 4,096',
      yLabel: `test accuracy (mean over ${seeds.length} seed${seeds.length > 1 ? 's' : ''})`,
      series: models.map((m) => ({ label: m, x: sizes.map((s) => Math.log2(s)), data: sizes.map((_, j) => mean(over(ds, m, j))), points: true })),
    });
  const fashionModels = [...TRADITIONAL, ...DEEP];
  const irisModels = Object.keys(done[`iris/${opts.seed}`]!);
  const fashionPng = curveChart('fashion', cfg.sizes, fashionModels, 'Fashion-MNIST (images): test accuracy vs training-set size', 'fashion-curves.png');
  const irisPng = curveChart('iris', irisSizes, irisModels, 'Iris (tabular, 4 measurements): test accuracy vs training-set size', 'iris-curves.png');
  plots.push(fashionPng, irisPng);

  // the verdict: each deep model against the BEST traditional model of the same seed and size
  const bestTrad = (ds: string, models: readonly string[], sizes: number[]) => seeds.map((s) => sizes.map((_, j) => Math.max(...models.map((m) => done[`${ds}/${s}`]![m]![j]!))));
  const perSeed = (ds: string, model: string, sizes: number[]) => seeds.map((s) => sizes.map((_, j) => done[`${ds}/${s}`]![model]![j]!));
  const fTrad = bestTrad('fashion', TRADITIONAL, cfg.sizes);
  const verdicts = DEEP.map((d) => ({ model: d, cmp: impl.compareCurves(cfg.sizes, perSeed('fashion', d, cfg.sizes), fTrad) }));
  const irisDeep = irisModels.find((m) => m.startsWith('MLP'))!;
  const irisCmp = impl.compareCurves(irisSizes, perSeed('iris', irisDeep, irisSizes), bestTrad('iris', irisModels.filter((m) => m !== irisDeep), irisSizes));
  const gapPng = lineChart(path.join(opts.out, 'fashion-gap.png'), {
    title: 'Deep minus best traditional model, Fashion-MNIST (paired by seed)',
    xLabel: 'log₂(training examples): 7 = 128, 10 = 1,024, 12 = 4,096',
    yLabel: 'accuracy gap (percentage points)',
    series: [
      ...verdicts.flatMap(({ model, cmp }) => [
        { label: `${model}: mean`, x: cfg.sizes.map(Math.log2), data: cmp.gapMean.map((g) => 100 * g), points: true },
        ...(seeds.length > 1 ? [{ label: `${model}: mean − std`, x: cfg.sizes.map(Math.log2), data: cmp.gapMean.map((g, j) => 100 * (g - cmp.gapStd[j]!)), points: false }] : []),
      ]),
      { label: 'no gap', x: [Math.log2(cfg.sizes[0]!), Math.log2(cfg.sizes[cfg.sizes.length - 1]!)], data: [0, 0], points: false },
    ],
  });
  plots.push(gapPng);

  writeReport(report, { cfg, seeds, epochs, irisSizes, fashionModels, irisModels, over, verdicts, irisCmp, irisDeep, pngs: { fashionPng, irisPng, gapPng, weightsPng } });
  return {
    metrics: {
      seeds,
      sizes: cfg.sizes,
      testImages: cfg.testPerClass * 10,
      fashion: Object.fromEntries(fashionModels.map((m) => [m, cfg.sizes.map((_, j) => ({ mean: mean(over('fashion', m, j)), std: std(over('fashion', m, j)) }))])),
      iris: Object.fromEntries(irisModels.map((m) => [m, irisSizes.map((_, j) => ({ mean: mean(over('iris', m, j)), std: std(over('iris', m, j)) }))])),
      verdict: Object.fromEntries(verdicts.map(({ model, cmp }) => [model, cmp])),
      irisVerdict: irisCmp,
    },
    plots,
  };
}

interface ReportInput {
  cfg: { sizes: number[]; testPerClass: number };
  seeds: number[];
  epochs: number;
  irisSizes: number[];
  fashionModels: string[];
  irisModels: string[];
  over: (ds: string, model: string, j: number) => number[];
  verdicts: { model: string; cmp: ReturnType<Impl['compareCurves']> }[];
  irisCmp: ReturnType<Impl['compareCurves']>;
  irisDeep: string;
  pngs: Record<'fashionPng' | 'irisPng' | 'gapPng' | 'weightsPng', string>;
}

function writeReport(report: ReturnType<typeof reportOf>, r: ReportInput): void {
  const { cfg, seeds, over } = r;
  const last = cfg.sizes.length - 1;
  report.section('1. Learning curves on images');
  report.text(`Five models trained on nested, stratified subsets of one Fashion-MNIST pool (${cfg.sizes.join(', ')} images), all scored on the same ${cfg.testPerClass * 10} test images, repeated over ${seeds.length} seed${seeds.length > 1 ? 's' : ''} (${seeds.join(', ')}). Softmax regression and k-NN are yours; the MLP and the CNN train with Adam (batches of 32) for at least ${r.epochs} epochs and a minimum number of steps.`);
  report.figure(r.pngs.fashionPng, 'Test accuracy against the number of training images (log₂ axis). Look for: which curves flatten early and which keep climbing as the data doubles, and where the deep models cross the traditional ones.');
  report.table({
    caption: `Fashion-MNIST test accuracy, mean ± std over ${seeds.length} seed(s) (percent).`,
    columns: ['model', ...cfg.sizes.map(String)],
    rows: r.fashionModels.map((m) => [m, ...cfg.sizes.map((_, j) => pm(over('fashion', m, j)))]),
  });
  report.section('2. The same on tabular data (Iris)');
  report.figure(r.pngs.irisPng, 'Test accuracy on Iris (4 measurements, 60 test flowers) against the number of training flowers. Look for: how few flowers a linear model needs, and whether the MLP ever gains on it.');
  report.table({
    caption: 'Iris test accuracy, mean ± std (percent).',
    columns: ['model', ...r.irisSizes.map(String)],
    rows: r.irisModels.map((m) => [m, ...r.irisSizes.map((_, j) => pm(over('iris', m, j)))]),
  });
  report.section('3. Where the deep models overtake');
  report.figure(r.pngs.gapPng, 'Accuracy of each deep model minus the best traditional model trained on the same subset (same seed), in percentage points; with several seeds also mean − std. Look for: the size from which the gap stays above 0.');
  report.section('4. What the linear model learned');
  report.figure(r.pngs.weightsPng, 'Each class’s weights of the pixel softmax regression as an image (grey 0, white positive, black negative). Look for: recognisable silhouettes — a linear model is a template matcher, which is why it is easy to read and why it plateaus.');
  for (const { model, cmp } of r.verdicts) {
    const g = (j: number) => `${(100 * cmp.gapMean[j]!).toFixed(1)} ± ${(100 * cmp.gapStd[j]!).toFixed(1)} points`;
    report.conclusion(
      cmp.overtakeSize === null
        ? `${model} did not stay ahead of the best traditional model at any size up to ${cfg.sizes[last]} images (gap at ${cfg.sizes[last]}: ${g(last)}).`
        : `${model} overtakes the best traditional model from ${cmp.overtakeSize} training images on and stays ahead; at ${cfg.sizes[last]} images it leads by ${g(last)}.`,
    );
  }
  const gain = (ds: string, m: string, sizes: number[]) => mean(over(ds, m, sizes.length - 1)) - mean(over(ds, m, 0));
  const lrGain = gain('fashion', r.fashionModels[0]!, cfg.sizes);
  const cnnGain = gain('fashion', r.fashionModels[r.fashionModels.length - 1]!, cfg.sizes);
  report.conclusion(`From ${cfg.sizes[0]} to ${cfg.sizes[last]} images softmax regression on pixels gained ${(100 * lrGain).toFixed(1)} points and the CNN ${(100 * cnnGain).toFixed(1)}: ${cnnGain > lrGain ? 'the deep model kept improving more with data' : 'in this run the deep model did not gain more from the extra data'}.`);
  const irisLr = r.irisModels[0]!;
  const iLast = r.irisSizes.length - 1;
  report.conclusion(
    `On Iris softmax regression reached ${pct(mean(over('iris', irisLr, 0)))} with ${r.irisSizes[0]} flowers and ${pct(mean(over('iris', irisLr, iLast)))} with ${r.irisSizes[iLast]}; ` +
      (r.irisCmp.overtakeSize === null ? `the ${r.irisDeep} never stayed ahead of the best traditional model (gap at ${r.irisSizes[iLast]}: ${(100 * r.irisCmp.gapMean[iLast]!).toFixed(1)} points).` : `the ${r.irisDeep} stayed ahead from ${r.irisCmp.overtakeSize} flowers (gap at ${r.irisSizes[iLast]}: ${(100 * r.irisCmp.gapMean[iLast]!).toFixed(1)} ± ${(100 * r.irisCmp.gapStd[iLast]!).toFixed(1)} points).`),
  );
  const feat = mean(over('fashion', r.fashionModels[1]!, last));
  const pix = mean(over('fashion', r.fashionModels[0]!, last));
  report.conclusion(`With ${cfg.sizes[last]} images the hand-made features (144 numbers) gave softmax regression ${pct(feat)} against ${pct(pix)} on the 784 raw pixels.`);
}
