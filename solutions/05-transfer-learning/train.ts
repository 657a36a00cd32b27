/**
 * Full run of 05-transfer-learning: scratch vs feature extraction vs fine-tuning for several
 * labelled-set sizes, on the target classes 5–9, using only `impl`'s functions for the lesson.
 *
 * Plots: validation accuracy per epoch (one chart per size), accuracy vs labelled-set size (one
 * line per strategy) and the confusion matrix of the best run. Each finished size is saved to
 * <out>/progress.json, so --resume skips it. `--seeds N` repeats every comparison with seeds
 * seed … seed+N−1 (data draw and initialisation) and reports mean ± std: one seed cannot settle
 * which strategy wins by a few points (strategies-by-size.png, report.md).
 *
 * Another base: COURSE_TRANSFER_BASE=path/model.json (or `base` in the options) loads any tfjs
 * layers model with an input adapter; the scratch model is then the same architecture, re-initialised.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TrainOptions, TrainResult } from '../../lib/exercises.js';
import { FASHION_CLASSES } from '../../lib/data/fashion-mnist.js';
import { confusionMatrix } from '../../lib/metrics/index.js';
import { loadBase, type LoadedBase } from '../../lib/models/load-base.js';
import { loadTargetData, predictClasses } from '../../lib/models/transfer-data.js';
import { meanStd, type Stat } from '../../lib/cli/run-report.js';
import { barChart, heatmap, lineChart } from '../../lib/plot/index.js';
import { buildBaseCnn, TARGET_CLASSES } from '../../lib/pretrain/transfer-base.js';
import { withGraphSteps } from '../../lib/train/graph-scope.js';
import type { History } from '../../lib/train/index.js';

export const defaults = { epochs: 12, seeds: true };

interface SizeResult {
  perClass: number;
  /** absent in progress files from before --seeds: the run's own seed */
  seed?: number;
  runs: { strategy: string; history: History; valAccuracy: number }[];
  best: { strategy: string; valAccuracy: number; confusion: number[][] };
}

/** The architecture of the model at `file`, re-built with its initialisers (random weights). */
async function freshCopy(file: string): Promise<tf.LayersModel> {
  const loaded = (await loadBase(file)).model;
  const topology = loaded.toJSON(null, false) as Parameters<typeof tf.models.modelFromJSON>[0]['modelTopology'];
  loaded.dispose();
  return tf.models.modelFromJSON({ modelTopology: topology });
}

export async function train(impl: typeof import('./index.js'), opts: TrainOptions & { base?: string }): Promise<TrainResult> {
  const basePath = opts.base ?? process.env.COURSE_TRANSFER_BASE;
  const probe: LoadedBase = await loadBase(basePath);
  probe.model.dispose();
  const custom = basePath !== undefined;
  const sizes = opts.quick ? [25] : [25, 100, 500];
  const epochs = opts.quick ? Math.min(opts.epochs, 3) : opts.epochs;
  const valPerClass = opts.quick ? 40 : 200;
  const config = {
    epochs,
    batchSize: 25,
    seed: opts.seed,
    valPerClass,
    // the course base: cut below fc1 (fc1 is specialised to the source classes), fine-tune conv3 up
    cutAt: custom ? (process.env.COURSE_TRANSFER_CUT ?? probe.model.layers.at(-2)!.name) : 'flatten',
    unfreezeFrom: custom ? (process.env.COURSE_TRANSFER_UNFREEZE ?? probe.model.layers.at(-2)!.name) : 'conv3',
    headLearningRate: 1e-2,
    fineTuneLearningRate: 1e-3,
    adapt: probe.identity ? undefined : probe.adapt,
    quiet: false,
    loadBase: async () => (await loadBase(basePath)).model,
    // same architecture, fresh random weights
    buildScratchBase: async () =>
      custom ? freshCopy(basePath!) : buildBaseCnn(opts.seed + 1),
  };

  const seeds = Array.from({ length: Math.max(1, opts.seeds ?? 1) }, (_, i) => opts.seed + i);
  const configFor = (seed: number) => ({
    ...config,
    seed,
    buildScratchBase: async () => (custom ? freshCopy(basePath!) : buildBaseCnn(seed + 1)),
  });
  const progressFile = path.join(opts.out, 'progress.json');
  const done: SizeResult[] = opts.resume && existsSync(progressFile) ? (JSON.parse(readFileSync(progressFile, 'utf8')) as SizeResult[]) : [];
  const classNames = TARGET_CLASSES.map((c) => FASHION_CLASSES[c]!);
  const seedOf = (d: SizeResult) => d.seed ?? opts.seed;
  for (const seed of seeds) for (const size of sizes) {
    if (done.some((d) => d.perClass === size && seedOf(d) === seed)) {
      console.error(`[05-transfer-learning] ${size}/class, seed ${seed}: done in an earlier run (resume)`);
      continue;
    }
    if (seeds.length > 1) console.error(`[05-transfer-learning] seed ${seed} (${seeds.indexOf(seed) + 1}/${seeds.length}), ${size}/class`);
    // withGraphSteps: trainWithAdam's fitModel (scratch, feature extraction) runs each batch as one
    // TensorFlow graph on tfjs-node; the target's fineTune runs its own loop, eagerly
    const runs = await withGraphSteps(() => impl.compareStrategies({ ...configFor(seed), perClass: [size] }));
    const best = runs.reduce((a, b) => (b.valAccuracy > a.valAccuracy ? b : a));
    const val = loadTargetData('test', valPerClass, seed, config.adapt);
    const confusion = confusionMatrix(predictClasses(best.model, val.x), val.labels, classNames.length);
    tf.dispose([val.x, val.y]);
    done.push({
      perClass: size,
      seed,
      runs: runs.map((r) => ({ strategy: r.strategy, history: r.history, valAccuracy: r.valAccuracy })),
      best: { strategy: best.strategy, valAccuracy: best.valAccuracy, confusion },
    });
    runs.forEach((r) => r.model.dispose());
    writeFileSync(progressFile, JSON.stringify(done));
  }

  const plots: string[] = [];
  const all = done.filter((d) => sizes.includes(d.perClass) && seeds.includes(seedOf(d)));
  // curves and the confusion matrix: the first seed's runs; numbers: every seed
  const results = all.filter((d) => seedOf(d) === seeds[0]).sort((a, b) => a.perClass - b.perClass);
  for (const d of results) {
    plots.push(
      lineChart(path.join(opts.out, `val-accuracy-${d.perClass}-per-class.png`), {
        title: `Validation accuracy, ${d.perClass} labels per class`,
        xLabel: 'epoch',
        yLabel: 'validation accuracy',
        series: d.runs.map((r) => ({ label: r.strategy, data: r.history.val_acc ?? [] })),
      }),
    );
  }
  const strategies = results[0]?.runs.map((r) => r.strategy) ?? [];
  const stat = (size: number, s: string): Stat =>
    meanStd(all.filter((d) => d.perClass === size).map((d) => d.runs.find((r) => r.strategy === s)?.valAccuracy ?? NaN).filter(Number.isFinite));
  const seedNote = seeds.length > 1 ? `mean ± std over ${seeds.length} seeds` : `one seed (${opts.seed}): use --seeds N for mean ± std`;
  plots.push(
    barChart(path.join(opts.out, 'strategies-by-size.png'), {
      title: `Final validation accuracy per strategy (${seedNote})`,
      xLabel: 'labelled examples per class',
      yLabel: 'validation accuracy',
      labels: results.map((d) => String(d.perClass)),
      series: strategies.map((s) => ({
        label: s,
        data: results.map((d) => stat(d.perClass, s).mean),
        ...(seeds.length > 1 ? { errors: results.map((d) => stat(d.perClass, s).std) } : {}),
      })),
      format: (v) => v.toFixed(3),
    }),
  );
  plots.push(
    lineChart(path.join(opts.out, 'accuracy-vs-labelled-size.png'), {
      title: `Final validation accuracy vs labelled examples (${epochs} epochs each)`,
      xLabel: 'labelled examples per class',
      yLabel: 'validation accuracy',
      series: strategies.map((s) => ({
        label: s,
        x: results.map((d) => d.perClass),
        data: results.map((d) => stat(d.perClass, s).mean),
      })),
    }),
  );
  const overall = results.flatMap((d) => d.runs.map((r) => ({ ...r, perClass: d.perClass, d })));
  const top = overall.reduce((a, b) => (b.valAccuracy > a.valAccuracy ? b : a));
  const topSize = results.find((d) => d.perClass === top.perClass)!;
  plots.push(
    heatmap(path.join(opts.out, 'confusion-best.png'), {
      title: `Best: ${topSize.best.strategy}, ${top.perClass}/class, ${(topSize.best.valAccuracy * 100).toFixed(1)} %`,
      matrix: topSize.best.confusion,
      rowLabels: classNames,
      colLabels: classNames,
      xLabel: 'predicted class',
      yLabel: 'true class',
    }),
  );
  // one seed: plain numbers; several: {mean, std, n} (report.md prints "mean ± std (n = N)")
  const accuracy: Record<string, Record<string, number | Stat>> = {};
  for (const d of results) {
    accuracy[`${d.perClass}_per_class`] = Object.fromEntries(strategies.map((s) => [s, seeds.length > 1 ? stat(d.perClass, s) : stat(d.perClass, s).mean]));
  }
  return {
    metrics: { seeds, epochsPerStrategy: epochs, base: basePath ?? 'data/models/transfer-base', cutAt: config.cutAt, unfreezeFrom: config.unfreezeFrom, valPerClass, valAccuracy: accuracy, best: { perClass: top.perClass, strategy: topSize.best.strategy } },
    plots,
  };
}
