/**
 * Where a leak's tensors and a NaN came from (lib/grader/tensor-origins.ts, through the hooks
 * test/support/setup.ts installs), on the feedback toy's planted submissions: the student's file
 * and function are named, the test's own tensors are not, correct code yields nothing.
 */
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, test } from 'vitest';
import { describeNonFinite, tensorHooksInstalled, watchNonFinite } from '../../lib/grader/tensor-origins.js';
import { countLeak, leakDetails } from '../../lib/train/guard.js';

type Toy = typeof import('../fixtures/feedback/targets/good/00-deps/index.js');
const TARGETS = path.join(import.meta.dirname, '../fixtures/feedback/targets');
const load = async (target: string) => (await import(path.join(TARGETS, target, '00-deps/index.ts'))) as Toy;

describe('tensor origins', () => {
  test('the setup installed the hooks before the tests', () => {
    expect(tensorHooksInstalled()).toBe(true);
  });

  test('the first NaN is the op the student line made, with its output; correct code and test-made Infinity give none', async () => {
    const bad = await load('nan-source');
    const good = await load('good');
    const [a, b] = [tf.tensor1d([1, 2, 4]), tf.tensor1d([2, 2, 1])];
    const origin = await watchNonFinite(() => tf.dispose(bad.logRatio(a, b)));
    expect(origin).toMatchObject({ kernel: 'Log', value: 'NaN', dtype: 'float32', shape: [3] });
    expect(origin!.at).toMatch(/\/nan-source\/00-deps\/index\.ts:\d+:\d+ in logRatio$/);
    expect(describeNonFinite(origin!)).toMatch(/^ \[first non-finite value: NaN from Log \(output float32\[3\]\) at \/.*index\.ts:\d+:\d+ in logRatio\]$/);
    expect(await watchNonFinite(() => tf.dispose(good.logRatio(a, b)))).toBeUndefined();
    // an Infinity the test makes itself (no student frame) is not the student's
    expect(await watchNonFinite(() => tf.dispose(tf.div(a, tf.zerosLike(a))))).toBeUndefined();
    tf.dispose([a, b]);
  });

  test('a leak names the shapes, dtypes and the student line that made them; no leak, no lines', async () => {
    const bad = await load('leak-origin');
    const good = await load('good');
    const x = tf.tensor2d([[1, 2], [3, 4]]);
    expect(await countLeak(() => bad.squaredNorm(x))).toBe(2);
    expect(leakDetails()).toMatch(/^tensors leaked per call \(float32\[2,2\], float32\[\]; float32\[2,2\] made at \/.*\/leak-origin\/00-deps\/index\.ts:(\d+):\d+ in squaredNorm, float32\[\] made at \/.*index\.ts:\1:\d+ in squaredNorm\)$/);
    expect(await countLeak(() => good.squaredNorm(x))).toBe(0);
    expect(leakDetails()).toBe('tensors leaked per call');
    x.dispose();
  });
});
