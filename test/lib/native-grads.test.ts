/**
 * lib/backend/native-grads.ts: on tfjs-node the gradients of ReLU, ReLU6, LeakyReLU, sigmoid and
 * tanh run as TensorFlow's one fused kernel each (ReluGrad, …) and give the same values as
 * tfjs's own composed gradient on the pure-JS cpu backend.
 * Native only: skipped where tfjs-node doesn't load, unless COURSE_REQUIRE_NATIVE=1.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { countOps } from '../../lib/backend/graph/index.js';
import { registerNativeGradients } from '../../lib/backend/native-grads.js';
import { makeRng } from '../../lib/random.js';
import { loadNativeBackend } from '../support/native-backend.js';

const required = process.env.COURSE_REQUIRE_NATIVE === '1';
const { available: native } = await loadNativeBackend();
let before = '';
beforeAll(async () => {
  before = tf.getBackend();
  if (native) expect(await tf.setBackend('tensorflow')).toBe(true);
  registerNativeGradients();
});
afterAll(async () => {
  if (before && before !== tf.getBackend()) await tf.setBackend(before);
});

test.runIf(required)('tfjs-node loads (COURSE_REQUIRE_NATIVE=1)', () => {
  expect(native).toBe(true);
});

const CASES: { name: string; f: (x: tf.Tensor) => tf.Tensor; tfOp: string }[] = [
  { name: 'relu', f: (x) => tf.relu(x), tfOp: 'ReluGrad' },
  { name: 'relu6', f: (x) => tf.relu6(x), tfOp: 'Relu6Grad' },
  { name: 'leakyRelu', f: (x) => tf.leakyRelu(x, 0.2), tfOp: 'LeakyReluGrad' },
  { name: 'sigmoid', f: (x) => tf.sigmoid(x), tfOp: 'SigmoidGrad' },
  { name: 'tanh', f: (x) => tf.tanh(x), tfOp: 'TanhGrad' },
];

/** d/dx sum(f(x) * w) for seeded x (values on both sides of 0 and of 6) and w. */
function gradient(f: (x: tf.Tensor) => tf.Tensor): Float32Array {
  const rng = makeRng(7);
  const x = tf.tensor(Float32Array.from({ length: 60 }, () => (rng.next() - 0.5) * 16), [6, 10]);
  const w = tf.tensor(Float32Array.from({ length: 60 }, () => rng.normal()), [6, 10]);
  const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(f(t), w)))(x);
  const out = g.dataSync() as Float32Array;
  tf.dispose([x, w, g]);
  return out;
}

describe.runIf(native)('fused native gradients', () => {
  for (const c of CASES) {
    test(`${c.name}: one ${c.tfOp} op, same values as tfjs's gradient on cpu`, async () => {
      await tf.setBackend('cpu');
      const reference = gradient(c.f);
      await tf.setBackend('tensorflow');
      let ours: Float32Array<ArrayBufferLike> = new Float32Array(0);
      const ops = await countOps(() => {
        ours = gradient(c.f);
      });
      expect(ops?.get(c.tfOp)).toBe(1);
      let maxDiff = 0;
      reference.forEach((v, i) => (maxDiff = Math.max(maxDiff, Math.abs(v - ours[i]!))));
      expect(maxDiff).toBeLessThanOrEqual(1e-6);
    });
  }
});
