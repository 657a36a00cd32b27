/**
 * `course train 08-responsible-ml`: the full run, using ONLY the target's functions for the
 * lesson's parts. The data: footwear vs not on Fashion-MNIST, group B = the photographic negative
 * of the image, 5 % of training and 50 % of validation and test (lib/exercise-support). Writes to
 * opts.out:
 *   examples.png            the same garments as group A and as group B
 *   reweighting-tradeoff.png test accuracy (all, A, B) and the equalised-odds gap over the
 *                            reweighting strength 0 … 1
 *   membership-roc.png      ROC of the loss-threshold membership attack, over-fitted vs L2
 *   saliency.png            footwear of both groups with |∂logit/∂x| of the plain and the
 *                            reweighted model
 *   report.md/.html         audit tables before/after each mitigation, the cost estimate, conclusions
 * Each training run checkpoints every epoch under opts.out/checkpoint/<run> (`--resume`; Adam's
 * moments restart). `--seeds N` repeats the plain vs reweighted comparison over N seeds.
 */
import * as tf from '@tensorflow/tfjs';
import path from 'node:path';
import type { TrainOptions, TrainResult } from '../../lib/exercises.js';
import { batchIndices } from '../../lib/data/split.js';
import { loadFashionMnist } from '../../lib/data/fashion-mnist.js';
import { imageGrid, lineChart } from '../../lib/plot/index.js';
import { pct, reportOf } from '../../lib/report/index.js';
import { makeRng } from '../../lib/random.js';
import { trainLoop } from '../../lib/train/index.js';
import { groupedFashion, objectShare, rocPoints, SHIFT_OFFSET, SHIFT_SCALE, SmallClassifier, type Audit, type GroupedSet } from '../../lib/exercise-support/08-responsible-ml.js';

type Impl = typeof import('./index.js');

export const defaults = { epochs: 10, seeds: true };

const HIDDEN = 32;
const BATCH = 100;
const STRENGTHS = [0, 0.25, 0.5, 0.75, 1];
/** the FNR each group's threshold must reach on validation (task 2's post-processing) */
const TARGET_FNR = 0.05;
/** stated assumptions of the CO₂ estimate (task 5): edit them for your machine and grid */
const ASSUMPTIONS = { watts: 65, pue: 1, gramsPerKWh: 400 };

interface Trained {
  net: SmallClassifier;
  seconds: number;
  steps: number;
}

/** Trains a SmallClassifier on `set` (per-example weights optional) inside trainLoop. */
async function fit(name: string, set: GroupedSet, o: { hidden: number; epochs: number; batch: number; weights?: Float32Array; l2?: number; seed: number }, opts: TrainOptions): Promise<Trained> {
  const net = new SmallClassifier([784, o.hidden], { seed: o.seed, learningRate: 1e-3, l2: o.l2 });
  const x = tf.tensor2d(set.images, [set.n, 784]);
  const y = tf.tensor1d(Float32Array.from(set.labels));
  const w = o.weights ? tf.tensor1d(o.weights) : null;
  const stepsPerEpoch = Math.ceil(set.n / o.batch);
  let batches: number[][] = [];
  const start = performance.now();
  await trainLoop({
    label: `08-responsible-ml ${name}`,
    curve: name,
    epochs: o.epochs,
    stepsPerEpoch,
    step(epoch, step) {
      if (step === 0) batches = batchIndices(set.n, o.batch, makeRng(o.seed * 7919 + epoch));
      const idx = tf.tensor1d(batches[step]!, 'int32');
      const xb = tf.gather(x, idx) as tf.Tensor2D;
      const yb = tf.gather(y, idx) as tf.Tensor1D;
      const wb = w ? (tf.gather(w, idx) as tf.Tensor1D) : undefined;
      const loss = net.step(xb, yb, wb);
      tf.dispose([idx, xb, yb, ...(wb ? [wb] : [])]);
      return { batch_loss: loss };
    },
    checkpoint: { dir: path.join(opts.out, 'checkpoint', name), state: () => net.snapshot(), restore: (s) => net.restore(s as number[][]) },
    resume: opts.resume,
  });
  const seconds = (performance.now() - start) / 1000;
  tf.dispose([x, y, ...(w ? [w] : [])]);
  return { net, seconds, steps: o.epochs * stepsPerEpoch };
}

const predict = (scores: ArrayLike<number>, t = 0.5) => Array.from(scores, (s) => (s >= t ? 1 : 0));

function auditRows(label: string, a: Audit, overall: number): (string | number)[] {
  const [A, B] = a.groups;
  return [label, pct(overall), pct(A.accuracy), pct(B.accuracy), pct(A.fpr), pct(B.fpr), pct(A.fnr), pct(B.fnr), a.demographicParityDifference, a.equalisedOddsDifference];
}
const AUDIT_COLUMNS = ['model', 'accuracy', 'acc. A', 'acc. B', 'FPR A', 'FPR B', 'FNR A', 'FNR B', 'parity diff. (B − A)', 'equalised-odds diff.'];

function accuracy(preds: number[], labels: ArrayLike<number>): number {
  return preds.reduce((s, p, i) => s + (p === labels[i] ? 1 : 0), 0) / preds.length;
}

/** Saliency maps scaled to [0, 1] per image (each map by its own maximum) for the grid. */
function normalisePerImage(s: Float32Array, n: number): Float32Array {
  const out = new Float32Array(s.length);
  for (let i = 0; i < n; i++) {
    let max = 0;
    for (let p = i * 784; p < (i + 1) * 784; p++) max = Math.max(max, s[p]!);
    for (let p = i * 784; p < (i + 1) * 784; p++) out[p] = max > 0 ? s[p]! / max : 0;
  }
  return out;
}

export async function train(impl: Impl, opts: TrainOptions): Promise<TrainResult> {
  const quick = opts.quick;
  const epochs = quick ? Math.min(opts.epochs, 2) : opts.epochs;
  const sizes = quick ? { train: 600, val: 400, test: 400 } : { train: 6000, val: 2000, test: 2000 };
  const strengths = quick ? [0, 1] : STRENGTHS;
  const report = reportOf(opts);
  const plots: string[] = [];
  const data = groupedFashion({ ...sizes, trainShareB: 0.05, evalShareB: 0.5, seed: opts.seed });
  const xVal = tf.tensor2d(data.val.images, [data.val.n, 784]);
  const xTest = tf.tensor2d(data.test.images, [data.test.n, 784]);
  let trainSeconds = 0;
  let trainSteps = 0;
  const flopsPerStep = impl.trainStepFlops([784, HIDDEN, 1], BATCH);
  let totalFlops = 0;

  // ── the data ──
  const six = data.test.original.slice(0, 6 * 784);
  const exPng = imageGrid(path.join(opts.out, 'examples.png'), {
    data: Float32Array.from([...six, ...six.map((v) => SHIFT_OFFSET + SHIFT_SCALE * v)]), n: 12, h: 28, w: 28, c: 1,
  }, { cols: 6, title: 'Group A (top) and group B (bottom)', labels: [...Array<string>(6).fill('A'), ...Array<string>(6).fill('B')] });
  plots.push(exPng);

  // ── task 2: reweighting over its strength ──
  const runs: { strength: number; net: SmallClassifier; test: Audit; testAcc: number; valScores: Float32Array; testScores: Float32Array }[] = [];
  for (const strength of strengths) {
    const t = await fit(`reweight-${strength}`, data.train, { hidden: HIDDEN, epochs, batch: BATCH, weights: impl.groupWeights(data.train.groups, strength), seed: opts.seed }, opts);
    trainSeconds += t.seconds;
    trainSteps += t.steps;
    totalFlops += t.steps * flopsPerStep;
    const testScores = t.net.scores(xTest);
    const preds = predict(testScores);
    runs.push({ strength, net: t.net, test: impl.audit(preds, data.test.labels, data.test.groups), testAcc: accuracy(preds, data.test.labels), valScores: t.net.scores(xVal), testScores });
  }
  const plain = runs[0]!;
  const reweighted = runs[runs.length - 1]!;
  const tradePng = lineChart(path.join(opts.out, 'reweighting-tradeoff.png'), {
    title: `Reweighting by group: test accuracy and equalised-odds gap (B = ${pct(0.05)} of training)`,
    xLabel: 'reweighting strength (0 = none, 1 = both groups weigh the same)',
    yLabel: 'accuracy / gap on the test split',
    series: [
      { label: 'accuracy, all', x: strengths, data: runs.map((r) => r.testAcc), points: true },
      { label: 'accuracy, group A', x: strengths, data: runs.map((r) => r.test.groups[0].accuracy), points: true },
      { label: 'accuracy, group B', x: strengths, data: runs.map((r) => r.test.groups[1].accuracy), points: true },
      { label: 'equalised-odds difference', x: strengths, data: runs.map((r) => r.test.equalisedOddsDifference), points: true },
    ],
  });
  plots.push(tradePng);

  // ── task 2: per-group thresholds fitted on validation (on the plain model) ──
  const scored = (set: GroupedSet, scores: Float32Array) => ({ scores, labels: set.labels, groups: set.groups });
  const thr = impl.thresholdMitigation(scored(data.val, plain.valScores), scored(data.test, plain.testScores), TARGET_FNR);
  const thrPreds = Array.from(thr.testPredictions);
  const thrAudit = impl.audit(thrPreds, data.test.labels, data.test.groups);

  // ── task 4: saliency of footwear of both groups, plain vs reweighted ──
  const pick = (g: number) => Array.from(data.test.labels.keys()).filter((i) => data.test.labels[i] === 1 && data.test.groups[i] === g).slice(0, 4);
  const chosen = [...pick(0), ...pick(1)];
  const xs = tf.tidy(() => tf.gather(xTest, tf.tensor1d(chosen, 'int32')) as tf.Tensor2D);
  const maps = [plain, reweighted].map((r) => tf.tidy(() => impl.saliencyMap((x) => r.net.logits(x), xs).dataSync() as Float32Array).slice());
  const originals = Float32Array.from(chosen.flatMap((i) => Array.from(data.test.original.subarray(i * 784, (i + 1) * 784))));
  const shares = maps.map((m) => objectShare(m, originals, chosen.length));
  const inGroup = (s: number[], g: number) => s.filter((_, k) => (k < pick(0).length ? 0 : 1) === g);
  // mean over the images whose map is not all zero; `blind` counts the all-zero ones
  const meanShare = (s: number[], g: number) => { const v = inGroup(s, g).filter((x) => !Number.isNaN(x)); return v.length ? v.reduce((a, b) => a + b, 0) / v.length : Number.NaN; };
  const share = (v: number) => (Number.isNaN(v) ? 'n/a (every map all zero)' : pct(v));
  const blind = (s: number[], g: number) => inGroup(s, g).filter((x) => Number.isNaN(x)).length;
  const n = chosen.length;
  const salPng = imageGrid(path.join(opts.out, 'saliency.png'), {
    data: Float32Array.from([...xs.dataSync(), ...normalisePerImage(maps[0]!, n), ...normalisePerImage(maps[1]!, n)]), n: 3 * n, h: 28, w: 28, c: 1,
  }, {
    cols: n,
    title: 'Footwear; |∂logit/∂x| plain, reweighted',
    labels: [...chosen.map((_, k) => (k < pick(0).length ? 'A' : 'B')), ...chosen.map(() => 'plain'), ...chosen.map(() => 'reweighted')],
  });
  plots.push(salPng);
  xs.dispose();

  // ── task 3: membership inference, over-fitted vs L2 ──
  // A harder binary task than footwear (T-shirt/top vs shirt, which a small net cannot separate
  // perfectly), all in group A's appearance: footwear is so easy that held-out losses are as low
  // as training losses and there is nothing to memorise (measured: AUC 0.507 there).
  const memberN = quick ? 100 : 300;
  const shirts = (split: 'train' | 'test', seed: number) => {
    const s = loadFashionMnist(split, { classes: [0, 6], limit: memberN, seed });
    return { x: tf.tensor2d(s.images, [s.n, 784]), y: tf.tensor1d(Float32Array.from(s.labels, (l) => (l === 6 ? 1 : 0))), images: s.images, labels: Int32Array.from(s.labels, (l) => (l === 6 ? 1 : 0)) };
  };
  const members = shirts('train', opts.seed + 5);
  const held = shirts('test', opts.seed + 6);
  const memberSet: GroupedSet = { images: members.images, original: members.images, labels: members.labels, groups: new Int32Array(memberN), n: memberN };
  const memEpochs = quick ? 5 : 100;
  const attacks: Record<string, ReturnType<Impl['membershipAttack']> & { trainAcc: number; heldAcc: number }> = {};
  for (const [name, l2] of [['over-fitted (no regularisation)', 0], ['L2 (λ = 1e-2)', 1e-2]] as const) {
    const t = await fit(name.startsWith('L2') ? 'membership-l2' : 'membership-overfit', memberSet, { hidden: 256, epochs: memEpochs, batch: 50, l2, seed: opts.seed + 11 }, opts);
    trainSeconds += t.seconds;
    trainSteps += t.steps;
    totalFlops += t.steps * impl.trainStepFlops([784, 256, 1], 50);
    const r = impl.membershipAttack((x) => t.net.logits(x), members, held);
    attacks[name] = { ...r, trainAcc: accuracy(predict(t.net.scores(members.x)), memberSet.labels), heldAcc: accuracy(predict(t.net.scores(held.x)), held.labels) };
    t.net.dispose();
  }
  tf.dispose([held.x, held.y, members.x, members.y]);
  const rocPng = lineChart(path.join(opts.out, 'membership-roc.png'), {
    title: `Membership attack (T-shirt vs shirt): ${memberN} members vs ${memberN} held-out`,
    xLabel: 'false-positive rate (held-out images called members)',
    yLabel: 'true-positive rate (members found)',
    series: [
      ...Object.entries(attacks).map(([name, a]) => { const roc = rocPoints(a.memberLosses, a.nonMemberLosses); return { label: `${name}: AUC ${a.auc.toFixed(3)}`, x: roc.fpr, data: roc.tpr, points: false }; }),
      { label: 'chance (AUC 0.5)', x: [0, 1], data: [0, 1], points: false },
    ],
  });
  plots.push(rocPng);

  // ── --seeds: the plain vs reweighted comparison again, other seeds ──
  const seedList = Array.from({ length: Math.max(1, opts.seeds ?? 1) }, (_, i) => opts.seed + i);
  const errB: Record<'plain' | 'reweighted', number[]> = { plain: [1 - plain.test.groups[1].accuracy], reweighted: [1 - reweighted.test.groups[1].accuracy] };
  for (const seed of seedList.slice(1)) {
    const d = groupedFashion({ ...sizes, trainShareB: 0.05, evalShareB: 0.5, seed });
    const xt = tf.tensor2d(d.test.images, [d.test.n, 784]);
    for (const [key, strength] of [['plain', 0], ['reweighted', 1]] as const) {
      const t = await fit(`seed${seed}-reweight-${strength}`, d.train, { hidden: HIDDEN, epochs, batch: BATCH, weights: impl.groupWeights(d.train.groups, strength), seed }, opts);
      trainSeconds += t.seconds;
      trainSteps += t.steps;
      totalFlops += t.steps * flopsPerStep;
      errB[key].push(1 - impl.audit(predict(t.net.scores(xt)), d.test.labels, d.test.groups).groups[1].accuracy);
      t.net.dispose();
    }
    xt.dispose();
  }

  // ── task 5: cost ──
  const energy = impl.energyEstimate(trainSeconds, ASSUMPTIONS);

  // ── the report ──
  report.section('1. The data and the audit');
  report.text(`Footwear (sandal, sneaker, ankle boot) vs everything else on Fashion-MNIST. Group B is the same kind of image as a photographic negative (x′ = 1 − x). Training: ${data.train.n} images, ${pct(0.05)} of them group B; validation and test: ${data.val.n} and ${data.test.n} images, half of them group B. A 784→${HIDDEN}→1 ReLU MLP, Adam (lr 1e-3), batch ${BATCH}, ${epochs} epochs.`);
  report.figure(exPng, 'The same garments as group A (top) and group B (bottom). Look for: the object is the same; only its appearance changed.');
  report.table({ caption: `Test-set audit at threshold 0.5 (before and after each mitigation). Per-group thresholds: fitted on validation so each group's FNR ≤ ${pct(TARGET_FNR)} (A ${thr.thresholds[0].toFixed(3)}, B ${thr.thresholds[1].toFixed(3)}).`, columns: AUDIT_COLUMNS, rows: [
    auditRows('plain (no mitigation)', plain.test, plain.testAcc),
    auditRows('reweighted (strength 1)', reweighted.test, reweighted.testAcc),
    auditRows('plain + per-group thresholds', thrAudit, accuracy(thrPreds, data.test.labels)),
  ] });
  report.section('2. The accuracy–fairness trade-off');
  report.figure(tradePng, 'Test accuracy overall and per group, and the equalised-odds difference, for reweighting strengths 0 … 1 (one model each, same start). Look for: group B’s accuracy rising and the gap shrinking with strength, and what group A pays for it.');
  report.table({ caption: 'Reweighting strength vs test metrics.', columns: AUDIT_COLUMNS, rows: runs.map((r) => auditRows(`strength ${r.strength}`, r.test, r.testAcc)) });
  report.section('3. What the model memorises');
  report.figure(rocPng, 'ROC of the attack "member if the loss is below t" over every t. Look for: the over-fitted model’s curve bowing above the diagonal (its training images have tell-tale low losses); L2 pulls it towards chance.');
  report.table({ caption: `Membership attack on a 784→256→1 MLP trained ${memEpochs} epochs on ${memberN} images (T-shirt/top vs shirt, group A appearance); held-out: ${memberN} test images of the same two classes.`, columns: ['model', 'train accuracy', 'held-out accuracy', 'mean member loss', 'mean held-out loss', 'attack AUC'], rows: Object.entries(attacks).map(([name, a]) => [name, pct(a.trainAcc), pct(a.heldAcc), mean(a.memberLosses), mean(a.nonMemberLosses), a.auc]) });
  report.section('4. Where the model looks');
  report.figure(salPng, 'Each column: a test image of footwear and its saliency |∂logit/∂x| (bright = the logit is sensitive to that pixel), each map scaled to its own maximum. Look for: saliency on the shoe’s outline vs on the background, whose brightness is what changed in group B.');
  report.table({ caption: 'Share of the saliency on the object’s pixels (original pixel > 0.1), mean over the images shown whose map is not all zero; all-zero maps counted apart.', columns: ['model', 'group A images', 'group B images'], rows: [['plain', ...[0, 1].map((g) => `${share(meanShare(shares[0]!, g))} (${blind(shares[0]!, g)} all-zero)`)], ['reweighted', ...[0, 1].map((g) => `${share(meanShare(shares[1]!, g))} (${blind(shares[1]!, g)} all-zero)`)]] });
  report.section('5. What it cost');
  report.table({ caption: 'Compute and energy of this run’s training (stated assumptions, not a measurement of power).', columns: ['quantity', 'value'], rows: [
    ['FLOPs per training step (784→32→1, batch 100)', flopsPerStep],
    ['training steps (all models)', trainSteps],
    ['FLOPs of all training', totalFlops],
    ['measured training time (s)', trainSeconds],
    ['achieved GFLOP/s', totalFlops / trainSeconds / 1e9],
    [`assumed power (W), PUE, grid (g CO₂/kWh)`, `${ASSUMPTIONS.watts}, ${ASSUMPTIONS.pue}, ${ASSUMPTIONS.gramsPerKWh}`],
    ['energy (kWh)', energy.kWh],
    ['CO₂ (g)', energy.gramsCO2],
  ] });

  const [A0, B0] = plain.test.groups;
  report.conclusion(`Trained with group B at ${pct(0.05)} of the data, the plain model's test accuracy was ${pct(A0.accuracy)} on group A and ${pct(B0.accuracy)} on group B (FNR ${pct(A0.fnr)} vs ${pct(B0.fnr)}, FPR ${pct(A0.fpr)} vs ${pct(B0.fpr)}); equalised-odds difference ${plain.test.equalisedOddsDifference.toFixed(3)}.`);
  const [A1, B1] = reweighted.test.groups;
  report.conclusion(`Reweighting (strength 1) moved group B's accuracy from ${pct(B0.accuracy)} to ${pct(B1.accuracy)} and group A's from ${pct(A0.accuracy)} to ${pct(A1.accuracy)}; the equalised-odds difference went from ${plain.test.equalisedOddsDifference.toFixed(3)} to ${reweighted.test.equalisedOddsDifference.toFixed(3)}${reweighted.test.equalisedOddsDifference < plain.test.equalisedOddsDifference ? '' : ' (no improvement)'}.`);
  report.conclusion(`Per-group thresholds fitted on validation (target FNR ${pct(TARGET_FNR)}) gave test FNRs of ${pct(thrAudit.groups[0].fnr)} (A) and ${pct(thrAudit.groups[1].fnr)} (B), at FPRs of ${pct(thrAudit.groups[0].fpr)} and ${pct(thrAudit.groups[1].fpr)}: ${thrAudit.groups[1].fpr > B0.fpr ? "B's false negatives were bought with more false positives" : "B's FPR did not rise"}; overall accuracy ${pct(accuracy(thrPreds, data.test.labels))} vs ${pct(plain.testAcc)} at 0.5.`);
  if (seedList.length > 1) {
    const ms = (v: number[]) => `${pct(mean(v))} ± ${pct(std(v))}`;
    report.conclusion(`Over ${seedList.length} seeds group B's test error was ${ms(errB.plain)} without and ${ms(errB.reweighted)} with reweighting; reweighting lowered it in ${errB.plain.filter((e, i) => errB.reweighted[i]! < e).length} of ${seedList.length} seeds.`);
  }
  const [over, reg] = Object.values(attacks) as [typeof attacks[string], typeof attacks[string]];
  report.conclusion(`The membership attack reached AUC ${over.auc.toFixed(3)} on the over-fitted model (train accuracy ${pct(over.trainAcc)}, held-out ${pct(over.heldAcc)}) and ${reg.auc.toFixed(3)} with L2: ${over.auc - reg.auc > 0.02 ? 'regularisation made the training images harder to tell apart' : 'no clear difference between the two in this run'} (0.5 = the attacker learns nothing).`);
  const [pA, pB, rA, rB] = [meanShare(shares[0]!, 0), meanShare(shares[0]!, 1), meanShare(shares[1]!, 0), meanShare(shares[1]!, 1)];
  const nB = inGroup(shares[0]!, 1).length;
  report.conclusion(
    `Saliency of the footwear shown: for ${blind(shares[0]!, 1)} of ${nB} group-B images the plain model's gradient was zero everywhere (every hidden ReLU off: it cannot see them at all), against ${blind(shares[0]!, 0)} of ${inGroup(shares[0]!, 0).length} in group A and ${blind(shares[1]!, 1)} of ${nB} group-B images for the reweighted model. ` +
      `Where a map was not zero, ${share(pA)} (A) and ${share(pB)} (B) of the plain model's saliency fell on the object's pixels; reweighted ${share(rA)} and ${share(rB)}.`,
  );
  report.conclusion(`Training took ${trainSeconds.toFixed(1)} s for ${trainSteps} steps (${(totalFlops / 1e9).toFixed(1)} GFLOP, ${(totalFlops / trainSeconds / 1e9).toFixed(2)} GFLOP/s achieved); at an assumed ${ASSUMPTIONS.watts} W, PUE ${ASSUMPTIONS.pue} and ${ASSUMPTIONS.gramsPerKWh} g CO₂/kWh that is ${energy.kWh.toExponential(2)} kWh and ${energy.gramsCO2.toFixed(3)} g CO₂.`);

  runs.forEach((r) => r.net.dispose());
  tf.dispose([xVal, xTest]);
  return {
    metrics: {
      epochs,
      sizes,
      strengths: runs.map((r) => ({ strength: r.strength, accuracy: r.testAcc, audit: r.test })),
      thresholds: { target: TARGET_FNR, fitted: thr.thresholds, audit: thrAudit },
      membership: Object.fromEntries(Object.entries(attacks).map(([k, a]) => [k, { auc: a.auc, trainAcc: a.trainAcc, heldAcc: a.heldAcc }])),
      saliencyObjectShare: { plain: { A: meanShare(shares[0]!, 0), B: meanShare(shares[0]!, 1) }, reweighted: { A: meanShare(shares[1]!, 0), B: meanShare(shares[1]!, 1) } },
      groupBErrorBySeed: { seeds: seedList, ...errB },
      cost: { flopsPerStep, trainSteps, totalFlops, trainSeconds, assumptions: ASSUMPTIONS, ...energy },
    },
    plots,
  };
}

function mean(v: ArrayLike<number>): number {
  return Array.from(v).reduce((a, b) => a + b, 0) / v.length;
}
function std(v: number[]): number {
  const m = mean(v);
  return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, v.length - 1));
}
