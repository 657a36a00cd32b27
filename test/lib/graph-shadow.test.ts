/**
 * compileStep's shadow pass (lib/backend/graph/shadow.ts): steps whose graph is fixed but whose
 * constants change per call (random numbers drawn in JavaScript, a JS step counter) or that
 * return plain objects run as one session run per call, and must train exactly like the same step
 * run eagerly. Two copies of each model from the same seeds (and the same JS random streams), one
 * eager and one compiled, 20 steps: every step's losses and every weight (model + optimiser state)
 * at the end agree within 1e-4, and the compiled one really ran as a graph through the shadow pass.
 *
 * Also: no native tensor leaks (engine and binding counts stay flat over many steps), a call that
 * leaves the recorded graph finishes eagerly with eager's result, and the shadow pass stays off
 * for steps with identical recordings.
 *
 * Native only (skipped where tfjs-node doesn't load, unless COURSE_REQUIRE_NATIVE=1).
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, test } from 'vitest';
import { type CompiledStep, compileStep } from '../../lib/backend/graph/index.js';
import { makeRng, seedEverything } from '../../lib/random.js';
import { loadNativeBackend, useNativeBackend } from '../support/native-backend.js';

const STEPS = 20;
const TOLERANCE = 1e-4;

const { available: native } = await loadNativeBackend();
useNativeBackend(native);

function batch(seed: number, shape: number[], lo = 0, hi = 1): tf.Tensor {
  const rng = makeRng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => lo + (hi - lo) * rng.next()), shape);
}

function oneHotBatch(seed: number, n: number, classes: number): tf.Tensor {
  const rng = makeRng(seed);
  return tf.tidy(() => tf.oneHot(tf.tensor1d(Array.from({ length: n }, () => rng.int(classes)), 'int32'), classes).toFloat());
}

const glorot = (seed: number) => tf.initializers.glorotUniform({ seed });

/** The native binding's live tensor count. */
function nativeTensors(): number {
  return (tf.backend() as unknown as { binding: { getNumOfTensors(): number } }).binding.getNumOfTensors();
}

async function maxDiff(a: tf.Tensor[], b: tf.Tensor[]): Promise<number> {
  expect(b.length).toBe(a.length);
  let m = 0;
  a.forEach((w, k) => {
    expect(b[k]!.shape).toEqual(w.shape);
    m = Math.max(m, tf.tidy(() => tf.max(tf.abs(tf.sub(w, b[k]!))).dataSync()[0]!));
  });
  return m;
}

interface Copy<A> {
  /** one training step on step i's data; returns its losses as numbers */
  step: (i: number, run: (...args: tf.Tensor[]) => A) => number[];
  /** the function to compile */
  fn: (...args: tf.Tensor[]) => A;
  /** everything that must agree at the end */
  state: () => Promise<tf.Tensor[]>;
  dispose: () => void;
}

/** Train an eager copy and a compiled copy side by side; return the verdict numbers. */
async function shadowAgreement<A extends object | number | tf.Tensor | null>(make: () => Copy<A>) {
  const eager = make();
  const graph = make();
  const step = compileStep(graph.fn, { log: null }) as CompiledStep<A>;
  let maxLossDiff = 0;
  for (let i = 0; i < STEPS; i++) {
    // the JS random streams tfjs falls back to (Math.random) start alike for both copies
    seedEverything(1000 + i);
    const la = eager.step(i, eager.fn);
    seedEverything(1000 + i);
    const lb = graph.step(i, step);
    expect(lb.length).toBe(la.length);
    la.forEach((v, k) => (maxLossDiff = Math.max(maxLossDiff, Math.abs(v - lb[k]!))));
  }
  const maxWeightDiff = await maxDiff(await eager.state(), await graph.state());
  const verdict = { mode: step.mode, reason: step.reason, shadow: step.shadow, recoveries: step.recoveries.count, maxLossDiff, maxWeightDiff };
  step.dispose();
  eager.dispose();
  graph.dispose();
  return verdict;
}

function expectShadowAgrees(r: Awaited<ReturnType<typeof shadowAgreement>>): void {
  expect(r.reason).toBeNull();
  expect(r.mode).toBe('graph');
  expect(r.shadow).toBe(true);
  expect(r.recoveries).toBe(0);
  expect(r.maxLossDiff).toBeLessThanOrEqual(TOLERANCE);
  expect(r.maxWeightDiff).toBeLessThanOrEqual(TOLERANCE);
}

async function modelState(model: tf.LayersModel, opt: tf.Optimizer): Promise<tf.Tensor[]> {
  return [...model.weights.map((w) => w.read()), ...(await opt.getWeights()).map((w) => w.tensor)];
}

function dropoutMlp(): { model: tf.LayersModel; opt: tf.Optimizer; fn: (x: tf.Tensor, y: tf.Tensor) => tf.Scalar } {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [20], units: 32, activation: 'relu', kernelInitializer: glorot(1) }),
      tf.layers.dropout({ rate: 0.4 }), // no seed: a fresh mask every step, drawn in JS
      tf.layers.dense({ units: 5, activation: 'softmax', kernelInitializer: glorot(3) }),
    ],
  });
  const opt = tf.train.adam(0.01);
  const fn = (x: tf.Tensor, y: tf.Tensor) =>
    opt.minimize(() => tf.metrics.categoricalCrossentropy(y, model.apply(x, { training: true }) as tf.Tensor).mean() as tf.Scalar, true)!;
  return { model, opt, fn };
}

describe.runIf(native)('shadow pass: compiled steps with per-call constants agree with eager over 20 steps', () => {
  test('MLP with a tfjs-layers Dropout layer (Adam)', async () => {
    const r = await shadowAgreement(() => {
      const { model, opt, fn } = dropoutMlp();
      return {
        fn: fn as (...a: tf.Tensor[]) => tf.Scalar,
        step: (i, run) => {
          const x = batch(100 + i, [16, 20]);
          const y = oneHotBatch(200 + i, 16, 5);
          const loss = run(x, y);
          const v = loss.dataSync()[0]!;
          tf.dispose([x, y, loss]);
          return [v];
        },
        state: () => modelState(model, opt),
        dispose: () => {
          model.dispose();
          opt.dispose();
        },
      };
    });
    expectShadowAgrees(r);
  });

  test("04-dcgan's own trainStep (noise from the course's JS Rng, D dropout, two end-reads, returns { dLoss, gLoss })", async () => {
    const { buildDiscriminator, buildGenerator, trainStep } = await import('../../solutions/04-dcgan/index.js');
    const r = await shadowAgreement(() => {
      const config = { latentDim: 8, width: 4, dropout: 0.3, seed: 3 };
      const models = { generator: buildGenerator(config), discriminator: buildDiscriminator(config) };
      const optimizers = { generator: tf.train.adam(2e-3, 0.5), discriminator: tf.train.adam(2e-3, 0.5) };
      const rng = makeRng(77); // each copy its own stream from the same seed
      type Losses = { dLoss: number; gLoss: number };
      return {
        fn: ((real: tf.Tensor) => trainStep(models, optimizers, real as tf.Tensor4D, rng)) as (...a: tf.Tensor[]) => Losses,
        step: (i, run) => {
          const real = batch(300 + i, [8, 28, 28, 1], -1, 1);
          const l = run(real);
          real.dispose();
          return [l.dLoss, l.gLoss];
        },
        state: async () => [
          ...(await modelState(models.generator, optimizers.generator)),
          ...(await modelState(models.discriminator, optimizers.discriminator)),
          tf.tensor1d([rng.next()]), // the Rng advanced exactly as eager's did
        ],
        dispose: () => {
          models.generator.dispose();
          models.discriminator.dispose();
          optimizers.generator.dispose();
          optimizers.discriminator.dispose();
        },
      };
    });
    expectShadowAgrees(r);
  });

  test("06-regularisation-lab's LabMlp step (per-step seeded dropout, L2, hand-written Adam with a JS step counter)", async () => {
    const impl = await import('../../solutions/06-regularisation-lab/index.js');
    const { LabMlp } = await import('../../solutions/06-regularisation-lab/lab-mlp.js');
    const eager = new LabMlp(impl, { sizes: [12, 16, 16, 4], init: 'he', l2: 1e-2, dropout: 0.5, optimizer: 'adam', learningRate: 1e-2, seed: 4 });
    const graph = new LabMlp(impl, eager.config);
    const step = graph.compile({ log: null });
    let maxLossDiff = 0;
    let maxRatioDiff = 0;
    for (let i = 0; i < STEPS; i++) {
      const x = batch(400 + i, [10, 12]) as tf.Tensor2D;
      const y = oneHotBatch(500 + i, 10, 4) as tf.Tensor2D;
      const a = eager.step(x, y, 7 * i + 1);
      const b = graph.step(x, y, 7 * i + 1);
      maxLossDiff = Math.max(maxLossDiff, Math.abs(a.loss - b.loss));
      a.ratios.forEach((v, k) => (maxRatioDiff = Math.max(maxRatioDiff, Math.abs(v - b.ratios[k]!))));
      tf.dispose([x, y]);
    }
    const sa = eager.snapshot();
    const sb = graph.snapshot();
    const flat = (s: typeof sa) => [...s.layers.flatMap((l) => [...l.W.flat(), ...l.b]), ...s.states.flatMap((st) => (st && 'm' in st ? [...st.m, ...st.v, st.t] : []))];
    const fa = flat(sa);
    const fb = flat(sb);
    expect(fb.length).toBe(fa.length);
    const maxWeightDiff = Math.max(...fa.map((v, k) => Math.abs(v - fb[k]!)));
    expectShadowAgrees({ mode: step.mode, reason: step.reason, shadow: step.shadow, recoveries: step.recoveries.count, maxLossDiff, maxWeightDiff });
    expect(maxRatioDiff).toBeLessThanOrEqual(TOLERANCE);
    expect(sb.states.every((s) => s !== null && 't' in s && s.t === STEPS)).toBe(true); // the JS counter advanced per step
    eager.dispose();
    graph.dispose();
  });
});

describe.runIf(native)("04-dcgan's full run: its batches and compiled trainStep", () => {
  test("trainBatches (eager trainStep) is trainEpoch step for step; with the compiled trainStep it agrees within 1e-4", async () => {
    const gan = await import('../../solutions/04-dcgan/index.js');
    const { trainBatches } = await import('../../solutions/04-dcgan/train.js');
    const make = () => {
      const config = { latentDim: 8, width: 4, dropout: 0.3, seed: 5 };
      return {
        models: { generator: gan.buildGenerator(config), discriminator: gan.buildDiscriminator(config) },
        optimizers: { generator: tf.train.adam(2e-3, 0.5), discriminator: tf.train.adam(2e-3, 0.5) },
      };
    };
    const state = async (r: ReturnType<typeof make>) => [
      ...(await modelState(r.models.generator, r.optimizers.generator)),
      ...(await modelState(r.models.discriminator, r.optimizers.discriminator)),
    ];
    const images = batch(900, [20, 28, 28, 1], -1, 1) as tf.Tensor4D; // 3 full batches of 6, 2 images skipped
    const [ref, driven, graph] = [make(), make(), make()];
    let rng = makeRng(0);
    const step = compileStep((b: tf.Tensor) => gan.trainStep(graph.models, graph.optimizers, b as tf.Tensor4D, rng), { log: null });
    let maxDrivenDiff = 0;
    let maxGraphDiff = 0;
    for (let chunk = 0; chunk < 4; chunk++) {
      seedEverything(chunk);
      const a = gan.trainEpoch(ref.models, ref.optimizers, images, { batchSize: 6, rng: makeRng(10 + chunk) });
      seedEverything(chunk);
      const r = makeRng(10 + chunk);
      const b = trainBatches(images, 6, r, (x) => gan.trainStep(driven.models, driven.optimizers, x, r));
      seedEverything(chunk);
      rng = makeRng(10 + chunk);
      const c = trainBatches(images, 6, rng, (x) => step(x));
      maxDrivenDiff = Math.max(maxDrivenDiff, Math.abs(a.dLoss - b.dLoss), Math.abs(a.gLoss - b.gLoss));
      maxGraphDiff = Math.max(maxGraphDiff, Math.abs(a.dLoss - c.dLoss), Math.abs(a.gLoss - c.gLoss));
    }
    const [sa, sb, sc] = [await state(ref), await state(driven), await state(graph)];
    expect(maxDrivenDiff).toBe(0);
    expect(await maxDiff(sa, sb)).toBe(0);
    expect(step.mode).toBe('graph');
    expect(step.shadow).toBe(true);
    expect(maxGraphDiff).toBeLessThanOrEqual(TOLERANCE);
    expect(await maxDiff(sa, sc)).toBeLessThanOrEqual(TOLERANCE);
    step.dispose();
    images.dispose();
    for (const r of [ref, driven, graph]) {
      r.models.generator.dispose();
      r.models.discriminator.dispose();
      r.optimizers.generator.dispose();
      r.optimizers.discriminator.dispose();
    }
  });
});

describe.runIf(native)('shadow pass: bookkeeping', () => {
  test('no native tensor leaks over many steps (engine and binding counts stay flat)', () => {
    const { model, opt, fn } = dropoutMlp();
    const step = compileStep(fn as (...a: tf.Tensor[]) => tf.Scalar, { log: null });
    const x = batch(1, [16, 20]);
    const y = oneHotBatch(2, 16, 5);
    const run = () => tf.dispose(step(x, y));
    for (let i = 0; i < 6; i++) run();
    expect(step.mode).toBe('graph');
    expect(step.shadow).toBe(true);
    const engine0 = tf.memory().numTensors;
    const native0 = nativeTensors();
    for (let i = 0; i < 40; i++) run();
    expect(tf.memory().numTensors - engine0).toBe(0);
    expect(nativeTensors() - native0).toBe(0);
    expect(step.recoveries.count).toBe(0);
    step.dispose();
    tf.dispose([x, y]);
    model.dispose();
    opt.dispose();
  });

  test('a call that leaves the recorded graph finishes eagerly with eager results, and leaks nothing', async () => {
    // Every 4th call runs an extra op: calls 2 and 3 (the recordings) agree, call 4 leaves the graph.
    const make = () => {
      const { model, opt } = dropoutMlp();
      let calls = 0;
      const fn = (x: tf.Tensor, y: tf.Tensor) => {
        calls++;
        return opt.minimize(() => {
          let loss = tf.metrics.categoricalCrossentropy(y, model.apply(x, { training: true }) as tf.Tensor).mean();
          if (calls % 4 === 0) loss = tf.mul(loss, 1.5);
          return loss as tf.Scalar;
        }, true)!;
      };
      return { model, opt, fn };
    };
    const r = await (async () => {
      const e = make();
      const g = make();
      const step = compileStep(g.fn as (...a: tf.Tensor[]) => tf.Scalar, { log: null });
      let maxLossDiff = 0;
      let native0 = 0;
      for (let i = 0; i < 16; i++) {
        if (i === 5) native0 = nativeTensors();
        const x = batch(600 + i, [16, 20]);
        const y = oneHotBatch(700 + i, 16, 5);
        seedEverything(i);
        const la = tf.tidy(() => e.fn(x, y).dataSync()[0]!);
        seedEverything(i);
        const lb = tf.tidy(() => step(x, y).dataSync()[0]!);
        maxLossDiff = Math.max(maxLossDiff, Math.abs(la - lb));
        tf.dispose([x, y]);
      }
      const out = { mode: step.mode, shadow: step.shadow, recoveries: step.recoveries, leaked: nativeTensors() - native0, maxLossDiff, maxWeightDiff: await maxDiff(await modelState(e.model, e.opt), await modelState(g.model, g.opt)) };
      step.dispose();
      [e, g].forEach((c) => {
        c.model.dispose();
        c.opt.dispose();
      });
      return out;
    })();
    expect(r.mode).toBe('graph');
    expect(r.shadow).toBe(true);
    expect(r.recoveries.count).toBe(4); // calls 4, 8, 12 and 16
    expect(r.recoveries.first).toMatch(/op \d+ .* is beyond|is Mul|not what the recording had|came after/);
    expect(r.leaked).toBe(0);
    expect(r.maxLossDiff).toBeLessThanOrEqual(TOLERANCE);
    expect(r.maxWeightDiff).toBeLessThanOrEqual(TOLERANCE);
  });

  test('steps with identical recordings run without a shadow pass', () => {
    const { model, opt } = dropoutMlp();
    const step = compileStep((x: tf.Tensor, y: tf.Tensor) => opt.minimize(() => tf.metrics.categoricalCrossentropy(y, model.apply(x) as tf.Tensor).mean() as tf.Scalar, true)!, { log: null });
    const x = batch(1, [16, 20]);
    const y = oneHotBatch(2, 16, 5);
    for (let i = 0; i < 5; i++) tf.dispose(step(x, y));
    expect(step.mode).toBe('graph');
    expect(step.shadow).toBe(false);
    step.dispose();
    tf.dispose([x, y]);
    model.dispose();
  });

  test('with the shadow pass off, per-call constants fall back to eager with the reason', () => {
    const { model, opt, fn } = dropoutMlp();
    const step = compileStep(fn as (...a: tf.Tensor[]) => tf.Scalar, { log: null, shadow: false });
    const x = batch(1, [16, 20]);
    const y = oneHotBatch(2, 16, 5);
    for (let i = 0; i < 5; i++) tf.dispose(step(x, y));
    expect(step.mode).toBe('eager');
    expect(step.reason).toMatch(/different constant values/);
    tf.dispose([x, y]);
    model.dispose();
  });
});
