/**
 * `course train 01-ffnn-from-scratch`: the full run, using ONLY the target's functions for the
 * student's parts (perceptron, parameter count, forward, loss, backward, SGD step, data
 * preparation, initialisation, trainMlp). Writes to opts.out:
 *   loss-curves.png          training cross-entropy every step, test cross-entropy every epoch (4-feature Iris net)
 *   accuracy-curves.png      train vs test accuracy per epoch
 *   confusion-matrix.png     test-set confusion matrix
 *   decision-regions.png     a 2-feature net on petal length/width: grid coloured by predicted class, flowers on top
 *   perceptron-vs-mlp.png    perceptron on AND / OR / XOR next to a 2-layer MLP on XOR
 * The main Iris run goes through lib/train's trainLoop, so it shows progress and checkpoints
 * its parameters every epoch (`--resume` continues from opts.out/checkpoint). On tfjs-node its
 * step (the target's forward → loss → backward → sgdStep) runs as one TensorFlow graph
 * (lib/backend/graph compileStep; the last, smaller batch of an epoch and other backends run
 * eagerly). The 2-feature and XOR nets are trained by the target's own trainMlp: its loop, eager.
 * report.md / report.html (lib/report): each figure with what to look for, the per-epoch table,
 * and conclusions computed from this run.
 */
import * as tf from '@tensorflow/tfjs';
import path from 'node:path';
import type { TrainOptions, TrainResult } from '../../lib/exercises.js';
import { batchIndices } from '../../lib/data/split.js';
import { loadIris } from '../../lib/data/iris.js';
import { accuracy, confusionMatrix } from '../../lib/metrics/index.js';
import { barChart, decisionRegions, heatmap, stepCurveChart } from '../../lib/plot/index.js';
import { epochTable, pct, reportOf } from '../../lib/report/index.js';
import { makeRng } from '../../lib/random.js';
import { compileStep } from '../../lib/backend/graph/index.js';
import { trainLoop } from '../../lib/train/index.js';
import type { NetConfig, Params } from './index.js';

type Impl = typeof import('./index.js');

export const defaults = { epochs: 150, demo: true };

const NET: NetConfig = { hidden: 'relu', output: 'softmax' };
const SIZES = [4, 16, 3];
const LEARNING_RATE = 0.1;
const BATCH_SIZE = 16;
const GATES = [
  [0, 0],
  [0, 1],
  [1, 0],
  [1, 1],
];

interface SavedParams {
  layers: { W: number[][]; b: number[] }[];
}

function toSaved(params: Params): SavedParams {
  return { layers: params.map((l) => ({ W: l.W.arraySync(), b: l.b.arraySync() })) };
}

function fromSaved(s: SavedParams): Params {
  return s.layers.map((l) => ({ W: tf.tensor2d(l.W), b: tf.tensor1d(l.b) }));
}

/** Parameters as the flat tensor list [W1, b1, W2, b2, …] that a compiled step takes and returns, and back. */
export const flattenParams = (params: Params): tf.Tensor[] => params.flatMap((l) => [l.W, l.b]);
export const unflattenParams = (flat: tf.Tensor[]): Params =>
  Array.from({ length: flat.length / 2 }, (_, i) => ({ W: flat[2 * i] as tf.Tensor2D, b: flat[2 * i + 1] as tf.Tensor1D }));

/**
 * One hand-written SGD step of the target as a function of tensors, for compileStep (whose
 * arguments become the graph's inputs and whose results its outputs):
 *   (xb, yb, W1, b1, W2, b2, …) → [loss, W1', b1', W2', b2', …]
 * Everything else it makes is freed; the caller owns the results and disposes the old parameters.
 */
export function sgdStepFunction(impl: Pick<Impl, 'forward' | 'computeLoss' | 'backward' | 'sgdStep'>, net: NetConfig, learningRate: number) {
  return (xb: tf.Tensor, yb: tf.Tensor, ...flat: tf.Tensor[]): tf.Tensor[] =>
    tf.tidy(() => {
      const params = unflattenParams(flat);
      const cache = impl.forward(params, xb as tf.Tensor2D, net);
      const loss = impl.computeLoss(cache.activations[params.length]!, yb as tf.Tensor2D, net.output);
      const next = impl.sgdStep(params, impl.backward(params, cache, yb as tf.Tensor2D, net), learningRate);
      return [loss, ...flattenParams(next)];
    });
}

/** Loss and predicted classes of the target's forward pass on a whole split. */
function evaluate(impl: Impl, params: Params, x: tf.Tensor2D, y: tf.Tensor2D): { loss: number; pred: number[] } {
  const cache = impl.forward(params, x, NET);
  const out = cache.activations[params.length]!;
  const lossT = impl.computeLoss(out, y, NET.output);
  const loss = lossT.dataSync()[0]!;
  const pred = impl.predictClasses(out);
  lossT.dispose();
  impl.disposeCache(cache);
  return { loss, pred };
}

export async function train(impl: Impl, opts: TrainOptions): Promise<TrainResult> {
  // the demo is the full run: 150 epochs of Iris take seconds
  const epochs = opts.quick ? Math.min(opts.epochs, 20) : opts.epochs;
  const plots: string[] = [];
  const report = reportOf(opts);

  // ── Task 1 and 2: perceptron on logic gates, parameter counts ──
  const gateAccuracy = (y: number[]): number => {
    const r = impl.trainPerceptron(GATES, y, { epochs: 50, learningRate: 0.1 });
    return accuracy(GATES.map((x) => impl.perceptronPredict(r.weights, r.bias, x)), y);
  };
  const perceptron = { and: gateAccuracy([0, 0, 0, 1]), or: gateAccuracy([0, 1, 1, 1]), xor: gateAccuracy([0, 1, 1, 0]) };
  const parameterCounts = { iris: impl.countParameters(SIZES), mnistMlp: impl.countParameters([784, 128, 64, 10]) };

  // ── Task 5: the 4-feature Iris net, hand-written SGD inside trainLoop ──
  const data = impl.prepareIris({ testFraction: 0.2, seed: opts.seed });
  const nTrain = data.xTrain.shape[0];
  const stepsPerEpoch = Math.ceil(nTrain / BATCH_SIZE);
  let params = impl.initParams(SIZES, 'he', opts.seed);
  let batches: number[][] = [];

  // The step as one TensorFlow graph on tfjs-node (eager elsewhere; one line says why, once).
  const sgd = compileStep(sgdStepFunction(impl, NET, LEARNING_RATE), { name: '01-ffnn-from-scratch iris' });
  let loop: Awaited<ReturnType<typeof trainLoop>>;
  try {
    loop = await trainLoop({
      label: '01-ffnn-from-scratch iris',
      epochs,
      stepsPerEpoch,
      step(epoch, step) {
        // One seeded shuffle per epoch, derived from the epoch number so a resumed run sees the same batches.
        if (step === 0) batches = batchIndices(nTrain, BATCH_SIZE, makeRng(opts.seed * 7919 + epoch));
        const [xb, yb] = tf.tidy(() => {
          const idx = tf.tensor1d(batches[step]!, 'int32');
          return [tf.gather(data.xTrain, idx), tf.gather(data.yTrain, idx)];
        });
        const [loss, ...next] = sgd(xb!, yb!, ...flattenParams(params));
        tf.dispose([xb!, yb!]);
        const value = loss!.dataSync()[0]!;
        loss!.dispose();
        impl.disposeParams(params);
        params = unflattenParams(next);
        return { loss: value };
      },
      endEpoch() {
        const tr = evaluate(impl, params, data.xTrain, data.yTrain);
        const te = evaluate(impl, params, data.xTest, data.yTest);
        return { acc: accuracy(tr.pred, data.labelsTrain), test_loss: te.loss, test_acc: accuracy(te.pred, data.labelsTest) };
      },
      checkpoint: {
        dir: path.join(opts.out, 'checkpoint'),
        state: () => toSaved(params),
        restore: (s) => {
          impl.disposeParams(params);
          params = fromSaved(s as SavedParams);
        },
      },
      resume: opts.resume,
    });
  } finally {
    sgd.dispose();
  }
  const h = loop.history;
  const final = evaluate(impl, params, data.xTest, data.yTest);
  const trainFinal = evaluate(impl, params, data.xTrain, data.yTrain);
  const testAccuracy = accuracy(final.pred, data.labelsTest);

  const curve = loop.curve;
  const confusion = confusionMatrix(final.pred, data.labelsTest, data.classNames.length);
  const [lossPng, accPng, confusionPng] = [
    stepCurveChart(path.join(opts.out, 'loss-curves.png'), {
      title: `Iris ${SIZES.join('→')} net, hand-written backprop: cross-entropy`,
      yLabel: 'cross-entropy loss',
      stepIs: `a mini-batch of ${BATCH_SIZE}`,
      series: [
        { label: 'train (every mini-batch)', curve, key: 'loss' },
        { label: 'test (held-out 20 %, end of each epoch)', curve, key: 'test_loss', per: 'epoch' },
      ],
    }),
    stepCurveChart(path.join(opts.out, 'accuracy-curves.png'), {
      title: `Iris ${SIZES.join('→')} net: accuracy`,
      yLabel: 'accuracy',
      series: [
        { label: 'train (end of each epoch)', curve, key: 'acc', per: 'epoch' },
        { label: 'test (held-out 20 %)', curve, key: 'test_acc', per: 'epoch' },
      ],
    }),
    heatmap(path.join(opts.out, 'confusion-matrix.png'), {
      // short: the heatmap canvas is only as wide as a 3×3 matrix needs
      title: `Iris test set (acc ${(testAccuracy * 100).toFixed(1)} %)`,
      matrix: confusion,
      rowLabels: data.classNames,
      colLabels: data.classNames,
      xLabel: 'predicted species',
      yLabel: 'true species',
    }),
  ];
  plots.push(lossPng, accPng, confusionPng);
  // ── Decision regions: a 2-feature net on petal length / width, trained with the target's trainMlp ──
  const petal = impl.prepareIris({ testFraction: 0.2, seed: opts.seed, featureIndices: [2, 3] });
  const petalInit = impl.initParams([2, 16, 3], 'he', opts.seed + 1);
  const petalRun = impl.trainMlp(petalInit, { x: petal.xTrain, y: petal.yTrain }, {
    ...NET,
    learningRate: LEARNING_RATE,
    batchSize: BATCH_SIZE,
    epochs: opts.quick ? 20 : 150,
    seed: opts.seed,
  });
  impl.disposeParams(petalInit);
  const petalTest = evaluate(impl, petalRun.params, petal.xTest, petal.yTest);
  const iris = loadIris();
  const steps = opts.quick ? 60 : 160;
  const xs = Array.from({ length: steps }, (_, i) => 0.5 + (6.6 / (steps - 1)) * i); // petal length, cm
  const ys = Array.from({ length: steps }, (_, j) => (2.8 / (steps - 1)) * j); // petal width, cm
  const gridRows = ys.flatMap((w) => xs.map((l) => [(l - petal.mean[0]!) / petal.std[0]!, (w - petal.mean[1]!) / petal.std[1]!]));
  const gridX = tf.tensor2d(gridRows);
  const gridCache = impl.forward(petalRun.params, gridX, NET);
  const gridPred = impl.predictClasses(gridCache.activations[petalRun.params.length]!);
  impl.disposeCache(gridCache);
  gridX.dispose();
  const classes = ys.map((_, j) => gridPred.slice(j * steps, (j + 1) * steps));
  const petalAccuracy = accuracy(petalTest.pred, petal.labelsTest);
  plots.push(
    decisionRegions(path.join(opts.out, 'decision-regions.png'), {
      title: `Decision regions of a 2→16→3 net on petal features (test acc ${(petalAccuracy * 100).toFixed(0)} %)`,
      xLabel: 'petal length (cm)',
      yLabel: 'petal width (cm)',
      classNames: iris.classNames,
      grid: { xs, ys, classes },
      points: iris.features.map((f, i) => ({ x: f[2]!, y: f[3]!, label: iris.labels[i]! })),
    }),
  );

  // ── XOR: what one hidden layer buys over the perceptron ──
  const xorX = tf.tensor2d(GATES);
  const xorY = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1, 1, 0], 'int32'), 2).toFloat() as tf.Tensor2D);
  const xorInit = impl.initParams([2, 8, 2], 'he', opts.seed);
  const xorRun = impl.trainMlp(xorInit, { x: xorX, y: xorY }, { ...NET, learningRate: 0.5, batchSize: 4, epochs: 300, seed: opts.seed });
  const xorCache = impl.forward(xorRun.params, xorX, NET);
  const xorMlp = accuracy(impl.predictClasses(xorCache.activations[xorRun.params.length]!), [0, 1, 1, 0]);
  impl.disposeCache(xorCache);
  plots.push(
    barChart(path.join(opts.out, 'perceptron-vs-mlp.png'), {
      title: 'Perceptron vs a 2-layer MLP on logic gates',
      xLabel: 'task',
      yLabel: 'training accuracy',
      labels: ['AND', 'OR', 'XOR'],
      series: [
        { label: 'perceptron (step activation)', data: [perceptron.and, perceptron.or, perceptron.xor] },
        { label: '2→8→2 MLP (XOR only)', data: [0, 0, xorMlp] },
      ],
    }),
  );

  // ── the report: the story of the run, top to bottom ──
  const nTest = data.labelsTest.length;
  const testHits = final.pred.filter((p, i) => p === data.labelsTest[i]).length;
  let worst = { count: 0, truth: 0, pred: 0 };
  confusion.forEach((row, t) => row.forEach((c, p) => { if (t !== p && c > worst.count) worst = { count: c, truth: t, pred: p }; }));
  report.section('1. A perceptron on logic gates, and what one hidden layer adds');
  report.figure(plots[4]!, 'Training accuracy of a single perceptron (step activation) on AND, OR and XOR, and of a 2→8→2 MLP on XOR. Look for: the perceptron reaching 100 % only where one straight line separates the classes.');
  report.table({
    caption: 'Training accuracy on the four input pairs of each gate.',
    columns: ['gate', 'perceptron', '2→8→2 MLP'],
    rows: [['AND', pct(perceptron.and), '—'], ['OR', pct(perceptron.or), '—'], ['XOR', pct(perceptron.xor), pct(xorMlp)]],
  });
  report.section('2. Parameter counts');
  report.table({
    caption: 'Weights + biases of fully connected nets (countParameters).',
    columns: ['net', 'layer sizes', 'parameters'],
    rows: [['Iris net', SIZES.join(' → '), parameterCounts.iris], ['MNIST MLP', '784 → 128 → 64 → 10', parameterCounts.mnistMlp]],
  });
  report.section(`3. Training the Iris net with hand-written backpropagation (${loop.epochsRun + (loop.resumedFrom ?? 0)} epochs)`);
  report.figure(lossPng, `Cross-entropy of every mini-batch of ${BATCH_SIZE} (faint) with its moving average, and the held-out test loss after each epoch (points). Look for: both falling together; a test loss that rises while the training loss keeps falling would be overfitting.`);
  report.figure(accPng, 'Accuracy on the whole training split and on the held-out test split after each epoch. Look for: the gap between them, and how early the test accuracy stops improving.');
  const table = epochTable(curve, [
    { key: 'loss', label: 'train loss (epoch mean)' },
    { key: 'acc', label: 'train accuracy', format: pct },
    { key: 'test_loss', label: 'test loss' },
    { key: 'test_acc', label: 'test accuracy', format: pct },
  ]);
  report.table({ caption: `Loss and accuracy per epoch${table.note}.`, columns: table.columns, rows: table.rows });
  report.figure(confusionPng, `Test-set confusion matrix: rows are the true species, columns the predicted ones. Look for: which species are confused with which (off the diagonal).`);
  report.section('4. Decision regions of a net on two features');
  report.figure(plots[3]!, 'A 2→16→3 net trained on petal length and width only: every point of the plane coloured by the predicted species, the 150 flowers on top. Look for: curved boundaries (a perceptron could only draw straight ones) and the flowers on the wrong side.');
  report.conclusion(`The perceptron learned AND (${pct(perceptron.and)}) and OR (${pct(perceptron.or)}) but not XOR (${pct(perceptron.xor)}): XOR is not linearly separable. One hidden layer of 8 units reached ${pct(xorMlp)} on XOR.`);
  report.conclusion(`The Iris net classified ${testHits} of ${nTest} held-out flowers correctly (${pct(testAccuracy)}), against ${pct(accuracy(trainFinal.pred, data.labelsTrain))} on its training flowers: a train–test gap of ${pct(accuracy(trainFinal.pred, data.labelsTrain) - testAccuracy)}.`);
  report.conclusion(
    worst.count > 0
      ? `Its most common mistake: ${worst.count} ${data.classNames[worst.truth]} predicted as ${data.classNames[worst.pred]}${worst.truth !== 0 && worst.pred !== 0 ? ' (the two species whose petals overlap)' : ''}.`
      : 'It made no mistakes on the test set.',
  );
  report.conclusion(`With petal length and width alone, a 2→16→3 net reached ${pct(petalAccuracy)} test accuracy (the 4-feature net: ${pct(testAccuracy)}).`);

  tf.dispose([xorX, xorY, data.xTrain, data.yTrain, data.xTest, data.yTest, petal.xTrain, petal.yTrain, petal.xTest, petal.yTest]);
  for (const p of [params, petalRun.params, xorInit, xorRun.params]) impl.disposeParams(p);

  return {
    metrics: {
      testAccuracy,
      trainAccuracy: accuracy(trainFinal.pred, data.labelsTrain),
      finalTrainLoss: h.loss?.at(-1) ?? null,
      finalTestLoss: final.loss,
      epochsRun: loop.epochsRun,
      resumedFrom: loop.resumedFrom,
      petalTestAccuracy: petalAccuracy,
      xorMlpAccuracy: xorMlp,
      perceptronAccuracy: perceptron,
      parameterCounts,
    },
    plots,
  };
}
