/**
 * The environment canary (lib/grader/canary.ts): it passes here, and a broken environment stops
 * grading with exit code 1 and "the grading environment is broken: …", writing no scores.
 */
import { spawnAsync } from '../support/spawn-async.js';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { EnvironmentError, runCanary } from '../../lib/grader/canary.js';
import { PROJECT_ROOT } from '../../lib/grader/runner.js';
import { nativeStatus } from '../../lib/backend/native.js';
import { NODE_24 } from '../support/node-versions.js';

test('passes in this environment, on the backend grading would use', async () => {
  const r = await runCanary();
  expect(r.error).toBeUndefined();
  expect(r.ok).toBe(true);
  expect(r.backend).toMatch(/^(gpu|node|wasm|cpu)\b/);
}, 180_000);

test('planted: COURSE_REQUIRE_NATIVE=1 on a JS backend is an environment failure with the reason', async () => {
  const r = await runCanary({ env: { ...process.env, TFJS_BACKEND: 'cpu', COURSE_REQUIRE_NATIVE: '1' } });
  expect(r.ok).toBe(false);
  expect(r.backend).toBe('cpu');
  expect(r.error).toMatch(/COURSE_REQUIRE_NATIVE=1 but the native backend was not chosen/);
  expect(new EnvironmentError(r).problem).toMatch(/^the grading environment is broken: cpu COURSE_REQUIRE_NATIVE=1 .*; run `course doctor`$/);
}, 180_000);

const canRun24 = existsSync(NODE_24) && nativeStatus({ checkLoad: false }).installed;
describe.skipIf(!canRun24)('Node 24 with the Node shim switched off (COURSE_NODE_SHIM=0)', () => {
  test('`course grade` stops before grading: exit 1, the environment message, no results written', async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'canary-'));
    try {
      const r = await spawnAsync(NODE_24, [path.join(PROJECT_ROOT, 'bin/course.mjs'), 'grade', '--target', 'solutions', '--only', '02-activations', '--out', out], {
        cwd: PROJECT_ROOT,
        timeout: 180_000,
        env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(__)?VITEST/.test(k))), COURSE_NODE_SHIM: '0', TFJS_BACKEND: 'node', TF_CPP_MIN_LOG_LEVEL: '2' },
      });
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/the grading environment is broken: node \(TFJS_BACKEND\) .*util_1\.isNullOrUndefined\) is not a function.*; run `course doctor`/);
      expect(r.stderr).not.toMatch(/grading 02-activations/);
      expect(readdirSync(out)).toEqual([]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 200_000);
});
