/**
 * Runs before every test file: choose the backend once and seed all randomness before each
 * test so results don't depend on test order.
 */
import path from 'node:path';
import { beforeAll, beforeEach, expect } from 'vitest';
import { initBackend } from '../../lib/backend/index.js';
import { seedEverything } from '../../lib/random.js';
// before the grader harness records tfjs's prototypes: tfjs-layers errors name the student's layer
import './layer-origins.js';

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
