/**
 * `course train 02-activations`: the full comparison with the target's own functions. Writes to
 * opts.out:
 *   activations-*.png     each activation and its derivative over [−5, 5] (three grouped charts)
 *   loss-curves.png       training loss per epoch, one line per activation
 *   val-accuracy.png      validation accuracy per epoch, one line per activation
 *   seconds-per-epoch.png / final-accuracy.png   bar charts
 *   gradient-norms.png    per-layer gradient norms (log scale) of a 10-layer net: sigmoid, tanh, ReLU + He
 *   report.md/.html       (lib/report, via opts.report) which activation won and why, from the measured numbers
 * Each activation's result is saved to opts.out/runs/<name>.json as soon as it finishes;
 * `--resume` skips those (runs are independent: same seed, same data, whatever the order).
 * `--seeds N` repeats the comparison with seeds seed … seed+N−1 (runs/<name>.seed<S>.json) and
 * the report ranks by mean ± std: a single seed cannot settle a ranking within its noise.
 * On tfjs-node each training batch runs as one TensorFlow graph (the given trainEpoch inside
 * lib/train/graph-scope's withGraphSteps; a last, smaller batch and other backends run eagerly).
 * Every batch's loss goes to the run's step log (lib/report withCurve: trainEpoch logs there).
 * `--demo` (npm start): the full size, 6 epochs, 3 seeds, so the ranking has error bars.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TrainOptions, TrainResult } from '../../lib/exercises.js';
import { barChart, lineChart, stepCurveChart } from '../../lib/plot/index.js';
import { omitCurvesFromReport, reportOf, withCurve, withCurvePrefix, type CurveData } from '../../lib/report/index.js';
import { openCurve } from '../../lib/report/context.js';
import { withGraphSteps } from '../../lib/train/graph-scope.js';
import { Progress } from '../../lib/train/progress.js';
import { meanStd } from '../../lib/cli/run-report.js';
import { addVerdict, pickWinner, type GradientSummary, type SeedStats } from './report.js';
import type { ActivationName, ActivationRun, CompareConfig } from './index.js';

export const defaults = { epochs: 8, seeds: true, demo: true };
/** npm start's run: the full size, fewer epochs, and seeds enough for error bars */
const DEMO = { epochs: 6, seeds: 3 };

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
  /** every batch's loss and accuracy (absent in runs saved before per-step logging) */
  curve?: CurveData;
}

export async function train(impl: Impl, opts: TrainOptions): Promise<TrainResult> {
  const size = opts.quick ? SIZES.quick : SIZES.full;
  const epochs = opts.quick ? Math.min(opts.epochs, 2) : opts.demo ? DEMO.epochs : opts.epochs;
  const nSeeds = opts.seeds ?? (opts.demo ? DEMO.seeds : 1);
  const report = reportOf(opts);
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
  const seeds = Array.from({ length: Math.max(1, nSeeds) }, (_, i) => opts.seed + i);
  // the figures show the first seed's curves; the others' are in metrics.json (course compare draws them)
  omitCurvesFromReport((name) => name.startsWith('seed '));
  const bySeed: SavedRun[][] = [];
  for (const seed of seeds) {
  const saved: SavedRun[] = [];
  bySeed.push(saved);
  for (const activation of activations) {
    const file = path.join(opts.out, 'runs', seed === opts.seed ? `${activation}.json` : `${activation}.seed${seed}.json`);
    const progress = new Progress(`02-activations ${activation}${seeds.length > 1 ? ` (seed ${seed})` : ''}`, epochs, 1);
    // curves: the activation's name for the first seed, "seed 43 · relu" for the others
    const prefix = seed === opts.seed ? '' : `seed ${seed} · `;
    if (opts.resume && existsSync(file)) {
      const restored = JSON.parse(readFileSync(file, 'utf8')) as SavedRun;
      if (restored.curve) withCurvePrefix(prefix, () => openCurve(activation)?.restore(restored.curve!));
      saved.push(restored);
      progress.note(`${activation}: resumed from ${file}`);
      continue;
    }
    // withGraphSteps: the given trainEpoch runs each batch as one TensorFlow graph on tfjs-node;
    // withCurve: and logs every batch to the curve named after the activation
    let curve: CurveData | undefined;
    const [run] = withCurvePrefix(prefix, () => withCurve(activation, (c) => {
      const runs = withGraphSteps(() => impl.compareActivations({
        ...config,
        seed,
        activations: [activation],
        returnModels: activation === 'relu', // to count dead units after training
        onEpoch: (_a, epoch, logs) => {
          progress.step(epoch - 1, 0, logs); // one "step" per epoch keeps the ETA right
          progress.epoch(epoch - 1, logs);
        },
      }));
      // the validation numbers the comparison measured, beside the per-batch ones
      c?.setEpochValues('val_loss', runs[0]!.history.valLoss);
      c?.setEpochValues('val_accuracy', runs[0]!.history.valAccuracy);
      curve = c?.data;
      return runs;
    }));
    let deadFraction: number | null = null;
    if (run!.model) {
      const val = impl.loadFlatFashion('test', size.valPerClass, seed);
      deadFraction = impl.deadUnitFraction(run!.model, val.x).overall;
      impl.disposeDataset(val);
      run!.model.dispose();
    }
    const { model: _model, ...rest } = run!;
    const record: SavedRun = { ...rest, deadFraction, ...(curve ? { curve } : {}) };
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
  // per-step curves where the runs have them (a run resumed from before per-step logging has not)
  const withCurves = saved.every((r) => r.curve);
  const trainsPerClass = size.trainPerClass * 10;
  const lossPng = withCurves
    ? stepCurveChart(path.join(opts.out, 'loss-curves.png'), {
        title: `Training loss per activation (${size.hidden.length + 1}-layer MLP, same init and data)`,
        yLabel: 'cross-entropy',
        stepIs: `a batch of ${config.batchSize}`,
        series: saved.map((r) => ({ label: r.activation, curve: r.curve!, key: 'loss' })),
      })
    : lineChart(path.join(opts.out, 'loss-curves.png'), {
        title: `Training loss per activation (${size.hidden.length + 1}-layer MLP, same init and data)`,
        xLabel: 'epoch',
        yLabel: 'cross-entropy',
        series: saved.map((r) => ({ label: r.activation, data: r.history.loss, x })),
      });
  const accPng = lineChart(path.join(opts.out, 'val-accuracy.png'), {
    title: 'Validation accuracy per activation',
    xLabel: 'epoch',
    yLabel: 'accuracy',
    series: saved.map((r) => ({ label: r.activation, data: r.history.valAccuracy, x })),
  });
  const timePng = barChart(path.join(opts.out, 'seconds-per-epoch.png'), {
    title: 'Training time per epoch',
    xLabel: 'activation',
    yLabel: 'seconds',
    labels: saved.map((r) => r.activation),
    series: [{ label: 'seconds per epoch', data: saved.map((r) => r.secondsPerEpoch) }],
  });
  const finalPng = barChart(path.join(opts.out, 'final-accuracy.png'), {
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
  });
  plots.push(lossPng, accPng, timePng, finalPng);

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
  const gradPng = lineChart(path.join(opts.out, 'gradient-norms.png'), {
      title: 'Kernel-gradient norm per layer at initialisation (10-layer MLP)',
      xLabel: 'layer (1 = input side)',
      yLabel: '‖dL/dW‖ (log scale)',
      logY: true,
      series: gradients.map((g) => ({ label: `${g.activation} (${g.init})`, data: g.norms })),
    });
  plots.push(gradPng);

  // with several seeds the ranking is by the mean over seeds
  const runs = saved.map((r) => ({ ...r, ...(seedStats ? { finalValAccuracy: seedStats[r.activation]!.accuracy.mean, secondsPerEpoch: seedStats[r.activation]!.secondsPerEpoch.mean } : {}) }) as ActivationRun);
  const deadReluFraction = saved.find((r) => r.activation === 'relu')?.deadFraction ?? null;
  // ── the report: the functions, the comparison, the verdict, the why ──
  report.section('1. The activation functions and their derivatives');
  report.figure(plots[0]!, "Sigmoid and tanh with their derivatives. Look for: the derivative's peak (0.25 for sigmoid, 1 for tanh) and how fast it falls to 0 away from 0 (saturation).");
  report.figure(plots[1]!, 'ReLU, leaky ReLU and ELU. Look for: a derivative of exactly 0 for negative inputs (ReLU), which leaky ReLU and ELU avoid.');
  report.figure(plots[2]!, 'Swish and GELU (both formulas). Look for: smooth curves that dip slightly below 0, and GELU’s tanh approximation lying on the exact curve.');
  report.section(`2. The comparison: the same ${size.hidden.length + 1}-layer MLP with each activation`);
  report.text(
    `Each activation trained the same network (same initial-weight seed, same ${trainsPerClass} Fashion-MNIST images and batches, Adam 0.001) for ${epochs} epochs` +
      (seeds.length > 1 ? `, repeated with ${seeds.length} seeds (initial weights and data draw).` : '.'),
  );
  report.figure(lossPng, withCurves
    ? `Training cross-entropy of every batch of ${config.batchSize} (faint) and its moving average, one colour per activation${seeds.length > 1 ? ` (seed ${opts.seed})` : ''}. Look for: which curves fall fastest at the start, and which stay flat (a net that does not learn).`
    : 'Training cross-entropy per epoch, one line per activation. Look for: which curves fall fastest, and which stay flat.');
  report.figure(accPng, `Validation accuracy after each epoch${seeds.length > 1 ? ` (seed ${opts.seed})` : ''}. Look for: the order at the last epoch, and whether the curves are still rising (more epochs would change the ranking).`);
  report.figure(finalPng, seedStats
    ? `Final validation accuracy, mean ± standard deviation over ${seeds.length} seeds (error bars). Look for: gaps larger than the error bars; overlapping bars do not settle a ranking.`
    : 'Final validation accuracy of this one seed. One seed cannot tell a real gap from noise: `--seeds 3` adds error bars.');
  report.figure(timePng, 'Wall-clock seconds per training epoch. Look for: differences under ~25 %, which are noise on a shared machine next to the matrix products.');
  addVerdict(report, {
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
  }, gradPng);

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
  };
}
