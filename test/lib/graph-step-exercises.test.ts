/**
 * The exercises' own compiled training steps (lib/backend/graph compileStep where the project
 * owns the loop) train exactly like their eager versions: the same seeds, 20 steps on a different
 * batch each step, every step's loss and every parameter (and optimiser state) at the end within
 * 1e-4, and the compiled one really ran as a graph (mode 'graph').
 *
 *   01  the full run's hand-written SGD step (sgdStepFunction: parameters in, new parameters out)
 *
 * Native only: skipped where tfjs-node doesn't load, unless COURSE_REQUIRE_NATIVE=1 (CI), where
 * that is a failure.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { compileStep } from '../../lib/backend/graph/index.js';
import { makeRng } from '../../lib/random.js';
import * as ffnn from '../../solutions/01-ffnn-from-scratch/index.js';
import { flattenParams, sgdStepFunction, unflattenParams } from '../../solutions/01-ffnn-from-scratch/train.js';
import { loadNativeBackend } from '../support/native-backend.js';

const STEPS = 20;
const TOLERANCE = 1e-4;
const required = process.env.COURSE_REQUIRE_NATIVE === '1';

const { available: native, reason } = await loadNativeBackend();
if (!native) console.warn(`[graph-step-exercises.test] ${required ? 'FAILING' : 'skipped'}: compiled steps need tfjs-node (${reason})`);
let before = '';
beforeAll(async () => {
  before = tf.getBackend();
  if (native) expect(await tf.setBackend('tensorflow')).toBe(true);
});
afterAll(async () => {
  if (before && before !== tf.getBackend()) await tf.setBackend(before);
});

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
