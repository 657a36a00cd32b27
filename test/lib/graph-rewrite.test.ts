/**
 * lib/backend/graph/rewrite.ts: a traced batch-1 BatchMatMulV2 (what every tfjs matMul becomes)
 * is emitted as Reshape → MatMul → Reshape, a genuinely batched one is left alone, and the
 * rewritten graph computes the same numbers as the eager ops (the agreement tests in
 * graph-step.test.ts run with the rewrite on, the default). Native only, like graph-step.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, expect, test } from 'vitest';
import { nodeBackend } from '../../lib/backend/graph/binding.js';
import { buildGraph } from '../../lib/backend/graph/build.js';
import { compileStep } from '../../lib/backend/graph/index.js';
import { recordStep } from '../../lib/backend/graph/trace.js';
import { loadNativeBackend, useNativeBackend } from '../support/native-backend.js';

const { available: native } = await loadNativeBackend();
useNativeBackend(native);
afterEach(() => {
  delete process.env.COURSE_GRAPH_REWRITE;
});

/** The ops of the graph built from one recorded call of `fn`. */
function graphOps(fn: (...a: tf.Tensor[]) => tf.Tensor, args: tf.Tensor[]): string[] {
  const be = nodeBackend()!;
  const rec = recordStep(be, fn, args);
  expect(rec.problem).toBeNull();
  const graph = buildGraph(be.binding, rec, (f) => {
    if (f.kind === 'const') throw new Error('no per-call constants without a shadow pass');
    const t = f.kind === 'arg' ? args[f.index]! : tf.engine().state.registeredVariables[f.name]!;
    return { shape: t.shape, dtype: 1 };
  });
  tf.dispose(rec.result as tf.Tensor);
  return graph.nodes.map((n) => n.op);
}

test.runIf(native)('2-D products become MatMul (transposes kept), batched ones stay BatchMatMulV2', () => {
  const a = tf.randomNormal([5, 3], 0, 1, 'float32', 1);
  const b = tf.randomNormal([4, 3], 0, 1, 'float32', 2);
  const ops = graphOps((x, y) => tf.matMul(x, y, false, true), [a, b]);
  expect(ops).toContain('MatMul');
  expect(ops).not.toContain('BatchMatMulV2');

  process.env.COURSE_GRAPH_REWRITE = '0';
  expect(graphOps((x, y) => tf.matMul(x, y, false, true), [a, b])).toContain('BatchMatMulV2');
  delete process.env.COURSE_GRAPH_REWRITE;

  const a3 = tf.randomNormal([2, 5, 3], 0, 1, 'float32', 3);
  const b3 = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 4);
  const batched = graphOps((x, y) => tf.matMul(x, y), [a3, b3]);
  expect(batched).toContain('BatchMatMulV2');
  expect(batched).not.toContain('MatMul');
  tf.dispose([a, b, a3, b3]);
});

test.runIf(native)('the rewritten graph computes the eager products (all four transpose combinations)', () => {
  for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    const a = tf.randomNormal(ta ? [3, 5] : [5, 3], 0, 1, 'float32', 5);
    const b = tf.randomNormal(tb ? [4, 3] : [3, 4], 0, 1, 'float32', 6);
    // a trivial "step": the product is a result; 3 eager calls, then the graph
    const step = compileStep((x, y) => tf.matMul(x, y, ta, tb), { log: null });
    for (let i = 0; i < 3; i++) tf.dispose(step(a, b) as tf.Tensor);
    const compiled = step(a, b) as tf.Tensor;
    expect(step.mode, `transposeA=${ta} transposeB=${tb}: ${step.reason}`).toBe('graph');
    const eager = tf.matMul(a, b, ta, tb);
    expect(compiled.shape).toEqual(eager.shape);
    const diff = tf.max(tf.abs(tf.sub(compiled, eager))).dataSync()[0]!;
    expect(diff, `transposeA=${ta} transposeB=${tb}`).toBeLessThan(1e-5);
    step.dispose();
    tf.dispose([a, b, compiled, eager]);
  }
});
