/**
 * The fallback training kernels (lib/backend/kernels) must agree with tfjs's own reference
 * kernels on the cpu backend (max abs error ≤ 1e-4) and make training steps runnable on wasm.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { registerFallbackKernels, originalKernel } from '../../lib/backend/kernels/index.js';
import { conv2DBackpropInputWasm } from '../../lib/backend/kernels/wasm.js';
import { makeRng, type Rng } from '../../lib/random.js';

const TOLERANCE = 1e-4;
type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

interface ConvCase {
  batch: number;
  size: [number, number];
  inChannels: number;
  outChannels: number;
  filter: [number, number];
  stride: number;
  pad: Pad;
}

let startBackend = '';

beforeAll(async () => {
  startBackend = tf.getBackend();
  for (const name of ['cpu', 'wasm']) {
    expect(await tf.setBackend(name)).toBe(true);
    await tf.ready();
    registerFallbackKernels(name);
  }
});

afterAll(async () => {
  await tf.setBackend(startBackend);
});

function randn(rng: Rng, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal());
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Run the kernel currently registered for `kernelName` on backend `name`; returns its values. */
async function runOn(
  name: string,
  kernelName: string,
  inputs: Record<string, { values: Float32Array | Int32Array; shape: number[] }>,
  attrs: object,
): Promise<Float32Array> {
  await tf.setBackend(name);
  return tf.tidy(() => {
    const ins: tf.NamedTensorMap = {};
    for (const [k, v] of Object.entries(inputs)) ins[k] = tf.tensor(v.values, v.shape);
    const out = tf.engine().runKernel(kernelName, ins, attrs as tf.NamedAttrMap) as tf.Tensor;
    return out.dataSync() as Float32Array;
  });
}

/** Run tfjs's original cpu kernel (the one our replacement must match). */
async function runOriginalCpu(
  kernelName: string,
  inputs: Record<string, { values: Float32Array | Int32Array; shape: number[] }>,
  attrs: object,
): Promise<Float32Array> {
  await tf.setBackend('cpu');
  const kernel = originalKernel(kernelName, 'cpu');
  expect(kernel, `cpu ships ${kernelName}`).not.toBeNull();
  return tf.tidy(() => {
    const ins: tf.NamedTensorInfoMap = {};
    for (const [k, v] of Object.entries(inputs)) ins[k] = tf.tensor(v.values, v.shape);
    const info = kernel!.kernelFunc({ inputs: ins, backend: tf.backend(), attrs: attrs as tf.NamedAttrMap }) as tf.TensorInfo;
    return tf.engine().makeTensorFromTensorInfo(info).dataSync() as Float32Array;
  });
}

function outShape(c: ConvCase): number[] {
  const info = tf.backend_util.computeConv2DInfo(
    [c.batch, c.size[0], c.size[1], c.inChannels],
    [c.filter[0], c.filter[1], c.inChannels, c.outChannels],
    c.stride,
    1,
    c.pad,
  );
  return info.outShape;
}

/** Seeded grid of cases: strides 1 and 2, 'same'/'valid'/explicit pads, 1, 3 and 8+ channels. */
function convCases(): ConvCase[] {
  const rng = makeRng(7);
  const cases: ConvCase[] = [];
  const pads: Pad[] = ['same', 'valid'];
  for (const stride of [1, 2]) {
    for (const pad of pads) {
      for (const inChannels of [1, 3, 8]) {
        const batch = [1, 2, 5][rng.int(3)]!;
        const k = [1, 3, 4, 5][rng.int(4)]!;
        cases.push({
          batch,
          size: [k + 3 + rng.int(6), k + 3 + rng.int(6)],
          inChannels,
          outChannels: [1, 4, 9][rng.int(3)]!,
          filter: [k, rng.next() < 0.3 ? Math.max(1, k - 1) : k],
          stride,
          pad,
        });
      }
    }
  }
  // explicit paddings, including an asymmetric one, and a stride-3 odd remainder
  cases.push({ batch: 2, size: [9, 7], inChannels: 3, outChannels: 4, filter: [3, 3], stride: 2, pad: 1 });
  cases.push({ batch: 3, size: [8, 8], inChannels: 8, outChannels: 8, filter: [4, 4], stride: 2, pad: [[0, 0], [1, 2], [2, 1], [0, 0]] });
  cases.push({ batch: 2, size: [11, 10], inChannels: 10, outChannels: 12, filter: [4, 4], stride: 3, pad: 'same' });
  return cases;
}

const label = (c: ConvCase): string =>
  `b${c.batch} ${c.size.join('x')}x${c.inChannels}→${c.outChannels} f${c.filter.join('x')} s${c.stride} ${JSON.stringify(c.pad)}`;

function caseData(c: ConvCase, seed: number) {
  const rng = makeRng(seed);
  const xShape = [c.batch, c.size[0], c.size[1], c.inChannels];
  const wShape = [c.filter[0], c.filter[1], c.inChannels, c.outChannels];
  const dyShape = outShape(c);
  const n = (s: number[]) => s.reduce((a, d) => a * d, 1);
  return {
    x: { values: randn(rng, n(xShape)), shape: xShape },
    filter: { values: randn(rng, n(wShape)), shape: wShape },
    dy: { values: randn(rng, n(dyShape)), shape: dyShape },
  };
}

describe('Conv2DBackpropFilter', () => {
  test.each(convCases().map((c, i) => [label(c), c, i] as const))('cpu and wasm agree with tfjs cpu: %s', async (_l, c, i) => {
    const d = caseData(c, 100 + i);
    const attrs = { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', filterShape: d.filter.shape };
    const ref = await runOriginalCpu('Conv2DBackpropFilter', { x: d.x, dy: d.dy }, attrs);
    const cpu = await runOn('cpu', 'Conv2DBackpropFilter', { x: d.x, dy: d.dy }, attrs);
    const wasm = await runOn('wasm', 'Conv2DBackpropFilter', { x: d.x, dy: d.dy }, attrs);
    expect(ref.length).toBe(d.filter.values.length);
    expect(maxAbsDiff(cpu, ref)).toBeLessThanOrEqual(TOLERANCE);
    expect(maxAbsDiff(wasm, ref)).toBeLessThanOrEqual(TOLERANCE);
  });
});

describe('Conv2DBackpropInput', () => {
  test.each(convCases().map((c, i) => [label(c), c, i] as const))('wasm (both routes) agrees with tfjs cpu: %s', async (_l, c, i) => {
    const d = caseData(c, 200 + i);
    const attrs = { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', inputShape: d.x.shape };
    const ref = await runOriginalCpu('Conv2DBackpropInput', { dy: d.dy, filter: d.filter }, attrs);
    // the registered kernel (dispatches between the Conv2D route and wasm's own) …
    const registered = await runOn('wasm', 'Conv2DBackpropInput', { dy: d.dy, filter: d.filter }, attrs);
    expect(maxAbsDiff(registered, ref)).toBeLessThanOrEqual(TOLERANCE);
    // … and the Conv2D route itself, on every case, including 1 and 3 channels
    await tf.setBackend('wasm');
    const dy = tf.tensor(d.dy.values, d.dy.shape);
    const filter = tf.tensor(d.filter.values, d.filter.shape);
    const info = conv2DBackpropInputWasm({ inputs: { dy, filter }, backend: tf.backend(), attrs: attrs as unknown as tf.NamedAttrMap });
    let direct: Float32Array | null = null;
    if (info) {
      const out = tf.engine().makeTensorFromTensorInfo(info);
      direct = out.dataSync() as Float32Array;
      out.dispose();
    }
    tf.dispose([dy, filter]);
    expect(direct, 'the Conv2D route handles this padding').not.toBeNull();
    expect(maxAbsDiff(direct!, ref)).toBeLessThanOrEqual(TOLERANCE);
  });
});

describe('UnsortedSegmentSum', () => {
  test.each([
    [[12, 5], 7],
    [[9, 3, 2], 4],
    [[40], 40],
  ] as const)('wasm agrees with tfjs cpu for x %j and %i segments', async (xShape, numSegments) => {
    const rng = makeRng(numSegments);
    const n = xShape.reduce((a: number, d: number) => a * d, 1);
    const ids = Int32Array.from({ length: xShape[0] }, () => rng.int(numSegments));
    const inputs = { x: { values: randn(rng, n), shape: [...xShape] }, segmentIds: { values: ids, shape: [xShape[0]] } };
    const ref = await runOn('cpu', 'UnsortedSegmentSum', inputs, { numSegments });
    const wasm = await runOn('wasm', 'UnsortedSegmentSum', inputs, { numSegments });
    expect(wasm.length).toBe((numSegments * n) / xShape[0]);
    expect(maxAbsDiff(wasm, ref)).toBeLessThanOrEqual(TOLERANCE);
  });
});

describe('memory', () => {
  test('wasm kernels free their intermediate buffers', async () => {
    await tf.setBackend('wasm');
    const c: ConvCase = { batch: 2, size: [9, 9], inChannels: 8, outChannels: 8, filter: [4, 4], stride: 2, pad: 'same' };
    const d = caseData(c, 5);
    const x = tf.tensor(d.x.values, d.x.shape);
    const dy = tf.tensor(d.dy.values, d.dy.shape);
    const filter = tf.tensor(d.filter.values, d.filter.shape);
    const ids = tf.tensor1d([0, 2, 2, 1], 'int32');
    const rows = tf.ones([4, 3]);
    const callAll = () =>
      tf.dispose([
        tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 2, pad: 'same', dataFormat: 'NHWC', filterShape: d.filter.shape }) as tf.Tensor,
        tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, { strides: 2, pad: 'same', dataFormat: 'NHWC', inputShape: d.x.shape }) as tf.Tensor,
        tf.engine().runKernel('UnsortedSegmentSum', { x: rows, segmentIds: ids }, { numSegments: 3 }) as tf.Tensor,
      ]);
    callAll();
    // numDataIds counts the backend's buffers, including ones no tensor points at any more
    const tensorsBefore = tf.memory().numTensors;
    const buffersBefore = tf.backend().numDataIds();
    callAll();
    callAll();
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect(tf.backend().numDataIds()).toBe(buffersBefore);
    tf.dispose([x, dy, filter, ids, rows]);
  });
});

describe('training on wasm', () => {
  /** Loss before and after `steps` optimiser steps of `model` on one fixed batch. */
  async function fitBatch(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, steps: number): Promise<[number, number]> {
    const first = (await model.trainOnBatch(x, y)) as number;
    let last = first;
    for (let s = 1; s < steps; s++) last = (await model.trainOnBatch(x, y)) as number;
    return [first, last];
  }

  test('a conv net (conv, batch norm, leaky ReLU, conv-transpose) trains without missing kernels and leaks nothing', async () => {
    await tf.setBackend('wasm');
    const L = tf.layers;
    const model = tf.sequential({
      layers: [
        L.conv2d({ inputShape: [12, 12, 1], filters: 8, kernelSize: 3, strides: 2, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
        L.batchNormalization(),
        L.leakyReLU({ alpha: 0.2 }),
        L.conv2dTranspose({ filters: 8, kernelSize: 4, strides: 2, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
        L.conv2d({ filters: 1, kernelSize: 3, padding: 'valid', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
      ],
    });
    model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
    const x = tf.randomNormal([4, 12, 12, 1], 0, 1, 'float32', 4);
    const y = tf.randomNormal([4, 10, 10, 1], 0, 1, 'float32', 5);
    const [first, last] = await fitBatch(model, x, y, 8);
    expect(Number.isFinite(last)).toBe(true);
    expect(last).toBeLessThan(first);
    const before = tf.memory().numTensors;
    await model.trainOnBatch(x, y);
    await model.trainOnBatch(x, y);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y]);
    model.dispose();
  });

  test('an embedding + LSTM char model trains on wasm', async () => {
    await tf.setBackend('wasm');
    const L = tf.layers;
    const vocab = 12;
    const model = tf.sequential({
      layers: [
        L.embedding({ inputDim: vocab, outputDim: 6, inputLength: 8, embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.1, maxval: 0.1, seed: 1 }) }),
        L.lstm({ units: 16, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }), recurrentInitializer: tf.initializers.glorotUniform({ seed: 3 }) }),
        L.dense({ units: vocab, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }),
      ],
    });
    model.compile({ optimizer: tf.train.adam(0.02), loss: 'sparseCategoricalCrossentropy' });
    const rng = makeRng(9);
    const x = tf.tensor2d(Array.from({ length: 16 * 8 }, () => rng.int(vocab)), [16, 8]);
    const y = tf.tensor2d(Array.from({ length: 16 }, () => rng.int(vocab)), [16, 1]);
    const embeddings = model.layers[0]!.getWeights()[0]!.dataSync().slice();
    const [first, last] = await fitBatch(model, x, y, 6);
    expect(last).toBeLessThan(first);
    // the embedding table really received gradients (UnsortedSegmentSum)
    const after = model.layers[0]!.getWeights()[0]!.dataSync();
    expect(maxAbsDiff(after, embeddings)).toBeGreaterThan(1e-4);
    tf.dispose([x, y]);
    model.dispose();
  });

  test('conv gradients through tf.grads match between wasm and cpu', async () => {
    const rng = makeRng(11);
    const xv = randn(rng, 3 * 10 * 10 * 3);
    const w1 = randn(rng, 3 * 3 * 3 * 8).map((v) => v * 0.3);
    const w2 = randn(rng, 4 * 4 * 8 * 8).map((v) => v * 0.2);
    const gradsOn = async (name: string): Promise<Float32Array[]> => {
      await tf.setBackend(name);
      return tf.tidy(() => {
        const x = tf.tensor4d(xv, [3, 10, 10, 3]);
        const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => {
          const h = tf.relu(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'));
          return tf.conv2dTranspose(h, c as tf.Tensor4D, [3, 10, 10, 8], 2, 'same').square().mean();
        };
        const gs = tf.grads(f)([x, tf.tensor4d(w1, [3, 3, 3, 8]), tf.tensor4d(w2, [4, 4, 8, 8])]);
        return gs.map((g) => g.dataSync() as Float32Array);
      });
    };
    const cpu = await gradsOn('cpu');
    const wasm = await gradsOn('wasm');
    for (let i = 0; i < cpu.length; i++) expect(maxAbsDiff(wasm[i]!, cpu[i]!)).toBeLessThanOrEqual(TOLERANCE);
  });
});
