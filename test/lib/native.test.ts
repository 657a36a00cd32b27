/**
 * The native backend (tfjs-node, libtensorflow) must compute the same numbers as the pure-JS
 * `cpu` reference: a small conv net forward + backward pass and a few LSTM steps with their
 * gradients, max abs difference ≤ 1e-4. Same inputs and weights on both, built from one seed.
 *
 * Skipped (with the reason printed) only where tfjs-node can't be loaded, so the JS-only world
 * still passes; COURSE_REQUIRE_NATIVE=1 (set it in CI) turns that skip into a failure.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { nativeStatus } from '../../lib/backend/native.js';
import { makeRng } from '../../lib/random.js';

const TOLERANCE = 1e-4;
const status = nativeStatus({ checkLoad: true });
const available = status.loads === true;
const required = process.env.COURSE_REQUIRE_NATIVE === '1';

if (!available) {
  console.warn(`[native.test] skipped: ${status.summary}${status.fix ? ` — fix: ${status.fix}` : ''}`);
}

test.runIf(required)('native backend is available when COURSE_REQUIRE_NATIVE=1', () => {
  expect(available, `${status.summary}; fix: ${status.fix}`).toBe(true);
});

/** Seeded normal values, scaled: the same numbers for every backend. */
function values(seed: number, n: number, scale: number): Float32Array {
  const rng = makeRng(seed);
  return Float32Array.from({ length: n }, () => rng.normal() * scale);
}

interface Arrays {
  [name: string]: { shape: number[]; data: Float32Array };
}

/** Run `compute` on `backend` with tensors made from `inputs`; return every output as plain data. */
async function onBackend(
  backend: string,
  inputs: Arrays,
  compute: (t: Record<string, tf.Tensor>) => Record<string, tf.Tensor>,
): Promise<Record<string, Float32Array>> {
  expect(await tf.setBackend(backend)).toBe(true);
  await tf.ready();
  expect(tf.getBackend()).toBe(backend);
  const before = tf.memory().numTensors;
  const outs = tf.tidy(() => {
    const t: Record<string, tf.Tensor> = {};
    for (const [k, v] of Object.entries(inputs)) t[k] = tf.tensor(v.data, v.shape);
    return compute(t);
  });
  const result: Record<string, Float32Array> = {};
  for (const [k, v] of Object.entries(outs)) result[k] = (await v.data()) as Float32Array;
  tf.dispose(Object.values(outs));
  expect(tf.memory().numTensors).toBe(before);
  return result;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function maxAbs(a: Float32Array): number {
  return a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
}

// conv(3x3, 3→4) → relu → maxpool 2 → conv(3x3 stride 2, 4→6) → relu → dense 24→5 → softmax CE
const convInputs: Arrays = {
  x: { shape: [2, 8, 8, 3], data: values(1, 2 * 8 * 8 * 3, 1) },
  w1: { shape: [3, 3, 3, 4], data: values(2, 3 * 3 * 3 * 4, 0.3) },
  b1: { shape: [4], data: values(3, 4, 0.1) },
  w2: { shape: [3, 3, 4, 6], data: values(4, 3 * 3 * 4 * 6, 0.3) },
  w3: { shape: [24, 5], data: values(5, 24 * 5, 0.3) },
  y: { shape: [2, 5], data: Float32Array.from([1, 0, 0, 0, 0, 0, 0, 0, 1, 0]) },
};

function convNet(t: Record<string, tf.Tensor>): Record<string, tf.Tensor> {
  const x = t.x as tf.Tensor4D;
  const forward = (x: tf.Tensor4D, w1: tf.Tensor4D, b1: tf.Tensor1D, w2: tf.Tensor4D, w3: tf.Tensor2D) => {
    const h1 = tf.maxPool(tf.relu(tf.add(tf.conv2d(x, w1, 1, 'same'), b1)) as tf.Tensor4D, 2, 2, 'valid');
    const h2 = tf.relu(tf.conv2d(h1 as tf.Tensor4D, w2, 2, 'same')).reshape([2, 24]);
    return tf.matMul(h2 as tf.Tensor2D, w3);
  };
  const loss = (x: tf.Tensor, w1: tf.Tensor, b1: tf.Tensor, w2: tf.Tensor, w3: tf.Tensor) =>
    tf.losses.softmaxCrossEntropy(t.y!, forward(x as tf.Tensor4D, w1 as tf.Tensor4D, b1 as tf.Tensor1D, w2 as tf.Tensor4D, w3 as tf.Tensor2D));
  const { value, grads } = tf.valueAndGrads(loss)([x, t.w1!, t.b1!, t.w2!, t.w3!]);
  const logits = forward(x, t.w1 as tf.Tensor4D, t.b1 as tf.Tensor1D, t.w2 as tf.Tensor4D, t.w3 as tf.Tensor2D);
  const [dx, dw1, db1, dw2, dw3] = grads;
  return { logits, loss: value, dx: dx!, dw1: dw1!, db1: db1!, dw2: dw2!, dw3: dw3! };
}

// three steps of tf.basicLSTMCell (input 4, units 5, batch 2), loss = sum of the last h²
const lstmInputs: Arrays = {
  xs: { shape: [3, 2, 4], data: values(11, 3 * 2 * 4, 1) },
  kernel: { shape: [4 + 5, 4 * 5], data: values(12, 9 * 20, 0.3) },
  bias: { shape: [20], data: values(13, 20, 0.1) },
  c0: { shape: [2, 5], data: values(14, 10, 0.5) },
  h0: { shape: [2, 5], data: values(15, 10, 0.5) },
};

function lstmSteps(t: Record<string, tf.Tensor>): Record<string, tf.Tensor> {
  const forgetBias = tf.scalar(1);
  const run = (kernel: tf.Tensor, bias: tf.Tensor, c0: tf.Tensor, h0: tf.Tensor) => {
    let c = c0 as tf.Tensor2D;
    let h = h0 as tf.Tensor2D;
    const steps = tf.unstack(t.xs!);
    for (const x of steps) [c, h] = tf.basicLSTMCell(forgetBias, kernel as tf.Tensor2D, bias as tf.Tensor1D, x as tf.Tensor2D, c, h);
    return { c, h };
  };
  const loss = (kernel: tf.Tensor, bias: tf.Tensor, c0: tf.Tensor, h0: tf.Tensor) => tf.sum(tf.square(run(kernel, bias, c0, h0).h));
  const { value, grads } = tf.valueAndGrads(loss)([t.kernel!, t.bias!, t.c0!, t.h0!]);
  const { c, h } = run(t.kernel!, t.bias!, t.c0!, t.h0!);
  const [dKernel, dBias, dc0, dh0] = grads;
  return { c, h, loss: value, dKernel: dKernel!, dBias: dBias!, dc0: dc0!, dh0: dh0! };
}

describe.skipIf(!available)('native tensorflow backend vs cpu', () => {
  let startBackend = '';

  beforeAll(async () => {
    startBackend = tf.getBackend();
    // initBackend may have picked (or been forced to) another backend; make sure tfjs-node's is registered.
    if (!tf.findBackend('tensorflow')) await import('@tensorflow/tfjs-node');
    expect(tf.findBackend('tensorflow')).toBeTruthy();
  });

  afterAll(async () => {
    await tf.setBackend(startBackend);
  });

  test('conv net forward + backward agree within 1e-4', async () => {
    const native = await onBackend('tensorflow', convInputs, convNet);
    const reference = await onBackend('cpu', convInputs, convNet);
    for (const key of Object.keys(reference)) {
      // a gradient of all zeros would agree trivially: make sure the values carry signal
      if (key !== 'loss') expect(maxAbs(reference[key]!), key).toBeGreaterThan(1e-3);
      expect(maxAbsDiff(native[key]!, reference[key]!), key).toBeLessThanOrEqual(TOLERANCE);
    }
  });

  test('LSTM steps and their gradients agree within 1e-4', async () => {
    const native = await onBackend('tensorflow', lstmInputs, lstmSteps);
    const reference = await onBackend('cpu', lstmInputs, lstmSteps);
    for (const key of Object.keys(reference)) {
      expect(maxAbs(reference[key]!), key).toBeGreaterThan(1e-3);
      expect(maxAbsDiff(native[key]!, reference[key]!), key).toBeLessThanOrEqual(TOLERANCE);
    }
  });

  test('repeated native steps do not leak tensors', async () => {
    await onBackend('tensorflow', convInputs, convNet);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await onBackend('tensorflow', convInputs, convNet);
    expect(tf.memory().numTensors).toBe(before);
  });
});
