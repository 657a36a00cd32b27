/**
 * Environment errors vs the submission's: lib/grader/env-errors.ts on real stacks, and the
 * grader end to end on a planted broken environment (test/fixtures/env-error).
 */
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { environmentError, environmentFeedback, firstUserFrame } from '../../lib/grader/env-errors.js';
import { gradeTarget } from '../../lib/grader/grade.js';
import { formatMarkdown, toGradescope } from '../../lib/grader/report.js';
import { PROJECT_ROOT } from '../../lib/grader/runner.js';
import type { SerializedTestError } from '../../lib/grader/types.js';

const require = createRequire(import.meta.url);

function caught(fn: () => unknown): SerializedTestError {
  try {
    fn();
  } catch (err) {
    const e = err as Error;
    return { name: e.name, message: e.message, stack: e.stack };
  }
  throw new Error('expected a throw');
}

describe('classification on real stacks', () => {
  test("tfjs's own shape check (bad student input) stays the student's", () => {
    const e = caught(() => tf.tidy(() => tf.add(tf.tensor1d([1, 2]), tf.tensor1d([1, 2, 3]))));
    expect(firstUserFrame(e.stack)).toMatch(/node_modules/);
    expect(environmentError([e])).toBeNull();
  });

  test('a "(0 , util_1.x) is not a function" from tfjs-node (Node 23+ without the shim) is the environment\'s', async () => {
    if (!tf.findBackend('tensorflow')) {
      // no native backend here: the same failure, thrown by a library file, is checked below
      return;
    }
    const util = require('node:util') as Record<string, unknown>;
    const saved = Object.getOwnPropertyDescriptor(util, 'isNullOrUndefined');
    const start = tf.getBackend();
    await tf.setBackend('tensorflow');
    delete util.isNullOrUndefined;
    try {
      const e = caught(() => tf.tidy(() => tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4])).dataSync()));
      expect(e.message).toMatch(/util_1\.isNullOrUndefined\) is not a function/);
      expect(environmentError([e])).toBe(e);
      expect(environmentFeedback(e)).toMatch(/^environment error \(not your code\): \(0 , util_1\.isNullOrUndefined\) is not a function; run `course doctor`$/);
    } finally {
      if (saved) Object.defineProperty(util, 'isNullOrUndefined', saved);
      await tf.setBackend(start);
    }
  });

  test('the same message thrown from the submission, or with no stack, is the student\'s', () => {
    const msg = '(0 , util_1.isNullOrUndefined) is not a function';
    const fromSubmission = `TypeError: ${msg}\n    at addVectors (/home/s/exercises/00-envtoy/index.ts:3:9)\n    at /work/node_modules/vitest/dist/x.js:1:1`;
    expect(environmentError([{ name: 'TypeError', message: msg, stack: fromSubmission }], ['/home/s/exercises'])).toBeNull();
    // vitest source-maps library frames out of node_modules: outside our own code counts as a library
    const mapped = `TypeError: ${msg}\n    at Engine.runKernel (/p/tfjs-core/src/engine.ts:551:13)\n    at addVectors (/home/s/exercises/00-envtoy/index.ts:5:13)`;
    expect(environmentError([{ name: 'TypeError', message: msg, stack: mapped }], ['/home/s/exercises'])?.message).toBe(msg);
    expect(environmentError([{ name: 'TypeError', message: msg }])).toBeNull();
    const fromLibrary = `TypeError: ${msg}\n    at node:internal/x:1:1\n    at createTensorsTypeOpAttr (/p/node_modules/@tensorflow/tfjs-node/dist/nodejs_kernel_backend.js:675:38)`;
    expect(environmentError([{ name: 'TypeError', message: msg, stack: fromLibrary }])?.message).toBe(msg);
    // a generic TypeError inside a library (e.g. the student passed undefined) stays the student's
    const generic = "Cannot read properties of undefined (reading 'shape')";
    expect(environmentError([{ name: 'TypeError', message: generic, stack: fromLibrary.replace(msg, generic) }])).toBeNull();
  });
});

describe('the grader on a planted broken environment', () => {
  const FIX = path.join(PROJECT_ROOT, 'test/fixtures/env-error');
  const grade = (target: string) =>
    gradeTarget({ target: path.join(FIX, 'targets', target), testsDir: path.join(FIX, 'tests'), seed: 7, log: () => {}, runner: { watchdogMarginS: 3, idleTimeoutS: 90 } });

  test('a correct submission: the broken-kernel test is an environment error, listed separately', async () => {
    const r = await grade('good');
    const [healthy, broken] = r.exercises[0]!.tests;
    expect(healthy!.status).toBe('passed');
    expect(broken!.points).toBe(0);
    expect(broken!.environmentError).toMatch(/Kernel 'Add' not registered for backend 'cpu'/);
    expect(broken!.feedback).toMatch(/^environment error \(not your code\): Kernel 'Add' not registered/);
    expect(broken!.feedback).not.toContain('must return the element-wise sum');
    const gs = toGradescope(r);
    expect(gs.output).toMatch(/Environment errors \(not the student's code[^\n]*\n\n- 00-envtoy › addVectors adds when the backend has lost its Add kernel: Kernel 'Add'/);
    expect(gs.tests[1]!.tags).toContain('environment error');
    expect(gs.tests[1]!.extra_data.environment_error).toMatch(/^Kernel 'Add' not registered/);
    expect(gs.tests[0]!.extra_data.environment_error).toBeUndefined();
    expect(formatMarkdown(r, FIX)).toMatch(/## Environment errors[^\n]*\n\n- 00-envtoy › addVectors adds when/);
  }, 180_000);

  test('a submission whose own bad shapes make tfjs throw keeps the rubric feedback (as the hint after what threw, and where)', async () => {
    const r = await grade('shape-bug');
    const healthy = r.exercises[0]!.tests[0]!;
    expect(healthy.status).toBe('failed');
    expect(healthy.environmentError).toBeUndefined();
    expect(healthy.feedback).toMatch(/^threw .*\(at index\.ts:\d+:\d+, in addVectors\) — hint: addVectors\(a, b\) must return the element-wise sum$/);
  }, 180_000);
});
