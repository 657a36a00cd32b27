/**
 * Runs before every test file: choose the backend once and seed all randomness before each
 * test so results don't depend on test order.
 */
import path from 'node:path';
import { getFn } from '@vitest/runner';
import { afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { initBackend } from '../../lib/backend/index.js';
import { seedEverything } from '../../lib/random.js';
// before the grader harness records tfjs's prototypes: tfjs-layers errors name the student's layer
import './layer-origins.js';
import { describeNonFinite, installTensorHooks, watchNonFinite } from '../../lib/grader/tensor-origins.js';

// likewise before the harness: the engine hooks that say where a leak's tensors and a NaN came from
installTensorHooks();

const SEED = Number(process.env.COURSE_SEED ?? 1234);

// V8 keeps 10 frames by default; an error thrown deep inside tfjs(-layers) fills all 10 with
// tfjs's own frames and the student's line never reaches the feedback (lib/grader/feedback.ts)
Error.stackTraceLimit = 50;

beforeAll(async () => {
  // the exercise a graded file tests (test/04-dcgan.test.ts → 04-dcgan): webgpu's speed verdict is per exercise
  const job = /^(\d\d-[\w-]+)\.test\.ts$/.exec(path.basename(expect.getState().testPath ?? ''))?.[1];
  await initBackend({ quiet: true, job });
});

beforeEach(() => {
  seedEverything(SEED);
});

// A test that failed on a NaN or an Infinity is run once more with every op's output scanned:
// its error then says which op first made the value and the student's line that called it
// (lib/grader/feedback.ts shows it after "not finite:"). Only failing tests pay; the verdict
// stands whatever the re-run does (at most 3 s, ended at the first NaN).
const NOT_FINITE = /\b(NaN|-?Infinity)\b/;
afterEach(async (ctx) => {
  const first = ctx.task.result?.errors?.[0];
  if (!first || !NOT_FINITE.test(first.message ?? '') || / \[first non-finite value: /.test(first.message)) return;
  // within the test's own time limit (the grader's watchdog counts the hook too): at most 3 s and
  // half of what is left of it
  const started = ctx.task.result?.startTime ?? Date.now();
  const left = (ctx.task.timeout || 60_000) - (Date.now() - started);
  const budget = Math.min(3000, left / 2);
  if (budget < 300) return;
  const fn = getFn(ctx.task);
  const origin = await watchNonFinite(async () => {
    seedEverything(SEED);
    await fn();
  }, budget);
  if (origin) first.message += describeNonFinite(origin);
}, 30_000);
