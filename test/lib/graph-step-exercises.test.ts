/**
 * The exercises' own compiled training steps (lib/backend/graph compileStep where the project
 * owns the loop) train exactly like their eager versions: the same seeds, 20 steps on a different
 * batch each step, every step's loss and every parameter (and optimiser state) at the end within
 * 1e-4, and the compiled one really ran as a graph (mode 'graph').
 *
 *   01  the full run's hand-written SGD step (sgdStepFunction: parameters in, new parameters out)
 *   02  trainEpoch's batch step (batchStep: Adam on softmax cross-entropy, correct count), through
 *       trainEpoch itself (its last, smaller batch runs eagerly), and withGraphSteps's scope
 *   05  fitModel inside withGraphSteps (what the full run's trainWithAdam strategies use):
 *       trainOnBatch's own train function compiled — loss, metrics, regularisers, only the
 *       weights compile collected (a frozen base stays bit-identical); and the bench's
 *       fine-tuning graph step (bench/cases/05 fineTuneStep) against fineTune itself
 *
 * Native only: skipped where tfjs-node doesn't load, unless COURSE_REQUIRE_NATIVE=1 (CI), where
 * that is a failure.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, test, vi } from 'vitest';
import { compileStep } from '../../lib/backend/graph/index.js';
import { makeRng } from '../../lib/random.js';
import { batchStep, trainEpoch, type EpochLogs } from '../../lib/train/classifier-epoch.js';
import { type StepReport, scopedStep, withGraphSteps } from '../../lib/train/graph-scope.js';
import { fitModel, type History } from '../../lib/train/index.js';
import { trainWithAdam } from '../../lib/models/transfer-data.js';
import { buildBaseCnn } from '../../lib/pretrain/transfer-base.js';
import { buildTransferModel, fineTune } from '../../solutions/05-transfer-learning/index.js';
import { fineTuneStep } from '../../bench/cases/05-transfer-learning.js';
import { buildMlp, makeOptimizer } from '../../solutions/02-activations/index.js';
import * as ffnn from '../../solutions/01-ffnn-from-scratch/index.js';
import { flattenParams, sgdStepFunction, unflattenParams } from '../../solutions/01-ffnn-from-scratch/train.js';
import { loadNativeBackend, useNativeBackend } from '../support/native-backend.js';

const STEPS = 20;
const TOLERANCE = 1e-4;
const required = process.env.COURSE_REQUIRE_NATIVE === '1';

const { available: native, reason } = await loadNativeBackend();
if (!native) console.warn(`[graph-step-exercises.test] ${required ? 'FAILING' : 'skipped'}: compiled steps need tfjs-node (${reason})`);
useNativeBackend(native);

test.runIf(required)('tfjs-node loads (COURSE_REQUIRE_NATIVE=1)', () => {
  expect(native).toBe(true);
});

/** Seeded inputs [n, features] uniform in [-1, 1) and one-hot targets [n, classes]. */
function batch(seed: number, n: number, features: number, classes: number): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const rng = makeRng(seed);
  const x = tf.tensor2d(Float32Array.from({ length: n * features }, () => 2 * rng.next() - 1), [n, features]);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(Array.from({ length: n }, () => rng.int(classes)), 'int32'), classes).toFloat() as tf.Tensor2D);
  return { x, y };
}

const maxDiff = (a: tf.Tensor, b: tf.Tensor): number => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);

describe.runIf(native)('01-ffnn-from-scratch: the full run\'s compiled SGD step', () => {
  test('agrees with the eager step over 20 steps, runs as a graph, and frees the old parameters', () => {
    const net: ffnn.NetConfig = { hidden: 'relu', output: 'softmax' };
    const sizes = [6, 16, 8, 3];
    const fn = sgdStepFunction(ffnn, net, 0.1);
    const step = compileStep(fn, { log: null });
    let eager = ffnn.initParams(sizes, 'he', 7);
    let graph = ffnn.initParams(sizes, 'he', 7);
    let maxLossDiff = 0;
    let tensorsAfterStep5 = 0;
    for (let i = 0; i < STEPS; i++) {
      const { x, y } = batch(100 + i, 12, sizes[0]!, sizes.at(-1)!);
      const [le, ...ne] = fn(x, y, ...flattenParams(eager));
      const [lg, ...ng] = step(x, y, ...flattenParams(graph));
      maxLossDiff = Math.max(maxLossDiff, Math.abs(le!.dataSync()[0]! - lg!.dataSync()[0]!));
      tf.dispose([x, y, le!, lg!]);
      ffnn.disposeParams(eager);
      ffnn.disposeParams(graph);
      eager = unflattenParams(ne);
      graph = unflattenParams(ng);
      if (i === 5) tensorsAfterStep5 = tf.memory().numTensors;
    }
    expect(step.reason).toBeNull();
    expect(step.mode).toBe('graph');
    // graph steps (4th call on) make exactly the tensors they hand back: nothing piles up
    expect(tf.memory().numTensors).toBe(tensorsAfterStep5);
    expect(maxLossDiff).toBeLessThanOrEqual(TOLERANCE);
    const weightDiff = Math.max(...flattenParams(eager).map((w, k) => maxDiff(w, flattenParams(graph)[k]!)));
    expect(weightDiff).toBeLessThanOrEqual(TOLERANCE);
    step.dispose();
    ffnn.disposeParams(eager);
    ffnn.disposeParams(graph);
  });
});

describe.runIf(native)('02-activations: trainEpoch\'s compiled batch step', () => {
  // 11 batches of 16 per epoch (the 11th has 10 rows and runs eagerly), 2 epochs: 20 compiled-or-traced steps
  const n = 170;
  const make = () => {
    const model = buildMlp({ activation: 'gelu', hidden: [32, 24], seed: 3, inputSize: 12, numClasses: 4 });
    return { model, optimizer: makeOptimizer({ name: 'adam', learningRate: 1e-2 }) };
  };
  const state = async (m: ReturnType<typeof make>): Promise<tf.Tensor[]> => [
    ...m.model.weights.map((w) => w.read()),
    ...(await m.optimizer.getWeights()).map((w) => w.tensor),
  ];

  test('trainEpoch with a compiled step agrees with the eager trainEpoch over 2 epochs and runs as a graph', async () => {
    const { x, y } = batch(200, n, 12, 4);
    const data = { x, y, labels: new Int32Array(n) };
    const eager = make();
    const graph = make();
    const step = compileStep(batchStep(graph.model, graph.optimizer), { log: null });
    const rngE = makeRng(5);
    const rngG = makeRng(5);
    const logs: [EpochLogs, EpochLogs][] = [];
    for (let epoch = 0; epoch < 2; epoch++) {
      logs.push([trainEpoch(eager.model, eager.optimizer, data, 16, rngE), trainEpoch(graph.model, graph.optimizer, data, 16, rngG, step)]);
    }
    expect(step.reason).toBeNull();
    expect(step.mode).toBe('graph');
    for (const [e, g] of logs) {
      expect(Math.abs(e.loss - g.loss)).toBeLessThanOrEqual(TOLERANCE);
      expect(g.accuracy).toBeCloseTo(e.accuracy, 6); // counts: the same predictions
    }
    const [se, sg] = [await state(eager), await state(graph)];
    expect(sg.length).toBe(se.length);
    expect(Math.max(...se.map((w, k) => maxDiff(w, sg[k]!)))).toBeLessThanOrEqual(TOLERANCE);
    step.dispose();
    for (const m of [eager, graph]) {
      m.model.dispose();
      m.optimizer.dispose();
    }
    tf.dispose([x, y]);
  });

  test('inside withGraphSteps trainEpoch compiles its step once per model and optimizer, and the scope disposes it', () => {
    const { x, y } = batch(300, 64, 12, 4);
    const data = { x, y, labels: new Int32Array(64) };
    const m = make();
    const rng = makeRng(1);
    const { compiled, modeInside } = withGraphSteps(() => {
      for (let epoch = 0; epoch < 2; epoch++) trainEpoch(m.model, m.optimizer, data, 16, rng); // 8 steps
      const step = scopedStep([m.model, m.optimizer], 'trainEpoch', () => {
        throw new Error('trainEpoch made no compiled step for this model and optimizer');
      })!;
      return { compiled: step, modeInside: step.mode };
    });
    expect(modeInside).toBe('graph');
    expect(compiled.reason).toBe('disposed');
    expect(compiled.mode).toBe('eager');
    expect(compiled.opCount).toBe(0);
    // outside the scope: eager, no step
    expect(scopedStep([m.model, m.optimizer], 'trainEpoch', () => batchStep(m.model, m.optimizer))).toBeNull();
    m.model.dispose();
    m.optimizer.dispose();
    tf.dispose([x, y]);
  });
});

describe.runIf(native)('withGraphSteps fallbacks', () => {
  test('a step that can\'t be compiled (dropout with the shadow pass off) trains eagerly, and the full run prints one line for all its models', () => {
    const { x, y } = batch(500, 64, 12, 4);
    // Dropout draws its masks in JS: compileStep's shadow pass runs that as a graph; off, it can't.
    process.env.COURSE_GRAPH_SHADOW = '0';
    const data = { x, y, labels: new Int32Array(64) };
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const reports: StepReport[] = [];
    const logs: EpochLogs[] = [];
    try {
      for (let k = 0; k < 2; k++) {
        // like the 02 full run: one scope per model
        const model = tf.sequential({
          layers: [tf.layers.dense({ inputShape: [12], units: 16, activation: 'relu' }), tf.layers.dropout({ rate: 0.5 }), tf.layers.dense({ units: 4 })],
        });
        const optimizer = tf.train.adam(1e-2);
        const rng = makeRng(k);
        withGraphSteps(() => {
          for (let epoch = 0; epoch < 2; epoch++) logs.push(trainEpoch(model, optimizer, data, 16, rng));
        }, { onRelease: (r) => reports.push(r) });
        model.dispose();
        optimizer.dispose();
      }
      const lines = errors.mock.calls.map((c) => String(c[0])).filter((l) => l.includes('(trainEpoch) runs eagerly'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/different ops or used different constant values/);
    } finally {
      errors.mockRestore();
      delete process.env.COURSE_GRAPH_SHADOW;
    }
    expect(reports.map((r) => r.mode)).toEqual(['eager', 'eager']);
    expect(logs.every((l) => Number.isFinite(l.loss))).toBe(true);
    tf.dispose([x, y]);
  });
});

describe.runIf(native)('05-transfer-learning: fitModel\'s compiled trainOnBatch step', () => {
  /** Trains two copies, one eagerly and one inside withGraphSteps; everything must agree. */
  async function fitAgreement(make: () => tf.LayersModel, train: (m: tf.LayersModel) => Promise<History>) {
    const eager = make();
    const graph = make();
    const he = await train(eager);
    const reports: StepReport[] = [];
    const hg = await withGraphSteps(() => train(graph), { onRelease: (r) => reports.push(r) });
    expect(reports.map((r) => [r.name, r.mode, r.reason])).toEqual([['fitModel', 'graph', null]]);
    expect(Object.keys(hg).sort()).toEqual(Object.keys(he).sort());
    let maxLossDiff = 0;
    for (const key of Object.keys(he)) {
      expect(hg[key]!.length).toBe(he[key]!.length);
      he[key]!.forEach((v, i) => (maxLossDiff = Math.max(maxLossDiff, Math.abs(v - hg[key]![i]!))));
    }
    expect(maxLossDiff).toBeLessThanOrEqual(TOLERANCE);
    const state = async (m: tf.LayersModel) => [...m.weights.map((w) => w.read()), ...(await m.optimizer.getWeights()).map((w) => w.tensor)];
    const [se, sg] = [await state(eager), await state(graph)];
    expect(sg.length).toBe(se.length);
    expect(Math.max(...se.map((w, k) => maxDiff(w, sg[k]!)))).toBeLessThanOrEqual(TOLERANCE);
    return { eager, graph, dispose: () => [eager, graph].forEach((m) => m.dispose()) };
  }

  test('trainWithAdam on a frozen transfer base (feature extraction): same history and weights, base unchanged, ran as a graph', async () => {
    const n = 40;
    const rng = makeRng(11);
    const x = tf.tensor4d(Float32Array.from({ length: n * 28 * 28 }, () => rng.next()), [n, 28, 28, 1]);
    const y = tf.tidy(() => tf.oneHot(tf.tensor1d(Array.from({ length: n }, () => rng.int(5)), 'int32'), 5).toFloat() as tf.Tensor2D);
    const data = { x, y, labels: new Int32Array(n) };
    const make = () => buildTransferModel(buildBaseCnn(1), { numClasses: 5, cutAt: 'flatten', freeze: true, seed: 2 });
    const before = make();
    const conv1 = before.getLayer('conv1').getWeights()[0]!;
    const r = await fitAgreement(make, (m) => trainWithAdam(m, data, { learningRate: 1e-2, epochs: 4, batchSize: 8, seed: 3, quiet: true })); // 20 steps
    expect(maxDiff(r.graph.getLayer('conv1').getWeights()[0]!, conv1)).toBe(0); // frozen: bit-identical
    r.dispose();
    before.dispose();
    tf.dispose([x, y]);
  });

  test('fitModel on an MLP with an L2 regulariser and a smaller last batch: same history and weights, ran as a graph', async () => {
    const { x, y } = batch(400, 90, 10, 3); // 12 batches of 8 per epoch, the last of 2 eager
    const make = () => {
      const m = tf.sequential({
        layers: [
          tf.layers.dense({ inputShape: [10], units: 16, activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }), kernelRegularizer: tf.regularizers.l2({ l2: 0.01 }) }),
          tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
        ],
      });
      m.compile({ optimizer: tf.train.adam(1e-2), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
      return m;
    };
    const r = await fitAgreement(make, async (m) => (await fitModel(m, x, y, { epochs: 2, batchSize: 8, seed: 4, quiet: true })).history);
    r.dispose();
    tf.dispose([x, y]);
  });
});

describe.runIf(native)('05-transfer-learning: the bench\'s compiled fine-tuning step', () => {
  test('trains like fineTune (20 steps: one batch per epoch, two Adams), and runs as a graph', async () => {
    const n = 10;
    const rng = makeRng(21);
    const x = tf.tensor4d(Float32Array.from({ length: n * 28 * 28 }, () => rng.next()), [n, 28, 28, 1]);
    const y = tf.tidy(() => tf.oneHot(tf.tensor1d(Array.from({ length: n }, () => rng.int(5)), 'int32'), 5).toFloat() as tf.Tensor2D);
    const make = () => buildTransferModel(buildBaseCnn(1), { numClasses: 5, cutAt: 'flatten', freeze: true, seed: 2 });
    const eager = make();
    const graph = make();
    const history = await fineTune(eager, { x, y, labels: new Int32Array(n) }, { unfreezeFrom: 'conv3', learningRate: 1e-3, headLearningRate: 1e-2, epochs: STEPS, batchSize: n, quiet: true });
    const ft = fineTuneStep(graph, 'conv3', 1e-3, 1e-2);
    const step = compileStep(ft.fn, { log: null });
    const losses = Array.from({ length: STEPS }, () => {
      const l = step(x, y);
      const v = l.dataSync()[0]!;
      l.dispose();
      return v;
    });
    expect(step.reason).toBeNull();
    expect(step.mode).toBe('graph');
    expect(history.loss).toHaveLength(STEPS);
    expect(Math.max(...losses.map((v, i) => Math.abs(v - history.loss![i]!)))).toBeLessThanOrEqual(TOLERANCE);
    expect(Math.max(...eager.weights.map((w, k) => maxDiff(w.read(), graph.weights[k]!.read())))).toBeLessThanOrEqual(TOLERANCE);
    step.dispose();
    ft.dispose();
    eager.dispose();
    graph.dispose();
    tf.dispose([x, y]);
  });
});
