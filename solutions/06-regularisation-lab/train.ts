/**
 * `course train 06-regularisation-lab`: the full run, using ONLY the target's functions for the
 * lesson's parts (via LabMlp). A deliberately small training set (Fashion-MNIST, 100 images per
 * class) and a wide 784→256→256→10 MLP make overfitting visible. Writes to opts.out:
 *   regularisation-curves.png   train/validation loss: no regularisation, L2, dropout (Adam)
 *   optimisers.png              training loss of SGD, SGD + momentum, Adam on the same net
 *   init-activation-std.png     post-ReLU std per layer of a 10-layer net for four initialisations
 *   update-weight-ratio.png     ‖ΔW‖/‖W‖ per layer over training (the 1e-3 rule of thumb)
 * Each training run checkpoints every epoch under opts.out/checkpoint/<run> (`--resume`).
 * On tfjs-node the training steps run as compiled TensorFlow graphs (LabMlp.compile).
 */
import * as tf from '@tensorflow/tfjs';
import path from 'node:path';
import type { TrainOptions, TrainResult } from '../../lib/exercises.js';
import { loadFashionMnist } from '../../lib/data/fashion-mnist.js';
import { batchIndices } from '../../lib/data/split.js';
import { barChart, lineChart } from '../../lib/plot/index.js';
import { makeRng } from '../../lib/random.js';
import { trainLoop, type History } from '../../lib/train/index.js';
import { LabMlp, type LabConfig } from './lab-mlp.js';

type Impl = typeof import('./index.js');

export const defaults = { epochs: 30 };

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
  let ratioSums: number[] = [];
  const loop = await trainLoop({
    label: `06-regularisation-lab ${name}`,
    epochs,
    stepsPerEpoch,
    step(epoch, step) {
      // The shuffle and the dropout masks derive from (seed, epoch, step): a resumed run sees the same ones.
      if (step === 0) {
        batches = batchIndices(n, BATCH_SIZE, makeRng(opts.seed * 7919 + epoch));
        ratioSums = [];
      }
      const [xb, yb] = tf.tidy(() => {
        const idx = tf.tensor1d(batches[step]!, 'int32');
        return [tf.gather(data.xTrain, idx) as tf.Tensor2D, tf.gather(data.yTrain, idx) as tf.Tensor2D];
      });
      const { loss, ratios } = net.step(xb!, yb!, opts.seed * 100_003 + epoch * 1000 + step);
      tf.dispose([xb!, yb!]);
      ratios.forEach((r, i) => (ratioSums[i] = (ratioSums[i] ?? 0) + r));
      return { batch_loss: loss };
    },
    endEpoch() {
      const tr = net.evaluate(data.xTrain, data.yTrain);
      const va = net.evaluate(data.xVal, data.yVal);
      const logs: Record<string, number> = { loss: tr.loss, acc: tr.acc, val_loss: va.loss, val_acc: va.acc };
      ratioSums.forEach((s, i) => (logs[`ratio_layer${i + 1}`] = s / stepsPerEpoch));
      return logs;
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
  return { history: loop.history, final };
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
  const epochs = opts.quick ? Math.min(opts.epochs, 2) : opts.epochs;
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
  plots.push(
    lineChart(path.join(opts.out, 'regularisation-curves.png'), {
      title: `Overfitting ${data.xTrain.shape[0]} Fashion-MNIST images with a ${SIZES.join('→')} MLP (Adam)`,
      xLabel: 'epoch',
      yLabel: 'cross-entropy loss',
      series: regSeries.flatMap(({ key, label }) => [
        { label: `${label}: train`, data: runs[key].history.loss ?? [] },
        { label: `${label}: validation`, data: runs[key].history.val_loss ?? [] },
      ]),
    }),
  );

  // ── Optimisers: SGD, SGD + momentum (β 0.9), Adam on the same net and start ──
  const optimisers = {
    sgd: await runConfig(impl, 'sgd', { ...base, optimizer: 'sgd', learningRate: 0.05 }, data, epochs, opts),
    momentum: await runConfig(impl, 'momentum', { ...base, optimizer: 'momentum', learningRate: 0.005 }, data, epochs, opts),
    adam: runs.plain,
  };
  plots.push(
    lineChart(path.join(opts.out, 'optimisers.png'), {
      title: 'Optimisers on the same MLP and start: training loss',
      xLabel: 'epoch',
      yLabel: 'training cross-entropy (log scale)',
      logY: true,
      series: [
        { label: 'SGD (lr 0.05)', data: optimisers.sgd.history.loss ?? [] },
        { label: 'SGD + momentum 0.9 (lr 0.005)', data: optimisers.momentum.history.loss ?? [] },
        { label: 'Adam (lr 0.001)', data: optimisers.adam.history.loss ?? [] },
      ],
    }),
  );

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
  plots.push(
    barChart(path.join(opts.out, 'init-activation-std.png'), {
      title: 'Post-ReLU activation std per layer (10 × 256 units, Fashion-MNIST input)',
      xLabel: 'layer',
      yLabel: 'std of activations (log scale)',
      logY: true,
      labels: Array.from({ length: depth }, (_, i) => `${i + 1}`),
      series: Object.entries(inits).map(([label, data]) => ({ label, data: data.map((v) => Math.max(v, 1e-30)) })),
    }),
  );

  // ── Update/weight ratio per layer over the Adam run ──
  const layersN = SIZES.length - 1;
  const h = runs.plain.history;
  const ratioSeries = Array.from({ length: layersN }, (_, i) => ({ label: `layer ${i + 1} (${SIZES[i]}→${SIZES[i + 1]})`, data: h[`ratio_layer${i + 1}`] ?? [] }));
  plots.push(
    lineChart(path.join(opts.out, 'update-weight-ratio.png'), {
      title: 'Update/weight ratio ‖ΔW‖/‖W‖ per step (epoch mean), Adam lr 0.001',
      xLabel: 'epoch',
      yLabel: 'update / weight ratio (log scale)',
      logY: true,
      series: [...ratioSeries, { label: 'rule of thumb 1e-3', data: (h.loss ?? []).map(() => 1e-3) }],
    }),
  );

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
