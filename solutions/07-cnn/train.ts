/**
 * `course train 07-cnn`: the full run, using the target's buildCnn, accuracyUnderShift,
 * featureMaps, filterImages, countParams and receptiveField. Two CNNs and two MLPs (the course's
 * lib/models/mlp.ts, ReLU) train on the same Fashion-MNIST subset with the same optimiser, batch
 * and epochs; then the best CNN and the smaller MLP meet shifted test images. Writes to opts.out:
 *   curves.png          train and validation accuracy per epoch, CNNs vs MLPs
 *   params-accuracy.png validation accuracy against parameter count (log x)
 *   filters.png         the first conv layer's filters as images
 *   feature-maps.png    one test image through conv1 → pool1 → conv2 → pool2 (first channels)
 *   shift.png           test accuracy against the shift in pixels, CNN vs MLP
 *   report.md/.html     (lib/report) the figures with what to look for, tables, conclusions
 * Every model checkpoints each epoch under opts.out/checkpoint/<name>-seed<S> (`--resume`).
 * `--seeds N` repeats the training with seeds seed … seed+N−1 and reports mean ± std.
 * `--demo` (npm start): 2,000 training images, 6 epochs, two seeds; `--quick`: a smoke run.
 * On tfjs-node each batch step runs as a compiled TensorFlow graph (withGraphSteps).
 */
import * as tf from '@tensorflow/tfjs';
import path from 'node:path';
import type { TrainOptions, TrainResult } from '../../lib/exercises.js';
import { FASHION_CLASSES } from '../../lib/data/fashion-mnist.js';
import { disposeDataset, loadFlatFashion, type Dataset } from '../../lib/data/flat-fashion.js';
import { buildMlp } from '../../lib/models/mlp.js';
import { imageGrid, lineChart, stepCurveChart } from '../../lib/plot/index.js';
import { pct, reportOf, type CurveData } from '../../lib/report/index.js';
import { makeRng } from '../../lib/random.js';
import { trainLoop } from '../../lib/train/index.js';
import { batchStep, evaluate } from '../../lib/train/classifier-epoch.js';
import { scopedStep, withGraphSteps } from '../../lib/train/graph-scope.js';
import { batchIndices } from '../../lib/data/split.js';
import type { LayerSpec } from './index.js';

type Impl = typeof import('./index.js');

export const defaults = { epochs: 10, seeds: true, demo: true };

const BATCH_SIZE = 32;
const LEARNING_RATE = 0.002;
const SHIFTS = [0, 1, 2, 3, 4];
/** images per class (training from 'train', validation and shift sets from 'test'); demo = npm start (one seed took 36 s on wasm under load 14; two seeds so the CNN/MLP gap is paired) */
const SIZES = {
  full: { trainPerClass: 500, valPerClass: 200, shiftPerClass: 100, epochs: defaults.epochs },
  demo: { trainPerClass: 200, valPerClass: 100, shiftPerClass: 50, epochs: 6, seeds: 2 },
  quick: { trainPerClass: 20, valPerClass: 20, shiftPerClass: 10, epochs: 2 },
};

interface ModelDef {
  name: string;
  label: string;
  kind: 'cnn' | 'mlp';
  make: (seed: number) => tf.LayersModel;
  layers: LayerSpec[];
}

function modelDefs(impl: Impl): ModelDef[] {
  const cnn = (filters: [number, number]): ModelDef => ({
    name: `cnn-${filters.join('-')}`,
    label: `CNN ${filters.join('/')} filters`,
    kind: 'cnn',
    make: (seed) => impl.buildCnn({ filters, kernel: 3, seed }),
    layers: [
      { type: 'conv', filters: filters[0], kernel: 3, padding: 'same' },
      { type: 'pool', size: 2 },
      { type: 'conv', filters: filters[1], kernel: 3, padding: 'same' },
      { type: 'pool', size: 2 },
      { type: 'flatten' },
      { type: 'dense', units: 10 },
    ],
  });
  const mlp = (hidden: number): ModelDef => ({
    name: `mlp-${hidden}`,
    label: `MLP 784→${hidden}→10`,
    kind: 'mlp',
    make: (seed) => buildMlp({ activation: 'relu', hidden: [hidden], seed, init: 'heNormal' }),
    layers: [{ type: 'flatten' }, { type: 'dense', units: hidden }, { type: 'dense', units: 10 }],
  });
  return [cnn([4, 8]), cnn([8, 16]), mlp(32), mlp(128)];
}

interface Trained {
  def: ModelDef;
  seed: number;
  model: tf.LayersModel;
  curve: CurveData;
  trainAcc: number;
  valAcc: number;
  valLoss: number;
  params: number;
}

/** One model, one seed: Adam, shuffled batches from (seed, epoch), evaluation at each epoch end. */
async function trainOne(def: ModelDef, seed: number, train: Dataset, val: Dataset, epochs: number, opts: TrainOptions): Promise<Trained> {
  const model = def.make(seed);
  const optimizer = tf.train.adam(LEARNING_RATE);
  const run = scopedStep([model, optimizer], def.name, () => batchStep(model, optimizer)) ?? batchStep(model, optimizer);
  const n = train.x.shape[0];
  let batches: number[][] = [];
  const id = `${def.name}-seed${seed}`;
  const loop = await trainLoop({
    label: `07-cnn ${id}`,
    curve: id,
    epochs,
    stepsPerEpoch: Math.ceil(n / BATCH_SIZE),
    step(epoch, step) {
      // the shuffle derives from (seed, epoch): a resumed run sees the same batches
      if (step === 0) batches = batchIndices(n, BATCH_SIZE, makeRng(seed * 7919 + epoch));
      const [xb, yb] = tf.tidy(() => {
        const idx = tf.tensor1d(batches[step]!, 'int32');
        return [tf.gather(train.x, idx), tf.gather(train.y, idx)];
      });
      const [lossT, correctT] = run(xb!, yb!);
      const logs = { loss: lossT!.dataSync()[0]!, acc: correctT!.dataSync()[0]! / batches[step]!.length };
      tf.dispose([xb!, yb!, lossT!, correctT!]);
      return logs;
    },
    endEpoch() {
      const tr = evaluate(model, train);
      const va = evaluate(model, val);
      return { train_acc: tr.accuracy, val_loss: va.loss, val_acc: va.accuracy };
    },
    checkpoint: { dir: path.join(opts.out, 'checkpoint', id), models: { model }, optimizers: { model: optimizer } },
    resume: opts.resume,
  });
  const tr = evaluate(model, train);
  const va = evaluate(model, val);
  optimizer.dispose();
  return { def, seed, model, curve: loop.curve, trainAcc: tr.accuracy, valAcc: va.accuracy, valLoss: va.loss, params: model.countParams() };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs: number[]) => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1)));
/** a difference of two accuracies, in percentage points */
const points = (d: number) => `${(100 * d).toFixed(1)} percentage points`;
const pm = (xs: number[]) => (xs.length > 1 ? `${pct(mean(xs))} ± ${pct(std(xs))}` : pct(xs[0]!));

export async function train(impl: Impl, opts: TrainOptions): Promise<TrainResult> {
  const size = opts.quick ? SIZES.quick : opts.demo ? SIZES.demo : SIZES.full;
  const epochs = opts.quick ? Math.min(opts.epochs, SIZES.quick.epochs) : opts.demo ? SIZES.demo.epochs : opts.epochs;
  const seeds = Array.from({ length: opts.quick ? 1 : Math.max(1, opts.seeds ?? (opts.demo ? SIZES.demo.seeds : 1)) }, (_, i) => opts.seed + i);
  const report = reportOf(opts);
  const [trainPer, valPer, shiftPer] = [size.trainPerClass, size.valPerClass, size.shiftPerClass];
  const trainSet = loadFlatFashion('train', trainPer, opts.seed);
  const valSet = loadFlatFashion('test', valPer, opts.seed + 1);
  const shiftSet = loadFlatFashion('test', shiftPer, opts.seed + 2);
  const defs = modelDefs(impl);
  const plots: string[] = [];

  // ── Train every model for every seed (the step log keeps each curve) ──
  const runs: Trained[] = [];
  await withGraphSteps(async () => {
    for (const seed of seeds) for (const def of defs) runs.push(await trainOne(def, seed, trainSet, valSet, epochs, opts));
  });
  const of = (name: string) => runs.filter((r) => r.def.name === name);
  const first = (name: string) => of(name)[0]!;

  const curvesPng = stepCurveChart(path.join(opts.out, 'curves.png'), {
    title: `CNNs vs MLPs on ${trainSet.x.shape[0]} Fashion-MNIST images (Adam ${LEARNING_RATE}, batch ${BATCH_SIZE}, seed ${seeds[0]})`,
    yLabel: 'accuracy (whole split, end of each epoch)',
    series: defs.flatMap((d) => [
      { label: `${d.label}: train`, curve: first(d.name).curve, key: 'train_acc', per: 'epoch' as const },
      { label: `${d.label}: validation`, curve: first(d.name).curve, key: 'val_acc', per: 'epoch' as const },
    ]),
  });
  plots.push(curvesPng);

  // ── Parameters vs accuracy: counted by the target's countParams, checked against tfjs ──
  const counted = defs.map((d) => ({ def: d, count: impl.countParams([28, 28, 1], d.layers).total, tfjs: first(d.name).params }));
  const paramsPng = lineChart(path.join(opts.out, 'params-accuracy.png'), {
    title: 'Validation accuracy against the number of parameters',
    xLabel: 'log10(trainable parameters)',
    yLabel: 'validation accuracy',
    series: (['cnn', 'mlp'] as const).map((kind) => {
      const ds = counted.filter((c) => c.def.kind === kind).sort((a, b) => a.count - b.count);
      return { label: kind === 'cnn' ? 'CNNs (4/8, 8/16 filters)' : 'MLPs (32, 128 hidden)', x: ds.map((c) => Math.log10(c.count)), data: ds.map((c) => mean(of(c.def.name).map((r) => r.valAcc))), points: true };
    }),
  });
  plots.push(paramsPng);

  // ── What the best CNN sees: its first-layer filters and one image's feature maps ──
  const bestCnn = first('cnn-8-16').model;
  const filters = impl.filterImages(bestCnn);
  const filtersPng = imageGrid(path.join(opts.out, 'filters.png'), filters, { cols: 8, cell: 48, title: 'First-layer 3×3 filters (each scaled)' });
  filters.dispose();
  plots.push(filtersPng);
  const image = tf.tidy(() => tf.slice(valSet.x, [0, 0], [1, 784]) as tf.Tensor2D);
  const maps = impl.featureMaps(bestCnn, image);
  const mapsPng = featureMapGrid(path.join(opts.out, 'feature-maps.png'), image, maps, FASHION_CLASSES[valSet.labels[0]!]!);
  tf.dispose([image, ...maps.map((m) => m.maps)]);
  plots.push(mapsPng);

  // ── Shift robustness: the bigger CNN vs the smaller MLP (which still has more parameters) ──
  const shiftOf = (name: string) => of(name).map((r) => impl.accuracyUnderShift(r.model, shiftSet.x, shiftSet.labels, SHIFTS));
  const shift = { cnn: shiftOf('cnn-8-16'), mlp: shiftOf('mlp-32') };
  const shiftMean = (curves: number[][]) => SHIFTS.map((_, i) => mean(curves.map((c) => c[i]!)));
  const shiftPng = lineChart(path.join(opts.out, 'shift.png'), {
    title: `Accuracy on test images shifted by 0–${SHIFTS.at(-1)} pixels (mean of 4 directions${seeds.length > 1 ? `, ${seeds.length} seeds` : ''})`,
    xLabel: 'shift (pixels)',
    yLabel: 'test accuracy',
    series: [
      { label: `${first('cnn-8-16').def.label} (${first('cnn-8-16').params} params)`, x: SHIFTS, data: shiftMean(shift.cnn), points: true },
      { label: `${first('mlp-32').def.label} (${first('mlp-32').params} params)`, x: SHIFTS, data: shiftMean(shift.mlp), points: true },
    ],
  });
  plots.push(shiftPng);

  // ── the report: every conclusion is computed from this run's numbers ──
  const rf = impl.receptiveField(defs[1]!.layers.slice(0, 4));
  const seedNote = seeds.length > 1 ? `mean ± std over ${seeds.length} seeds` : `one seed (${seeds[0]}): use --seeds N for mean ± std`;
  report.section('1. A small CNN against MLPs');
  report.text(`Two CNNs (conv 3×3 'same' + ReLU → 2×2 max pool, twice, then one dense layer) and two one-hidden-layer ReLU MLPs, trained the same way (Adam ${LEARNING_RATE}, batch ${BATCH_SIZE}, ${epochs} epochs) on ${trainSet.x.shape[0]} Fashion-MNIST training images and validated on ${valSet.x.shape[0]} test images; ${seedNote}.`);
  report.figure(curvesPng, 'Accuracy on the whole training split (solid) and the validation split (dashed) after each epoch. Look for: the CNNs reaching a higher validation accuracy than the MLPs, and the MLPs’ larger train/validation gap.');
  report.figure(paramsPng, 'Validation accuracy against the parameter count. Look for: the CNN line sitting above and to the left of the MLP line: more accuracy from fewer weights.');
  report.table({
    caption: `Parameters (counted by countParams; tfjs agrees in every row: ${counted.every((c) => c.count === c.tfjs) ? 'yes' : 'NO'}) and accuracies at the end (${seedNote}).`,
    columns: ['model', 'parameters', 'train accuracy', 'validation accuracy', 'validation loss'],
    rows: defs.map((d) => [d.label, counted.find((c) => c.def === d)!.count, pm(of(d.name).map((r) => r.trainAcc)), pm(of(d.name).map((r) => r.valAcc)), mean(of(d.name).map((r) => r.valLoss))]),
  });
  report.section('2. What the CNN sees');
  report.figure(filtersPng, 'The 8 first-layer filters of the CNN 8/16, each scaled on its own. Look for: oriented light/dark splits (edge and bar detectors) rather than noise.');
  report.figure(mapsPng, `One test image and the first channels of each conv and pool layer's output. Look for: conv1 maps that light up along edges, pooling halving the resolution, and conv2 maps that respond to larger parts. After two conv+pool rounds one cell sees a ${rf}×${rf} patch of the input (receptiveField).`);
  report.section('3. Shifted images');
  report.figure(shiftPng, 'Test accuracy when every image is moved by 0–4 pixels (mean of down, up, left, right; zeros enter). Look for: which model keeps more of its accuracy as the shift grows.');
  report.table({
    caption: `Accuracy on ${shiftSet.x.shape[0]} shifted test images (${seedNote}).`,
    columns: ['shift (pixels)', ...SHIFTS.map(String)],
    rows: [
      [first('cnn-8-16').def.label, ...SHIFTS.map((_, i) => pm(shift.cnn.map((c) => c[i]!)))],
      [first('mlp-32').def.label, ...SHIFTS.map((_, i) => pm(shift.mlp.map((c) => c[i]!)))],
    ],
  });

  const acc = (name: string) => mean(of(name).map((r) => r.valAcc));
  const cnnBest = acc('cnn-8-16');
  const mlpBest = Math.max(acc('mlp-32'), acc('mlp-128'));
  const mlpBestName = acc('mlp-32') >= acc('mlp-128') ? 'mlp-32' : 'mlp-128';
  const gap = cnnBest - mlpBest;
  // Paired by seed: both models of a seed see the same data, so a seed that is easy for one is
  // easy for the other; the spread of the per-seed gaps, not of the accuracies, decides.
  const gaps = seeds.map((seed) => of('cnn-8-16').find((r) => r.seed === seed)!.valAcc - of(mlpBestName).find((r) => r.seed === seed)!.valAcc);
  const settled = Math.abs(gap) > 2 * std(gaps) && gaps.every((g) => Math.sign(g) === Math.sign(gap));
  report.conclusion(
    `The CNN 8/16 (${first('cnn-8-16').params} parameters) reached ${pct(cnnBest)} validation accuracy, the best MLP (${first(mlpBestName).def.label}, ${first(mlpBestName).params} parameters, ${(first(mlpBestName).params / first('cnn-8-16').params).toFixed(1)}× as many) ${pct(mlpBest)}: ` +
      (gap > 0 ? `the CNN is ahead by ${points(gap)}` : `the MLP is ahead by ${points(-gap)}`) +
      (seeds.length > 1
        ? `; per seed the gap was ${gaps.map((g) => (100 * g).toFixed(1)).join(', ')} points, ` +
          (settled ? `the same sign every time and more than twice its spread (${points(std(gaps))}): settled.` : `not consistently larger than its spread (${points(std(gaps))}): not settled at this size.`)
        : ' (one seed: rerun with --seeds 3 to see whether the gap exceeds the seed-to-seed spread).'),
  );
  const small = acc('cnn-4-8');
  report.conclusion(`Even the CNN 4/8 with ${first('cnn-4-8').params} parameters reached ${pct(small)}, ${small > acc('mlp-32') ? 'more' : 'less'} than the ${first('mlp-32').params}-parameter MLP's ${pct(acc('mlp-32'))}.`);
  const cnnCurve = shiftMean(shift.cnn);
  const mlpCurve = shiftMean(shift.mlp);
  const at = SHIFTS.indexOf(3);
  const keptCnn = cnnCurve[at]! / cnnCurve[0]!;
  const keptMlp = mlpCurve[at]! / mlpCurve[0]!;
  report.conclusion(
    `Shifted by 3 pixels, the CNN kept ${pct(keptCnn)} of its unshifted accuracy (${pct(cnnCurve[0]!)} → ${pct(cnnCurve[at]!)}), the MLP ${pct(keptMlp)} (${pct(mlpCurve[0]!)} → ${pct(mlpCurve[at]!)}): ` +
      (keptCnn > keptMlp ? 'convolution and pooling degraded more gracefully' : 'here the CNN did not degrade more gracefully than the MLP') +
      (cnnCurve[0]! - cnnCurve[at]! > 0.02 ? `; the CNN is not shift-invariant either (it lost ${points(cnnCurve[0]! - cnnCurve[at]!)}).` : '.'),
  );

  const result: TrainResult = {
    metrics: {
      epochs,
      seeds,
      trainImages: trainSet.x.shape[0],
      valImages: valSet.x.shape[0],
      models: Object.fromEntries(defs.map((d) => [d.name, { params: counted.find((c) => c.def === d)!.count, valAcc: of(d.name).map((r) => r.valAcc), trainAcc: of(d.name).map((r) => r.trainAcc) }])),
      shift: { shifts: SHIFTS, cnn: cnnCurve, mlp: mlpCurve },
      receptiveField: rf,
    },
    plots,
  };
  runs.forEach((r) => r.model.dispose());
  [trainSet, valSet, shiftSet].forEach(disposeDataset);
  return result;
}

/** A row with the input image, then one row per layer with up to 8 of its channels, each map scaled to [0, 1]. */
function featureMapGrid(file: string, image: tf.Tensor2D, maps: { layer: string; maps: tf.Tensor4D }[], className: string): string {
  const cells = tf.tidy(() => {
    // the input, then 7 white cells so every layer starts a row of its own
    const rows: tf.Tensor[] = [tf.reshape(image, [1, 28, 28, 1]), tf.ones([7, 28, 28, 1])];
    for (const { maps: m } of maps) {
      const channels = Math.min(8, m.shape[3]);
      const chosen = tf.transpose(tf.slice(m, [0, 0, 0, 0], [1, -1, -1, channels]), [3, 1, 2, 0]); // [channels, h, w, 1]
      const big = tf.image.resizeNearestNeighbor(chosen as tf.Tensor4D, [28, 28]);
      const lo = tf.min(big, [1, 2, 3], true);
      const hi = tf.max(big, [1, 2, 3], true);
      rows.push(tf.div(tf.sub(big, lo), tf.maximum(tf.sub(hi, lo), 1e-6)));
    }
    return tf.concat(rows, 0) as tf.Tensor4D;
  });
  const labels = ['input', ...Array<string>(7).fill(''), ...maps.flatMap(({ layer, maps: m }) => Array.from({ length: Math.min(8, m.shape[3]) }, (_, c) => `${layer} #${c + 1}`))];
  try {
    return imageGrid(file, cells, { cols: 8, labels, title: `Feature maps of one test image (${className})` });
  } finally {
    cells.dispose();
  }
}
