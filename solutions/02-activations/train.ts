/**
 * `course train 02-activations`: the full comparison with the target's own functions. Writes to
 * opts.out:
 *   activations-*.png     each activation and its derivative over [−5, 5] (three grouped charts)
 *   loss-curves.png       training loss per epoch, one line per activation
 *   val-accuracy.png      validation accuracy per epoch, one line per activation
 *   seconds-per-epoch.png / final-accuracy.png   bar charts
 *   gradient-norms.png    per-layer gradient norms (log scale) of a 10-layer net: sigmoid, tanh, ReLU + He
 *   report.md             which activation won and why, built from the measured numbers
 * Each activation's result is saved to opts.out/runs/<name>.json as soon as it finishes;
 * `--resume` skips those (runs are independent: same seed, same data, whatever the order).
 * `--seeds N` repeats the comparison with seeds seed … seed+N−1 (runs/<name>.seed<S>.json) and
 * the report ranks by mean ± std: a single seed cannot settle a ranking within its noise.
 * On tfjs-node each training batch runs as one TensorFlow graph (the given trainEpoch inside
 * lib/train/graph-scope's withGraphSteps; a last, smaller batch and other backends run eagerly).
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TrainOptions, TrainResult } from '../../lib/exercises.js';
import { barChart, lineChart } from '../../lib/plot/index.js';
import { withGraphSteps } from '../../lib/train/graph-scope.js';
import { Progress } from '../../lib/train/progress.js';
import { meanStd } from '../../lib/cli/run-report.js';
import { writeReport, pickWinner, type GradientSummary, type SeedStats } from './report.js';
import type { ActivationName, ActivationRun, CompareConfig } from './index.js';

export const defaults = { epochs: 8, seeds: true };

const SIZES = {
  full: { hidden: [64, 64, 64, 64, 64], trainPerClass: 200, valPerClass: 100, gradPerClass: 25 },
  quick: { hidden: [32, 32, 32, 32, 32], trainPerClass: 20, valPerClass: 10, gradPerClass: 8 },
};
const TARGET = 0.75;

type Impl = typeof import('./index.js');
type Fn = (x: tf.Tensor) => tf.Tensor;

function curve(fn: Fn, xs: number[]): number[] {
  return tf.tidy(() => Array.from(fn(tf.tensor1d(xs)).dataSync()));
}

function plotActivations(impl: Impl, out: string): string[] {
  const xs = Array.from({ length: 201 }, (_, i) => -5 + 0.05 * i);
  const groups: { file: string; title: string; fns: [string, Fn, Fn][] }[] = [
    { file: 'activations-saturating.png', title: 'Saturating activations and their derivatives', fns: [
      ['sigmoid', impl.sigmoid, impl.sigmoidDerivative], ['tanh', impl.tanh, impl.tanhDerivative]] },
    { file: 'activations-relu-family.png', title: 'ReLU family and derivatives (leaky α = 0.01, ELU α = 1)', fns: [
      ['ReLU', impl.relu, impl.reluDerivative], ['leaky ReLU', (x) => impl.leakyRelu(x), (x) => impl.leakyReluDerivative(x)],
      ['ELU', (x) => impl.elu(x), (x) => impl.eluDerivative(x)]] },
    { file: 'activations-smooth.png', title: 'Swish and GELU and their derivatives', fns: [
      ['swish', impl.swish, impl.swishDerivative], ['GELU (tanh approx.)', impl.gelu, impl.geluDerivative],
      ['GELU (exact, erf)', impl.geluExact, impl.geluExactDerivative]] },
  ];
  return groups.map((g) =>
    lineChart(path.join(out, g.file), {
      title: g.title,
      xLabel: 'x',
      yLabel: "f(x) and f'(x)",
      series: g.fns.flatMap(([name, f, d]) => [
        { label: name, data: curve(f, xs), x: xs },
        { label: `${name}' (derivative)`, data: curve(d, xs), x: xs },
      ]),
    }),
  );
}

interface SavedRun extends Omit<ActivationRun, 'model'> {
  deadFraction: number | null;
}

export async function train(impl: Impl, opts: TrainOptions): Promise<TrainResult> {
  const size = opts.quick ? SIZES.quick : SIZES.full;
  const epochs = opts.quick ? Math.min(opts.epochs, 2) : opts.epochs;
  mkdirSync(path.join(opts.out, 'runs'), { recursive: true });
  const plots = plotActivations(impl, opts.out);

  const activations: ActivationName[] = ['sigmoid', 'tanh', 'relu', 'leakyRelu', 'elu', 'swish', 'gelu'];
  const config: Omit<CompareConfig, 'activations'> = {
    hidden: size.hidden,
    epochs,
    batchSize: 32,
    optimizer: { name: 'adam', learningRate: 0.001 },
    seed: opts.seed,
    targetAccuracy: TARGET,
    data: { trainPerClass: size.trainPerClass, valPerClass: size.valPerClass },
  };
  const seeds = Array.from({ length: Math.max(1, opts.seeds ?? 1) }, (_, i) => opts.seed + i);
  const bySeed: SavedRun[][] = [];
  for (const seed of seeds) {
  const saved: SavedRun[] = [];
  bySeed.push(saved);
  for (const activation of activations) {
    const file = path.join(opts.out, 'runs', seed === opts.seed ? `${activation}.json` : `${activation}.seed${seed}.json`);
    const progress = new Progress(`02-activations ${activation}${seeds.length > 1 ? ` (seed ${seed})` : ''}`, epochs, 1);
    if (opts.resume && existsSync(file)) {
      saved.push(JSON.parse(readFileSync(file, 'utf8')) as SavedRun);
      progress.note(`${activation}: resumed from ${file}`);
      continue;
    }
    // withGraphSteps: the given trainEpoch runs each batch as one TensorFlow graph on tfjs-node
    const [run] = withGraphSteps(() => impl.compareActivations({
      ...config,
      seed,
      activations: [activation],
      returnModels: activation === 'relu', // to count dead units after training
      onEpoch: (_a, epoch, logs) => {
        progress.step(epoch - 1, 0, logs); // one "step" per epoch keeps the ETA right
        progress.epoch(epoch - 1, logs);
      },
    }));
    let deadFraction: number | null = null;
    if (run!.model) {
      const val = impl.loadFlatFashion('test', size.valPerClass, seed);
      deadFraction = impl.deadUnitFraction(run!.model, val.x).overall;
      impl.disposeDataset(val);
      run!.model.dispose();
    }
    const { model: _model, ...rest } = run!;
    const record: SavedRun = { ...rest, deadFraction };
    writeFileSync(file, JSON.stringify(record, null, 2));
    saved.push(record);
  }
  }
  // curves: the first seed's runs; the comparison's numbers: every seed
  const saved = bySeed[0]!;
  const seedStats: SeedStats | undefined =
    seeds.length > 1
      ? Object.fromEntries(
          activations.map((a) => {
            const runsOf = bySeed.map((runs) => runs.find((r) => r.activation === a)!);
            return [a, { accuracy: meanStd(runsOf.map((r) => r.finalValAccuracy)), secondsPerEpoch: meanStd(runsOf.map((r) => r.secondsPerEpoch)), reached: runsOf.filter((r) => r.epochsToTarget !== null).length }];
          }),
        )
      : undefined;

  const x = Array.from({ length: epochs }, (_, i) => i + 1);
  plots.push(
    lineChart(path.join(opts.out, 'loss-curves.png'), {
      title: `Training loss per activation (${size.hidden.length + 1}-layer MLP, same init and data)`,
      xLabel: 'epoch',
      yLabel: 'cross-entropy',
      series: saved.map((r) => ({ label: r.activation, data: r.history.loss, x })),
    }),
    lineChart(path.join(opts.out, 'val-accuracy.png'), {
      title: 'Validation accuracy per activation',
      xLabel: 'epoch',
      yLabel: 'accuracy',
      series: saved.map((r) => ({ label: r.activation, data: r.history.valAccuracy, x })),
    }),
    barChart(path.join(opts.out, 'seconds-per-epoch.png'), {
      title: 'Training time per epoch',
      xLabel: 'activation',
      yLabel: 'seconds',
      labels: saved.map((r) => r.activation),
      series: [{ label: 'seconds per epoch', data: saved.map((r) => r.secondsPerEpoch) }],
    }),
    barChart(path.join(opts.out, 'final-accuracy.png'), {
      title: `Final validation accuracy after ${epochs} epochs${seedStats ? ` (mean ± std, ${seeds.length} seeds)` : ''}`,
      xLabel: 'activation',
      yLabel: 'accuracy',
      labels: saved.map((r) => r.activation),
      series: [
        seedStats
          ? { label: 'validation accuracy', data: saved.map((r) => seedStats[r.activation]!.accuracy.mean), errors: saved.map((r) => seedStats[r.activation]!.accuracy.std) }
          : { label: 'validation accuracy', data: saved.map((r) => r.finalValAccuracy) },
      ],
      format: (v) => v.toFixed(3),
    }),
  );

  // Vanishing gradients at initialisation: 10 Dense layers, one batch.
  const batch = impl.loadFlatFashion('train', size.gradPerClass, opts.seed + 1);
  const deep: [ActivationName, 'glorotUniform' | 'heNormal'][] = [['sigmoid', 'glorotUniform'], ['tanh', 'glorotUniform'], ['relu', 'heNormal']];
  const gradients: GradientSummary[] = deep.map(([activation, init]) => {
    const model = impl.buildMlp({ activation, hidden: Array<number>(9).fill(64), seed: opts.seed, init });
    const norms = impl.gradientNormsByLayer(model, { x: batch.x, y: batch.y }).map((g) => g.norm);
    model.dispose();
    return { activation, init, norms };
  });
  impl.disposeDataset(batch);
  plots.push(
    lineChart(path.join(opts.out, 'gradient-norms.png'), {
      title: 'Kernel-gradient norm per layer at initialisation (10-layer MLP)',
      xLabel: 'layer (1 = input side)',
      yLabel: '‖dL/dW‖ (log scale)',
      logY: true,
      series: gradients.map((g) => ({ label: `${g.activation} (${g.init})`, data: g.norms })),
    }),
  );

  // with several seeds the ranking is by the mean over seeds
  const runs = saved.map((r) => ({ ...r, ...(seedStats ? { finalValAccuracy: seedStats[r.activation]!.accuracy.mean, secondsPerEpoch: seedStats[r.activation]!.secondsPerEpoch.mean } : {}) }) as ActivationRun);
  const deadReluFraction = saved.find((r) => r.activation === 'relu')?.deadFraction ?? null;
  const report = writeReport({
    runs,
    targetAccuracy: TARGET,
    epochs,
    trainImages: size.trainPerClass * 10,
    valImages: size.valPerClass * 10,
    depth: size.hidden.length + 1,
    gradients,
    deadReluFraction,
    backend: tf.getBackend(),
    seedStats,
  });
  writeFileSync(path.join(opts.out, 'report.md'), report);

  const winner = pickWinner(runs);
  return {
    metrics: {
      winner: winner.activation,
      seeds,
      ...(seedStats ? { finalValAccuracyOverSeeds: Object.fromEntries(Object.entries(seedStats).map(([a, s]) => [a, s.accuracy])) } : {}),
      targetAccuracy: TARGET,
      runs: Object.fromEntries(saved.map((r) => [r.activation, {
        finalValAccuracy: r.finalValAccuracy, epochsToTarget: r.epochsToTarget, secondsPerEpoch: r.secondsPerEpoch }])),
      gradientRatioFirstOverLast: Object.fromEntries(gradients.map((g) => [`${g.activation}/${g.init}`, g.norms[0]! / g.norms[g.norms.length - 1]!])),
      deadReluFraction,
    },
    plots,
    samples: [path.join(opts.out, 'report.md')],
  };
}
