/**
 * compileStep (lib/backend/graph): a training step run as one TensorFlow graph must train exactly
 * like the same step run eagerly. Two copies of each model are built from the same seeds; one
 * trains eagerly, one through compileStep, on a different batch every step, for 20 steps; the
 * losses of every step and every weight (model + optimiser state + batch-norm statistics) at the
 * end must agree within 1e-4, and the compiled one must really have run as a graph.
 *
 * Also: steps the trace can't capture (values read back mid-step; random numbers drawn in JS when
 * the shadow pass is off) and other backends fall back to eager with a reason. The shadow pass
 * (per-call constants, plain-object results) has its own tests: graph-shadow.test.ts.
 *
 * Native only: skipped where tfjs-node doesn't load, unless COURSE_REQUIRE_NATIVE=1 (CI), where
 * that is a failure.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, test } from 'vitest';
import { compileStep } from '../../lib/backend/graph/index.js';
import { makeRng, seedEverything } from '../../lib/random.js';
import { loadNativeBackend, useNativeBackend } from '../support/native-backend.js';

const STEPS = 20;
const TOLERANCE = 1e-4;
const required = process.env.COURSE_REQUIRE_NATIVE === '1';

const { available: native, reason } = await loadNativeBackend();
if (!native) console.warn(`[graph-step.test] ${required ? 'FAILING' : 'skipped'}: the compiled step needs tfjs-node (${reason})`);
useNativeBackend(native);

test.runIf(required)('tfjs-node loads (COURSE_REQUIRE_NATIVE=1)', () => {
  expect(native).toBe(true);
});

/** Seeded batch i: [n, ...shape] uniform in [lo, hi). */
function batch(seed: number, shape: number[], lo = 0, hi = 1): tf.Tensor {
  const rng = makeRng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => lo + (hi - lo) * rng.next()), shape);
}

function oneHotBatch(seed: number, n: number, classes: number): tf.Tensor {
  const rng = makeRng(seed);
  return tf.oneHot(tf.tensor1d(Array.from({ length: n }, () => rng.int(classes)), 'int32'), classes).toFloat();
}

interface Trainee {
  /** the step: returns the loss (or losses) */
  fn: (...args: tf.Tensor[]) => tf.Tensor | tf.Tensor[] | number | null;
  /** arguments for step i (fresh tensors; disposed by the caller) */
  args: (i: number) => tf.Tensor[];
  /** everything that must agree at the end */
  state: () => Promise<tf.Tensor[]>;
  dispose: () => void;
}

const losses = (out: tf.Tensor | tf.Tensor[] | number | null): number[] =>
  typeof out === 'number' ? [out] : [out].flat().filter((t): t is tf.Tensor => t !== null).map((t) => t.dataSync()[0]!);

async function agreement(make: () => Trainee): Promise<{ mode: string; reason: string | null; maxLossDiff: number; maxWeightDiff: number }> {
  const eager = make();
  const graph = make();
  const step = compileStep(graph.fn, { log: null });
  let maxLossDiff = 0;
  for (let i = 0; i < STEPS; i++) {
    const a = eager.args(i);
    const b = graph.args(i);
    const la = tf.tidy(() => losses(eager.fn(...a)));
    const lb = tf.tidy(() => losses(step(...b)));
    expect(lb.length).toBe(la.length);
    la.forEach((v, k) => (maxLossDiff = Math.max(maxLossDiff, Math.abs(v - lb[k]!))));
    tf.dispose([...a, ...b]);
  }
  const sa = await eager.state();
  const sb = await graph.state();
  expect(sb.length).toBe(sa.length);
  let maxWeightDiff = 0;
  sa.forEach((w, k) => {
    expect(sb[k]!.shape).toEqual(w.shape);
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(w, sb[k]!))).dataSync()[0]!);
    maxWeightDiff = Math.max(maxWeightDiff, diff);
  });
  const result = { mode: step.mode, reason: step.reason, maxLossDiff, maxWeightDiff };
  step.dispose();
  eager.dispose();
  graph.dispose();
  return result;
}

const glorot = (seed: number) => tf.initializers.glorotUniform({ seed });

/** The step ran as a graph (no fallback) and matched eager training within TOLERANCE. */
function expectCompiledAgrees(r: Awaited<ReturnType<typeof agreement>>, label?: string): void {
  expect(r.reason, label).toBeNull();
  expect(r.mode, label).toBe('graph');
  expect(r.maxLossDiff, label).toBeLessThanOrEqual(TOLERANCE);
  expect(r.maxWeightDiff, label).toBeLessThanOrEqual(TOLERANCE);
}

async function modelState(model: tf.LayersModel, opt: tf.Optimizer): Promise<tf.Tensor[]> {
  return [...model.weights.map((w) => w.read()), ...(await opt.getWeights()).map((w) => w.tensor)];
}

function classifierStep(model: tf.LayersModel, opt: tf.Optimizer) {
  return (x: tf.Tensor, y: tf.Tensor) =>
    opt.minimize(() => tf.metrics.categoricalCrossentropy(y, model.apply(x, { training: true }) as tf.Tensor).mean() as tf.Scalar, true);
}

describe.runIf(native)('compiled step agrees with the eager step over 20 steps', () => {
  test('MLP (dense ReLU → softmax, Adam)', async () => {
    const r = await agreement(() => {
      const model = tf.sequential({
        layers: [
          tf.layers.dense({ inputShape: [20], units: 32, activation: 'relu', kernelInitializer: glorot(1) }),
          tf.layers.dense({ units: 16, activation: 'tanh', kernelInitializer: glorot(2) }),
          tf.layers.dense({ units: 5, activation: 'softmax', kernelInitializer: glorot(3) }),
        ],
      });
      const opt = tf.train.adam(0.01);
      return {
        fn: classifierStep(model, opt),
        args: (i) => [batch(100 + i, [16, 20]), oneHotBatch(200 + i, 16, 5)],
        state: () => modelState(model, opt),
        dispose: () => {
          model.dispose();
          opt.dispose();
        },
      };
    });
    expectCompiledAgrees(r);
  });

  test('LSTM and GRU char models (one-hot chars → RNN → softmax, RMSprop)', async () => {
    for (const cell of ['lstm', 'gru'] as const) {
      const r = await agreement(() => {
        const rnn = { inputShape: [8, 12], units: 16, kernelInitializer: glorot(1), recurrentInitializer: glorot(2) };
        const model = tf.sequential({
          layers: [
            cell === 'lstm' ? tf.layers.lstm(rnn) : tf.layers.gru(rnn),
            tf.layers.dense({ units: 12, activation: 'softmax', kernelInitializer: glorot(3) }),
          ],
        });
        const opt = tf.train.rmsprop(0.01);
        return {
          fn: classifierStep(model, opt),
          args: (i) => [tf.tidy(() => tf.stack(Array.from({ length: 8 }, (_, t) => oneHotBatch(300 + 10 * i + t, 6, 12)), 1)), oneHotBatch(400 + i, 6, 12)],
          state: () => modelState(model, opt),
          dispose: () => {
            model.dispose();
            opt.dispose();
          },
        };
      });
      expectCompiledAgrees(r, cell);
    }
  });

  test('conv net with batch norm (moving statistics included)', async () => {
    const r = await agreement(() => {
      const L = tf.layers;
      const model = tf.sequential({
        layers: [
          // No conv bias before batch norm: its true gradient is 0, so its float noise (which
          // differs between any two op orders) would be scaled up to lr-sized steps by Adam.
          L.conv2d({ inputShape: [10, 10, 2], filters: 6, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: glorot(1) }),
          L.batchNormalization(),
          L.reLU(),
          L.maxPooling2d({ poolSize: 2 }),
          L.flatten(),
          L.dense({ units: 4, activation: 'softmax', kernelInitializer: glorot(2) }),
        ],
      });
      const opt = tf.train.adam(0.01);
      return {
        fn: classifierStep(model, opt),
        args: (i) => [batch(500 + i, [8, 10, 10, 2], -1, 1), oneHotBatch(600 + i, 8, 4)],
        state: () => modelState(model, opt),
        dispose: () => {
          model.dispose();
          opt.dispose();
        },
      };
    });
    expectCompiledAgrees(r);
  });

  test('DCGAN two-network step (D then G, noise as arguments)', async () => {
    const r = await agreement(() => {
      const L = tf.layers;
      const g = tf.sequential({
        layers: [
          L.dense({ inputShape: [6], units: 4 * 4 * 8, useBias: false, kernelInitializer: glorot(1) }),
          L.batchNormalization(),
          L.reLU(),
          L.reshape({ targetShape: [4, 4, 8] }),
          L.conv2dTranspose({ filters: 4, kernelSize: 4, strides: 2, padding: 'same', useBias: false, kernelInitializer: glorot(2) }),
          L.batchNormalization(),
          L.reLU(),
          L.conv2dTranspose({ filters: 1, kernelSize: 4, strides: 2, padding: 'same', activation: 'tanh', kernelInitializer: glorot(3) }),
        ],
      });
      const d = tf.sequential({
        layers: [
          L.conv2d({ inputShape: [16, 16, 1], filters: 4, kernelSize: 4, strides: 2, padding: 'same', kernelInitializer: glorot(4) }),
          L.leakyReLU({ alpha: 0.2 }),
          L.flatten(),
          L.dense({ units: 1, kernelInitializer: glorot(5) }),
        ],
      });
      const gOpt = tf.train.adam(2e-3, 0.5);
      const dOpt = tf.train.adam(2e-3, 0.5);
      const bce = (labels: tf.Tensor, logits: tf.Tensor) => tf.losses.sigmoidCrossEntropy(labels, logits);
      const fn = (z1: tf.Tensor, z2: tf.Tensor, real: tf.Tensor) => {
        const ones = tf.onesLike(tf.slice(z1, [0, 0], [-1, 1]));
        const zeros = tf.zerosLike(ones);
        const dLoss = dOpt.minimize(() => {
          const fake = g.apply(z1, { training: true }) as tf.Tensor;
          return tf.add(bce(ones, d.apply(real, { training: true }) as tf.Tensor), bce(zeros, d.apply(fake, { training: true }) as tf.Tensor)) as tf.Scalar;
        }, true, d.trainableWeights.map((w) => w.read() as tf.Variable));
        const gLoss = gOpt.minimize(() => {
          const fake = g.apply(z2, { training: true }) as tf.Tensor;
          return bce(ones, d.apply(fake, { training: true }) as tf.Tensor) as tf.Scalar;
        }, true, g.trainableWeights.map((w) => w.read() as tf.Variable));
        tf.dispose([ones, zeros]);
        return [dLoss!, gLoss!];
      };
      return {
        fn,
        args: (i) => [batch(700 + i, [8, 6], -1, 1), batch(800 + i, [8, 6], -1, 1), batch(900 + i, [8, 16, 16, 1], -1, 1)],
        state: async () => [...(await modelState(g, gOpt)), ...(await modelState(d, dOpt))],
        dispose: () => {
          g.dispose();
          d.dispose();
          gOpt.dispose();
          dOpt.dispose();
        },
      };
    });
    expectCompiledAgrees(r);
  });
});

describe.runIf(native)('a step that returns its loss as a number', () => {
  test("03-char-rnn's trainStep (embedding → LSTM, global-norm clipping, Adam; returns dataSync()[0])", async () => {
    const { buildCharModel, makeOptimizer, trainStep } = await import('../../solutions/03-char-rnn/index.js');
    const r = await agreement(() => {
      seedEverything(5); // buildCharModel's initialisers draw from the global seed: same weights twice
      const model = buildCharModel({ vocabSize: 11, embeddingDim: 4, cell: 'lstm', units: 8, layers: 1, dropout: 0 });
      const opt = makeOptimizer(0.01);
      const ids = (seed: number) => {
        const rng = makeRng(seed);
        return tf.tensor2d(Array.from({ length: 6 * 7 }, () => rng.int(11)), [6, 7], 'int32');
      };
      return {
        fn: (x, y) => trainStep(model, opt, x, y, 1),
        args: (i) => [ids(1000 + i), ids(2000 + i)],
        state: () => modelState(model, opt),
        dispose: () => {
          model.dispose();
          opt.dispose();
        },
      };
    });
    expectCompiledAgrees(r);
  });
});

describe.runIf(native)('what the trace cannot capture runs eagerly, with the reason', () => {
  const small = () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 3, kernelInitializer: glorot(1) })] });
    const opt = tf.train.sgd(0.1);
    return { model, opt };
  };
  const run = (fn: (...a: tf.Tensor[]) => tf.Tensor | null) => {
    const step = compileStep(fn, { log: null });
    const x = batch(1, [5, 4]);
    for (let i = 0; i < 5; i++) tf.dispose(step(x) ?? []);
    x.dispose();
    return step;
  };

  test('random numbers drawn in JavaScript (dropout) differ between calls: the shadow pass runs them (graph-shadow.test.ts), or eager when it is off', () => {
    const { model, opt } = small();
    const fn = (x: tf.Tensor) => opt.minimize(() => tf.mean(tf.square(tf.dropout(model.apply(x) as tf.Tensor, 0.5))) as tf.Scalar, true);
    const step = run(fn);
    expect(step.mode).toBe('graph');
    expect(step.shadow).toBe(true);
    const off = compileStep(fn, { log: null, shadow: false });
    const x = batch(1, [5, 4]);
    for (let i = 0; i < 4; i++) tf.dispose(off(x) ?? []);
    x.dispose();
    expect(off.mode).toBe('eager');
    expect(off.reason).toMatch(/different constant values/);
    step.dispose();
    model.dispose();
  });

  test('a value read back to JavaScript in the middle of the step', () => {
    const { model, opt } = small();
    const step = run((x) =>
      opt.minimize(() => {
        const out = model.apply(x) as tf.Tensor;
        const scale = tf.max(out).dataSync()[0]!; // JS sees a value, then uses it
        return tf.mean(tf.square(tf.div(out, scale + 1))) as tf.Scalar;
      }, true),
    );
    expect(step.mode).toBe('eager');
    expect(step.reason).toMatch(/reads values back/);
    model.dispose();
  });

  test('a batch of another shape runs eagerly; the graph is used again afterwards', () => {
    const { model, opt } = small();
    const step = compileStep((x: tf.Tensor) => opt.minimize(() => tf.mean(tf.square(model.apply(x) as tf.Tensor)) as tf.Scalar, true), { log: null });
    const x = batch(1, [5, 4]);
    const smaller = batch(2, [3, 4]);
    for (let i = 0; i < 4; i++) tf.dispose(step(x) ?? []);
    expect(step.mode).toBe('graph');
    const before = model.getWeights()[0]!.dataSync().slice();
    const loss = step(smaller)!;
    expect(Number.isFinite(loss.dataSync()[0]!)).toBe(true);
    expect(model.getWeights()[0]!.dataSync()).not.toEqual(before); // the eager step trained
    tf.dispose([loss, step(x) ?? []]);
    expect(step.mode).toBe('graph');
    step.dispose();
    tf.dispose([x, smaller]);
    model.dispose();
  });

  test('another backend', async () => {
    await tf.setBackend('cpu');
    try {
      const { model, opt } = small();
      const step = run((x) => opt.minimize(() => tf.mean(tf.square(model.apply(x) as tf.Tensor)) as tf.Scalar, true));
      expect(step.mode).toBe('eager');
      expect(step.reason).toMatch(/'cpu'/);
      model.dispose();
    } finally {
      await tf.setBackend('tensorflow');
    }
  });
});
