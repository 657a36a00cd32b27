/**
 * `course train 06-regularisation-lab`: the full run, using ONLY the target's functions for the
 * lesson's parts (via LabMlp). A deliberately small training set (Fashion-MNIST, 100 images per
 * class) and a wide 784→256→256→10 MLP make overfitting visible. Writes to opts.out:
 *   regularisation-curves.png   train/validation loss per epoch: no regularisation, L2, dropout (Adam)
 *   optimisers.png              mini-batch loss of SGD, SGD + momentum, Adam every step, same net and start
 *   init-activation-std.png     post-ReLU std per layer of a 10-layer net for four initialisations
 *   update-weight-ratio.png     ‖ΔW‖/‖W‖ per layer every step (the 1e-3 rule of thumb)
 *   report.md/.html             (lib/report) the figures with what to look for, tables, conclusions
 * Each training run checkpoints every epoch under opts.out/checkpoint/<run> (`--resume`).
 * On tfjs-node the training steps run as compiled TensorFlow graphs (LabMlp.compile).
 * `--demo` (npm start) is the full run: five 30-epoch runs of a 1000-image set take about a minute.
 */
import * as tf from '@tensorflow/tfjs';
import path from 'node:path';
import type { TrainOptions, TrainResult } from '../../lib/exercises.js';
import { loadFashionMnist } from '../../lib/data/fashion-mnist.js';
import { batchIndices } from '../../lib/data/split.js';
import { barChart, lineChart, stepCurveChart } from '../../lib/plot/index.js';
import { pct, reportOf, type CurveData } from '../../lib/report/index.js';
import { makeRng } from '../../lib/random.js';
import { trainLoop, type History } from '../../lib/train/index.js';
import { LabMlp, type LabConfig } from './lab-mlp.js';

type Impl = typeof import('./index.js');

export const defaults = { epochs: 30, demo: true };

const SIZES = [784, 256, 256, 10];
const BATCH_SIZE = 50;
const L2_LAMBDA = 1e-3;
const DROPOUT_RATE = 0.5;

interface Data {
  xTrain: tf.Tensor2D;
  yTrain: tf.Tensor2D;
  xVal: tf.Tensor2D;
  yVal: tf.Tensor2D;
}

function loadData(trainPerClass: number, valPerClass: number, seed: number): Data {
  const tr = loadFashionMnist('train', { perClass: trainPerClass, seed });
  const va = loadFashionMnist('test', { perClass: valPerClass, seed: seed + 1 });
  return tf.tidy(() => ({
    xTrain: tf.tensor2d(tr.images, [tr.n, 784]),
    yTrain: tf.oneHot(tf.tensor1d(tr.labels, 'int32'), 10).toFloat() as tf.Tensor2D,
    xVal: tf.tensor2d(va.images, [va.n, 784]),
    yVal: tf.oneHot(tf.tensor1d(va.labels, 'int32'), 10).toFloat() as tf.Tensor2D,
  }));
}

interface RunResult {
  history: History;
  curve: CurveData;
  final: { trainLoss: number; valLoss: number; valAcc: number; weightNorm: number };
}

/** Trains one configuration inside trainLoop (progress, per-epoch checkpoint, resume). */
async function runConfig(impl: Impl, name: string, config: LabConfig, data: Data, epochs: number, opts: TrainOptions): Promise<RunResult> {
  const net = new LabMlp(impl, config);
  // On tfjs-node each step runs as one TensorFlow graph (compileStep's shadow pass re-runs the
  // step's JavaScript, so every dropout mask and Adam's step counter are this step's own).
  if (tf.getBackend() === 'tensorflow') net.compile({ name: `06 ${name}` });
  const n = data.xTrain.shape[0];
  const stepsPerEpoch = Math.ceil(n / BATCH_SIZE);
  let batches: number[][] = [];
  const loop = await trainLoop({
    label: `06-regularisation-lab ${name}`,
    curve: name,
    epochs,
    stepsPerEpoch,
    step(epoch, step) {
      // The shuffle and the dropout masks derive from (seed, epoch, step): a resumed run sees the same ones.
      if (step === 0) batches = batchIndices(n, BATCH_SIZE, makeRng(opts.seed * 7919 + epoch));
      const [xb, yb] = tf.tidy(() => {
        const idx = tf.tensor1d(batches[step]!, 'int32');
        return [tf.gather(data.xTrain, idx) as tf.Tensor2D, tf.gather(data.yTrain, idx) as tf.Tensor2D];
      });
      const { loss, ratios } = net.step(xb!, yb!, opts.seed * 100_003 + epoch * 1000 + step);
      tf.dispose([xb!, yb!]);
      // every step's update/weight ratios too: trainLoop keeps them per step and their epoch means
      const logs: Record<string, number> = { batch_loss: loss };
      ratios.forEach((r, i) => (logs[`ratio_layer${i + 1}`] = r));
      return logs;
    },
    endEpoch() {
      const tr = net.evaluate(data.xTrain, data.yTrain);
      const va = net.evaluate(data.xVal, data.yVal);
      return { loss: tr.loss, acc: tr.acc, val_loss: va.loss, val_acc: va.acc };
    },
    checkpoint: {
      dir: path.join(opts.out, 'checkpoint', name),
      state: () => net.snapshot(),
      restore: (s) => net.restore(s as ReturnType<LabMlp['snapshot']>),
    },
    resume: opts.resume,
  });
  const tr = net.evaluate(data.xTrain, data.yTrain);
  const va = net.evaluate(data.xVal, data.yVal);
  const final = { trainLoss: tr.loss, valLoss: va.loss, valAcc: va.acc, weightNorm: net.weightNorm() };
  net.dispose();
  return { history: loop.history, curve: loop.curve, final };
}

/** Post-ReLU standard deviation after each of `depth` layers of width 256, for one initialiser. */
function activationStds(x: tf.Tensor2D, depth: number, init: (shape: [number, number], seed: number) => tf.Tensor2D): number[] {
  return tf.tidy(() => {
    let h: tf.Tensor = x;
    const stds: number[] = [];
    for (let layer = 0; layer < depth; layer++) {
      h = tf.relu(tf.matMul(h, init([h.shape[1]!, 256], 500 + layer)));
      stds.push(Math.sqrt(tf.moments(h).variance.dataSync()[0]!));
    }
    return stds;
  });
}

export async function train(impl: Impl, opts: TrainOptions): Promise<TrainResult> {
  const epochs = opts.quick ? Math.min(opts.epochs, 2) : opts.demo ? defaults.epochs : opts.epochs;
  const report = reportOf(opts);
  const data = opts.quick ? loadData(20, 20, opts.seed) : loadData(100, 100, opts.seed);
  const plots: string[] = [];
  const base: LabConfig = { sizes: SIZES, init: 'he', l2: 0, dropout: 0, optimizer: 'adam', learningRate: 1e-3, seed: opts.seed };

  // ── Regularisation: the same net and start, with nothing, with L2, with dropout ──
  const runs = {
    plain: await runConfig(impl, 'adam-plain', base, data, epochs, opts),
    l2: await runConfig(impl, 'adam-l2', { ...base, l2: L2_LAMBDA }, data, epochs, opts),
    dropout: await runConfig(impl, 'adam-dropout', { ...base, dropout: DROPOUT_RATE }, data, epochs, opts),
  };
  const regSeries = [
    { key: 'plain', label: 'no regularisation' },
    { key: 'l2', label: `L2 (λ = ${L2_LAMBDA})` },
    { key: 'dropout', label: `dropout (rate ${DROPOUT_RATE})` },
  ] as const;
  const regPng = stepCurveChart(path.join(opts.out, 'regularisation-curves.png'), {
    title: `Overfitting ${data.xTrain.shape[0]} Fashion-MNIST images with a ${SIZES.join('→')} MLP (Adam)`,
    yLabel: 'cross-entropy loss (whole split, end of each epoch)',
    series: regSeries.flatMap(({ key, label }) => [
      { label: `${label}: train`, curve: runs[key].curve, key: 'loss', per: 'epoch' as const },
      { label: `${label}: validation`, curve: runs[key].curve, key: 'val_loss', per: 'epoch' as const },
    ]),
  });
  plots.push(regPng);

  // ── Optimisers: SGD, SGD + momentum (β 0.9), Adam on the same net and start ──
  const optimisers = {
    sgd: await runConfig(impl, 'sgd', { ...base, optimizer: 'sgd', learningRate: 0.05 }, data, epochs, opts),
    momentum: await runConfig(impl, 'momentum', { ...base, optimizer: 'momentum', learningRate: 0.005 }, data, epochs, opts),
    adam: runs.plain,
  };
  const optPng = stepCurveChart(path.join(opts.out, 'optimisers.png'), {
    title: 'Optimisers on the same MLP and start: training loss',
    yLabel: 'mini-batch cross-entropy (log scale)',
    stepIs: `a batch of ${BATCH_SIZE}`,
    logY: true,
    series: [
      { label: 'SGD (lr 0.05)', curve: optimisers.sgd.curve, key: 'batch_loss' },
      { label: 'SGD + momentum 0.9 (lr 0.005)', curve: optimisers.momentum.curve, key: 'batch_loss' },
      { label: 'Adam (lr 0.001)', curve: optimisers.adam.curve, key: 'batch_loss' },
    ],
  });
  plots.push(optPng);

  // ── Initialisation: activation std through a 10-layer ReLU net ──
  const depth = 10;
  const probe = tf.tidy(() => data.xTrain.slice([0, 0], [Math.min(200, data.xTrain.shape[0]), 784]) as tf.Tensor2D);
  const normal = (std: number) => (shape: [number, number], seed: number) => tf.randomNormal(shape, 0, std, 'float32', seed) as tf.Tensor2D;
  const inits = {
    'He normal': activationStds(probe, depth, (s, seed) => impl.heNormal(s, seed)),
    'Xavier uniform': activationStds(probe, depth, (s, seed) => impl.xavierUniform(s, seed)),
    'N(0, 0.01²)': activationStds(probe, depth, normal(0.01)),
    'N(0, 1)': activationStds(probe, depth, normal(1)),
  };
  probe.dispose();
  const initPng = barChart(path.join(opts.out, 'init-activation-std.png'), {
      title: 'Post-ReLU activation std per layer (10 × 256 units, Fashion-MNIST input)',
      xLabel: 'layer',
      yLabel: 'std of activations (log scale)',
      logY: true,
      labels: Array.from({ length: depth }, (_, i) => `${i + 1}`),
      series: Object.entries(inits).map(([label, data]) => ({ label, data: data.map((v) => Math.max(v, 1e-30)) })),
    });
  plots.push(initPng);

  // ── Update/weight ratio per layer over the Adam run ──
  const layersN = SIZES.length - 1;
  const h = runs.plain.history;
  const ratioLabels = Array.from({ length: layersN }, (_, i) => `layer ${i + 1} (${SIZES[i]}→${SIZES[i + 1]})`);
  const ratioPng = stepCurveChart(path.join(opts.out, 'update-weight-ratio.png'), {
    title: 'Update/weight ratio ‖ΔW‖/‖W‖ per layer, every step, Adam lr 0.001',
    yLabel: 'update / weight ratio (log scale)',
    stepIs: `a batch of ${BATCH_SIZE}`,
    logY: true,
    series: ratioLabels.map((label, i) => ({ label, curve: runs.plain.curve, key: `ratio_layer${i + 1}` })),
    baselines: [{ label: 'rule of thumb 1e-3', value: 1e-3 }],
  });
  plots.push(ratioPng);
  const ratioSeries = ratioLabels.map((label, i) => ({ label, data: h[`ratio_layer${i + 1}`] ?? [] }));

  // ── the report ──
  const reg = { none: runs.plain.final, l2: runs.l2.final, dropout: runs.dropout.final };
  const gapOf = (f: RunResult['final']) => f.valLoss - f.trainLoss;
  report.section('1. Overfitting, and two ways to fight it');
  report.text(`A ${SIZES.join('→')} MLP trained with Adam (lr 0.001) on only ${data.xTrain.shape[0]} Fashion-MNIST images for ${epochs} epochs: far more weights than examples. The same net and start with no regularisation, with an L2 penalty (λ = ${L2_LAMBDA}) and with inverted dropout (rate ${DROPOUT_RATE}).`);
  report.figure(regPng, 'Loss on the whole training split (solid) and on the validation split (dashed) after each epoch. Look for: the unregularised net driving its training loss towards 0 while its validation loss turns up: that gap is overfitting; L2 and dropout keep the two closer.');
  report.table({
    caption: 'At the end of training.',
    columns: ['regularisation', 'train loss', 'validation loss', 'gap (val − train)', 'validation accuracy', '‖W‖'],
    rows: regSeries.map(({ key, label }) => [label, runs[key].final.trainLoss, runs[key].final.valLoss, gapOf(runs[key].final), pct(runs[key].final.valAcc), runs[key].final.weightNorm]),
  });
  report.section('2. Optimisers');
  report.figure(optPng, 'Mini-batch loss at every step (faint) and its moving average (log scale), same net, data and start. Look for: how quickly each reaches a low loss; plain SGD’s slow start; momentum and Adam taking bigger effective steps.');
  report.table({
    caption: 'Final losses of the three optimisers.',
    columns: ['optimiser', 'train loss', 'validation loss', 'validation accuracy'],
    rows: [['SGD (lr 0.05)', optimisers.sgd.final], ['SGD + momentum (lr 0.005)', optimisers.momentum.final], ['Adam (lr 0.001)', optimisers.adam.final]].map(([n, f]) => [n as string, (f as RunResult['final']).trainLoss, (f as RunResult['final']).valLoss, pct((f as RunResult['final']).valAcc)]),
  });
  report.section('3. Initialisation');
  report.figure(initPng, 'Standard deviation of the activations after each of 10 ReLU layers of 256 units (log scale), for four ways to draw the initial weights. Look for: He staying near constant through depth, N(0, 0.01²) shrinking towards 0 (vanishing signal) and N(0, 1) growing by orders of magnitude (exploding).');
  report.table({
    caption: 'Activation standard deviation after layer 1 and layer 10.',
    columns: ['initialisation', 'layer 1', 'layer 10', 'layer 10 / layer 1'],
    rows: Object.entries(inits).map(([k, v]) => [k, v[0]!, v[depth - 1]!, v[depth - 1]! / v[0]!]),
  });
  report.section('4. Diagnosing training: update/weight ratios');
  report.figure(ratioPng, 'How large each step’s update is relative to the weights, per layer, at every step of the Adam run (log scale). Look for: ratios near the 1e-3 rule of thumb; far above it training is unstable, far below it a layer learns slowly.');
  const bestReg = regSeries.map(({ key, label }) => ({ label, f: runs[key].final })).sort((a, b) => gapOf(a.f) - gapOf(b.f))[0]!;
  report.conclusion(
    `Without regularisation the validation loss ended ${gapOf(reg.none).toFixed(3)} above the training loss (${reg.none.trainLoss.toFixed(3)} vs ${reg.none.valLoss.toFixed(3)}); ` +
      `with L2 the gap was ${gapOf(reg.l2).toFixed(3)}, with dropout ${gapOf(reg.dropout).toFixed(3)}: ${bestReg.label} narrowed it most.`,
  );
  const bestAcc = regSeries.map(({ key, label }) => ({ label, acc: runs[key].final.valAcc })).sort((a, b) => b.acc - a.acc)[0]!;
  report.conclusion(`Best validation accuracy: ${bestAcc.label} with ${pct(bestAcc.acc)} (none ${pct(reg.none.valAcc)}, L2 ${pct(reg.l2.valAcc)}, dropout ${pct(reg.dropout.valAcc)}).`);
  const fastest = Object.entries({ SGD: optimisers.sgd, 'SGD + momentum': optimisers.momentum, Adam: optimisers.adam }).sort((a, b) => a[1].final.trainLoss - b[1].final.trainLoss);
  report.conclusion(`After ${epochs} epochs the lowest training loss was ${fastest[0]![0]}'s (${fastest[0]![1].final.trainLoss.toFixed(3)}), the highest ${fastest[2]![0]}'s (${fastest[2]![1].final.trainLoss.toFixed(3)}).`);
  const std10 = (k: keyof typeof inits) => inits[k][depth - 1]!;
  report.conclusion(
    `At layer 10 the activations' std was ${std10('He normal').toPrecision(2)} with He init, ${std10('Xavier uniform').toPrecision(2)} with Xavier, ` +
      `${std10('N(0, 0.01²)').toExponential(1)} with N(0, 0.01²) and ${std10('N(0, 1)').toExponential(1)} with N(0, 1): only He keeps the signal's scale through ReLU layers.`,
  );
  const lastRatios = ratioSeries.map((s) => s.data[s.data.length - 1]).filter((v): v is number => v !== undefined);
  if (lastRatios.length) {
    const lo = Math.min(...lastRatios);
    const hi = Math.max(...lastRatios);
    report.conclusion(`In the last epoch the layers' mean update/weight ratios were ${lo.toExponential(1)} to ${hi.toExponential(1)}, ${hi < 1e-2 && lo > 1e-4 ? 'within a factor of 10 of the 1e-3 rule of thumb' : 'outside a factor of 10 of the 1e-3 rule of thumb: look at the learning rate'}.`);
  }

  tf.dispose([data.xTrain, data.yTrain, data.xVal, data.yVal]);
  const finals = (r: { final: RunResult['final'] }) => ({ ...r.final, gap: r.final.valLoss - r.final.trainLoss });
  return {
    metrics: {
      trainImages: runs.plain.history.loss ? data.xTrain.shape[0] : 0,
      epochs,
      regularisation: { none: finals(runs.plain), l2: finals(runs.l2), dropout: finals(runs.dropout) },
      optimisers: { sgd: finals(optimisers.sgd), momentum: finals(optimisers.momentum), adam: finals(optimisers.adam) },
      activationStdLayer10: Object.fromEntries(Object.entries(inits).map(([k, v]) => [k, v[depth - 1]])),
      updateWeightRatioLastEpoch: ratioSeries.map((s) => s.data[s.data.length - 1]),
    },
    plots,
  };
}
