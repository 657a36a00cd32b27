import { describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CourseError } from '../../lib/errors.js';
import { tensorHooksInstalled } from '../../lib/grader/tensor-origins.js';
import { checkFinite, countLeak, fitModel, leakDetails, loadModel, saveModel, trainLoop } from '../../lib/train/index.js';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'train-test-'));

function tinyModel(seed: number): tf.Sequential {
  const m = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [4], units: 8, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed }) }),
      tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }),
    ],
  });
  m.compile({ optimizer: tf.train.adam(0.05), loss: 'sparseCategoricalCrossentropy' });
  return m;
}

function data(): [tf.Tensor2D, tf.Tensor1D] {
  // three well-separated blobs
  const xs: number[][] = [];
  const ys: number[] = [];
  for (let i = 0; i < 60; i++) {
    const c = i % 3;
    xs.push([c + 0.1 * Math.sin(i), -c + 0.1 * Math.cos(i), c * 0.5, 1 - c]);
    ys.push(c);
  }
  return [tf.tensor2d(xs), tf.tensor1d(ys, 'float32')];
}

describe('lib/train', () => {
  test('fitModel lowers the loss and records one value per epoch', async () => {
    const [x, y] = data();
    const m = tinyModel(1);
    const r = await fitModel(m, x, y, { epochs: 5, batchSize: 16, seed: 3, validationData: [x, y], quiet: true });
    expect(r.history.loss).toHaveLength(5);
    expect(r.history.val_loss).toHaveLength(5);
    expect(r.history.loss!.at(-1)!).toBeLessThan(r.history.loss![0]! * 0.7);
    tf.dispose([x, y]);
    m.dispose();
  });

  test('a resumed run ends with the same weights as an uninterrupted one', async () => {
    const [x, y] = data();
    const straight = tinyModel(5);
    await fitModel(straight, x, y, { epochs: 4, batchSize: 16, seed: 9, quiet: true });
    const dir = tmp();
    const first = tinyModel(5);
    await fitModel(first, x, y, { epochs: 2, batchSize: 16, seed: 9, quiet: true, checkpoint: { dir } });
    const resumed = tinyModel(5); // fresh weights: must come from the checkpoint
    const r = await fitModel(resumed, x, y, { epochs: 4, batchSize: 16, seed: 9, quiet: true, checkpoint: { dir }, resume: true });
    expect(r.resumedFrom).toBe(2);
    expect(r.epochsRun).toBe(2);
    expect(r.history.loss).toHaveLength(4);
    const a = straight.getWeights().map((w) => Array.from(w.dataSync()));
    const b = resumed.getWeights().map((w) => Array.from(w.dataSync()));
    for (let i = 0; i < a.length; i++) for (let j = 0; j < a[i]!.length; j++) expect(b[i]![j]).toBeCloseTo(a[i]![j]!, 5);
    tf.dispose([x, y]);
    [straight, first, resumed].forEach((m) => m.dispose());
  });

  test('NaN loss stops training with a CourseError that says what to do', async () => {
    await expect(
      trainLoop({ label: 't', epochs: 2, stepsPerEpoch: 3, quiet: true, step: (_e, s) => ({ loss: s === 1 ? NaN : 1 }) }),
    ).rejects.toThrow(/loss became NaN at epoch 1, step 2[\s\S]*fix: lower the learning rate/);
    expect(() => checkFinite({ loss: Infinity }, 'x')).toThrow(CourseError);
    expect(() => checkFinite({ loss: 0.5 }, 'x')).not.toThrow();
  });

  test('early stopping stops after `patience` epochs without improvement', async () => {
    const losses = [5, 4, 4.5, 4.6, 4.7, 1];
    const r = await trainLoop({
      label: 't',
      epochs: 6,
      stepsPerEpoch: 1,
      quiet: true,
      step: (e) => ({ loss: losses[e]! }),
      earlyStopping: { monitor: 'loss', patience: 2 },
    });
    expect(r.stoppedEarly).toBe(true);
    expect(r.history.loss).toEqual([5, 4, 4.5, 4.6]);
  });

  test('countLeak finds a leak and reports zero for a tidy function', async () => {
    const kept: tf.Tensor[] = [];
    expect(await countLeak(() => kept.push(tf.ones([2])), 3)).toBe(1);
    expect(await countLeak(() => tf.tidy(() => tf.ones([2]).add(1).sum()), 3)).toBe(0);
    tf.dispose(kept);
  });

  test('countLeak says what leaked (dtype, shape, how many per call) and disposes none of the leaked tensors', async () => {
    const kept: tf.Tensor[] = [];
    const before = tf.memory().numTensors;
    const leak = await countLeak(() => {
      kept.push(tf.zeros([16, 64]), tf.zeros([16, 64]), tf.tensor1d([1, 2], 'int32'));
      return tf.tidy(() => tf.ones([3]).mul(2)); // returned: disposed by countLeak, not a leak
    }, 2);
    expect(leak).toBe(3);
    expect(leakDetails()).toBe('tensors leaked per call (float32[16,64] ×2, int32[2])');
    // nothing the scope saw was disposed: 3 calls × 3 tensors are still alive, plus one more
    // call's 3 where the test setup's tensor hooks let countLeak record where the leak was made
    expect(tf.memory().numTensors - before).toBe(tensorHooksInstalled() ? 12 : 9);
    expect(kept.every((t) => !t.isDisposed)).toBe(true);
    tf.dispose(kept);
    await countLeak(() => tf.tidy(() => tf.ones([2]).sum()));
    expect(leakDetails()).toBe('tensors leaked per call');
  });

  test('fitModel does not leak tensors per epoch', async () => {
    const [x, y] = data();
    const m = tinyModel(2);
    const leak = await countLeak(() => fitModel(m, x, y, { epochs: 1, batchSize: 16, seed: 1, validationData: [x, y], quiet: true }), 2);
    expect(leak).toBe(0);
    tf.dispose([x, y]);
    m.dispose();
  });

  test('saveModel/loadModel round-trip gives identical predictions', async () => {
    const m = tinyModel(3);
    const dir = tmp();
    await saveModel(m, dir);
    const back = await loadModel(dir);
    const x = tf.randomNormal([5, 4], 0, 1, 'float32', 7);
    const a = (m.predict(x) as tf.Tensor).arraySync();
    const b = (back.predict(x) as tf.Tensor).arraySync();
    expect(b).toEqual(a);
    await expect(loadModel(path.join(dir, 'nope'))).rejects.toThrow(/no model at/);
    tf.dispose(x);
  });
});
