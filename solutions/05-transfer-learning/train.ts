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
 * Every training step of every strategy goes to the run's step log (trainWithAdam's fitModel and
 * fineTune's trainLoop log there); the report (lib/report) shows the per-step losses, the
 * accuracy table by size and strategy, and conclusions from it. `--demo` (npm start): sizes
 * DEMO.sizes, DEMO.epochs epochs.
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
import { barChart, heatmap, lineChart, stepCurveChart } from '../../lib/plot/index.js';
import { omitCurvesFromReport, pct, reportOf, runContext, withCurvePrefix, type CurveData } from '../../lib/report/index.js';
import { openCurve } from '../../lib/report/context.js';
import { buildBaseCnn, TARGET_CLASSES } from '../../lib/pretrain/transfer-base.js';
import { withGraphSteps } from '../../lib/train/graph-scope.js';
import type { History } from '../../lib/train/index.js';

export const defaults = { epochs: 12, seeds: true, demo: true };
const DEMO = { sizes: [25, 100], epochs: 8 };

interface SizeResult {
  perClass: number;
  /** absent in progress files from before --seeds: the run's own seed */
  seed?: number;
  runs: { strategy: string; history: History; valAccuracy: number; curve?: CurveData }[];
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
  const sizes = opts.quick ? [25] : opts.demo ? DEMO.sizes : [25, 100, 500];
  const epochs = opts.quick ? Math.min(opts.epochs, 3) : opts.demo ? DEMO.epochs : opts.epochs;
  const report = reportOf(opts);
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
  // the figures show the first seed's curves; the others' are in metrics.json (course compare draws them)
  omitCurvesFromReport((name) => name.startsWith('seed '));
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
    // the first seed's curves are named by strategy and size, the others' prefixed "seed 43 · "
    const prefix = seed === seeds[0] ? '' : `seed ${seed} · `;
    const earlier = done.find((d) => d.perClass === size && seedOf(d) === seed);
    if (earlier) {
      for (const r of earlier.runs) if (r.curve) withCurvePrefix(prefix, () => openCurve(`${r.strategy} ${size}/class`)?.restore(r.curve!));
      console.error(`[05-transfer-learning] ${size}/class, seed ${seed}: done in an earlier run (resume)`);
      continue;
    }
    if (seeds.length > 1) console.error(`[05-transfer-learning] seed ${seed} (${seeds.indexOf(seed) + 1}/${seeds.length}), ${size}/class`);
    const before = new Set(runContext()?.log.curves.keys() ?? []);
    // withGraphSteps: trainWithAdam's fitModel (scratch, feature extraction) runs each batch as one
    // TensorFlow graph on tfjs-node; the target's fineTune runs its own loop, eagerly
    const runs = await withCurvePrefix(prefix, () => withGraphSteps(() => impl.compareStrategies({ ...configFor(seed), perClass: [size] })));
    // the curves those loops logged, one per strategy (by name, else in order)
    const fresh = [...(runContext()?.log.curves.values() ?? [])].filter((c) => !before.has(c.name));
    const curveOf = (strategy: string, i: number) => (fresh.find((c) => c.name.includes(strategy)) ?? (fresh.length === runs.length ? fresh[i] : undefined))?.data;
    const best = runs.reduce((a, b) => (b.valAccuracy > a.valAccuracy ? b : a));
    const val = loadTargetData('test', valPerClass, seed, config.adapt);
    const confusion = confusionMatrix(predictClasses(best.model, val.x), val.labels, classNames.length);
    tf.dispose([val.x, val.y]);
    done.push({
      perClass: size,
      seed,
      runs: runs.map((r, i) => ({ strategy: r.strategy, history: r.history, valAccuracy: r.valAccuracy, curve: curveOf(r.strategy, i) })),
      best: { strategy: best.strategy, valAccuracy: best.valAccuracy, confusion },
    });
    runs.forEach((r) => r.model.dispose());
    writeFileSync(progressFile, JSON.stringify(done));
  }

  const plots: string[] = [];
  const all = done.filter((d) => sizes.includes(d.perClass) && seeds.includes(seedOf(d)));
  // curves and the confusion matrix: the first seed's runs; numbers: every seed
  const results = all.filter((d) => seedOf(d) === seeds[0]).sort((a, b) => a.perClass - b.perClass);
  const perSize: { perClass: number; loss: string | null; acc: string }[] = [];
  for (const d of results) {
    const withCurves = d.runs.every((r) => r.curve);
    const loss = withCurves
      ? stepCurveChart(path.join(opts.out, `loss-${d.perClass}-per-class.png`), {
          title: `Training loss, ${d.perClass} labels per class`,
          yLabel: 'cross-entropy',
          stepIs: `a batch of ${config.batchSize}`,
          series: d.runs.map((r) => ({ label: r.strategy, curve: r.curve!, key: 'loss' })),
        })
      : null;
    const acc = lineChart(path.join(opts.out, `val-accuracy-${d.perClass}-per-class.png`), {
      title: `Validation accuracy, ${d.perClass} labels per class`,
      xLabel: 'epoch',
      yLabel: 'validation accuracy',
      series: d.runs.map((r) => ({ label: r.strategy, data: r.history.val_acc ?? [] })),
    });
    plots.push(...(loss ? [loss] : []), acc);
    perSize.push({ perClass: d.perClass, loss, acc });
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
  // a line over sizes needs two sizes at least (a --quick run has one)
  if (results.length > 1) {
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
  }
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
  // ── the report ──
  const [barPng, sizePng, confusionPng] = results.length > 1 ? plots.slice(-3) : [plots.at(-2), undefined, plots.at(-1)];
  report.section('1. Three ways to train on a small labelled set');
  report.text(
    `Target task: Fashion-MNIST classes ${classNames.join(', ')}, with ${sizes.join(', ')} labelled images per class. ` +
      `Strategies: **scratch** (the base's architecture, random weights, everything trains), **feature-extraction** (the pretrained base frozen, cut at \`${config.cutAt}\`, a new head trains), ` +
      `**fine-tuning** (then \`${config.unfreezeFrom}\` and above train too, at a 10× smaller learning rate). ${epochs} epochs each; validation on ${valPerClass} images per class` +
      (seeds.length > 1 ? `; repeated with ${seeds.length} seeds (data draw and initialisation).` : '.'),
  );
  for (const p of perSize) {
    report.section(`${p.perClass} labelled images per class`);
    if (p.loss) report.figure(p.loss, `Training loss of every batch (faint) and its moving average, per strategy${seeds.length > 1 ? ` (seed ${seeds[0]})` : ''}. Look for: the pretrained starts (feature extraction, fine-tuning) beginning lower and falling faster than scratch.`);
    report.figure(p.acc, `Validation accuracy after each epoch. Look for: which strategy is ahead from the first epoch, and whether scratch catches up.`);
  }
  report.section('Comparison across sizes');
  report.figure(barPng!, `Final validation accuracy per strategy and size (${seedNote}). Look for: the advantage of the pretrained base at the smallest size, and how it shrinks as labels grow.`);
  if (sizePng) report.figure(sizePng, 'The same as lines over the labelled-set size. Look for: the lines converging as data grows.');
  report.figure(confusionPng!, 'Confusion matrix of the best run. Look for: which classes are still confused (off the diagonal).');
  report.table({
    caption: `Final validation accuracy by labelled images per class and strategy (${seedNote}).`,
    columns: ['per class', ...strategies],
    rows: results.map((d) => [d.perClass, ...strategies.map((st) => {
      const m = stat(d.perClass, st);
      return seeds.length > 1 ? `${pct(m.mean)} ± ${pct(m.std)}` : pct(m.mean);
    })]),
  });
  for (const d of results) {
    const ranked = strategies.map((st) => ({ st, acc: stat(d.perClass, st).mean })).sort((a, b) => b.acc - a.acc);
    const scratch = stat(d.perClass, 'scratch').mean;
    const bestPre = ranked.find((r) => r.st !== 'scratch');
    report.conclusion(
      `With ${d.perClass} labels per class, ${ranked[0]!.st} was best (${pct(ranked[0]!.acc)}), then ${ranked.slice(1).map((r) => `${r.st} (${pct(r.acc)})`).join(', ')}` +
        (bestPre && Number.isFinite(scratch) ? `: the pretrained base ${bestPre.acc >= scratch ? 'added' : 'lost'} ${pct(Math.abs(bestPre.acc - scratch))} over training from scratch.` : '.'),
    );
  }
  if (results.length > 1) {
    const gap = (d: SizeResult) => Math.max(...strategies.filter((st) => st !== 'scratch').map((st) => stat(d.perClass, st).mean)) - stat(d.perClass, 'scratch').mean;
    const first = results[0]!;
    const lastSize = results[results.length - 1]!;
    report.conclusion(
      `The advantage of transfer over scratch was ${pct(gap(first))} at ${first.perClass}/class and ${pct(gap(lastSize))} at ${lastSize.perClass}/class: ` +
        (gap(lastSize) < gap(first) ? 'it shrinks as labelled data grows, as expected.' : 'it did not shrink here; more epochs or seeds would tell whether that is noise.'),
    );
  }
  if (seeds.length === 1) report.conclusion('One seed: differences of a few points may be noise. `--seeds 3` reports mean ± std.');

  return {
    metrics: { seeds, epochsPerStrategy: epochs, base: basePath ?? 'data/models/transfer-base', cutAt: config.cutAt, unfreezeFrom: config.unfreezeFrom, valPerClass, valAccuracy: accuracy, best: { perClass: top.perClass, strategy: topSize.best.strategy } },
    plots,
  };
}
