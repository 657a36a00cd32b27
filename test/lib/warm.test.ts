/**
 * The warm checker of `course watch` (lib/cli/warm.ts) gives the verdicts the graded (cold,
 * sandboxed) path gives: the same tests pass and fail, with the same feedback, on the reference
 * and on a planted bug saved into the same warm session (so the edit must be seen: module
 * invalidation). The warm process dying between saves is restarted; a student's infinite loop
 * is killed at its limit, fails as graded, and the tests it kept from running are still checked.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, test, vi } from 'vitest';
import { WarmChecker } from '../../lib/cli/warm.js';
import { ROOT, SOLUTIONS_DIR } from '../../lib/exercises.js';
import { gradeExercise } from '../../lib/grader/grade.js';
import type { ExerciseGrade } from '../../lib/grader/types.js';
import { findPlantedBugs, materializeFixture, matchName } from '../support/grader-fixtures.js';

const EX = '01-ffnn-from-scratch';
const bug = (slug: string) => findPlantedBugs(path.join(ROOT, 'test/fixtures/broken', EX), EX).find((b) => b.slug === slug)!;
// inside the project, like a student's exercises/ copy: fixtures and solutions import ../../lib
const target = fs.mkdtempSync(path.join(ROOT, '.warm-test-'));
afterAll(() => fs.rmSync(target, { recursive: true, force: true }));

/** Replaces the exercise folder in `target` with a planted bug's files, as a student's save would. */
function saveFixture(slug: string): void {
  const scratch = fs.mkdtempSync(path.join(ROOT, '.warm-test-'));
  try {
    materializeFixture(bug(slug).dir, EX, scratch, ROOT);
    fs.rmSync(path.join(target, EX), { recursive: true, force: true });
    fs.cpSync(path.join(scratch, EX), path.join(target, EX), { recursive: true });
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

const verdicts = (g: ExerciseGrade) => g.tests.map((t) => ({ name: t.name, status: t.status, points: t.points, feedback: t.feedback }));
const failing = (g: ExerciseGrade) => g.tests.filter((t) => t.status === 'failed').map((t) => t.name).sort();
const cold = (tasks: number[], testTimeoutS?: number) => gradeExercise(EX, { target, seed: 1234, select: { tasks }, log: () => {}, testTimeoutS, runner: { watchdogMarginS: 2 } });

describe('warm checker (course watch)', () => {
  test('same verdicts and feedback as the graded path: reference, then a planted bug saved into the same session, after the checker died', async () => {
    fs.cpSync(path.join(SOLUTIONS_DIR, EX), path.join(target, EX), { recursive: true });
    const warm = new WarmChecker({ exercise: EX, target });
    try {
      const ok = await warm.check([2]);
      expect(ok.path).toBe('warm');
      expect(ok.grade.tests.length).toBe(3);
      expect(failing(ok.grade)).toEqual([]);
      expect(verdicts(ok.grade)).toEqual(verdicts(await cold([2])));

      warm.kill(); // the checker died between two saves: the next check starts a new one
      saveFixture('param-count-no-biases');
      const bad = await warm.check([2]);
      expect(bad.path).toBe('warm');
      const names = bad.grade.tests.map((t) => t.name);
      expect(failing(bad.grade)).toEqual(bug('param-count-no-biases').mustFail.map((n) => matchName(n, names)).sort());
      expect(verdicts(bad.grade)).toEqual(verdicts(await cold([2])));
      expect(bad.grade.score).toBe(0);
    } finally {
      warm.close();
    }
  }, 600_000);

  test('one test worker serves every save of a session: a planted bug saved into it is seen, then the fix, each with the graded verdicts', async () => {
    fs.rmSync(path.join(target, EX), { recursive: true, force: true });
    fs.cpSync(path.join(SOLUTIONS_DIR, EX), path.join(target, EX), { recursive: true });
    const warm = new WarmChecker({ exercise: EX, target });
    try {
      const reference = verdicts(await cold([2]));
      expect(verdicts((await warm.check([2])).grade)).toEqual(reference);
      saveFixture('param-count-no-biases');
      const bad = await warm.check([2]);
      expect(bad.path).toBe('warm');
      expect(bad.grade.score).toBe(0);
      expect(verdicts(bad.grade)).toEqual(verdicts(await cold([2])));
      fs.rmSync(path.join(target, EX), { recursive: true, force: true });
      fs.cpSync(path.join(SOLUTIONS_DIR, EX), path.join(target, EX), { recursive: true });
      expect(verdicts((await warm.check([2])).grade)).toEqual(reference);
      // no run left the worker dirty: all three ran in the one worker the start-up made
      expect(warm.recycles).toEqual([]);
    } finally {
      warm.close();
    }
  }, 600_000);

  test('a submission that patched tfjs (its Sub kernel) leaves no trace: the worker is replaced, the next save gets the graded verdicts', async () => {
    fs.rmSync(path.join(target, EX), { recursive: true, force: true });
    fs.cpSync(path.join(SOLUTIONS_DIR, EX), path.join(target, EX), { recursive: true });
    const reference = verdicts(await cold([4]));
    const warm = new WarmChecker({ exercise: EX, target });
    try {
      saveFixture('tamper-tf-sub-kernel');
      const tampered = await warm.check([3]);
      expect(tampered.grade.tests.some((t) => t.status === 'failed')).toBe(true);
      // said after the run's verdicts, when the worker has been replaced
      await vi.waitFor(() => expect(warm.recycles.flat().join('\n')).toMatch(/kernel 'Sub' was replaced/), { timeout: 60_000, interval: 200 });
      fs.rmSync(path.join(target, EX), { recursive: true, force: true });
      fs.cpSync(path.join(SOLUTIONS_DIR, EX), path.join(target, EX), { recursive: true });
      // task 4's tests (backprop) subtract: with the patched kernel still registered they would fail
      const fixed = await warm.check([4]);
      expect(fixed.path).toBe('warm');
      expect(verdicts(fixed.grade)).toEqual(reference);
    } finally {
      warm.close();
    }
  }, 600_000);

  test('a save that left a loop making tensors in the background is seen after its run: the worker is replaced, the next save checked right', async () => {
    fs.rmSync(path.join(target, EX), { recursive: true, force: true });
    fs.cpSync(path.join(SOLUTIONS_DIR, EX), path.join(target, EX), { recursive: true });
    const index = path.join(target, EX, 'index.ts');
    const reference = fs.readFileSync(index, 'utf8');
    const warm = new WarmChecker({ exercise: EX, target });
    try {
      // module-level code a student might leave in: it keeps running after the tests end
      fs.writeFileSync(index, `${reference}\nsetInterval(() => tf.ones([1]), 2);\n`);
      await warm.check([3]);
      await vi.waitFor(() => expect(warm.recycles.flat().join('\n')).toMatch(/tensors are still being made/), { timeout: 60_000, interval: 200 });
      fs.writeFileSync(index, reference);
      // the loop would otherwise go on allocating in every later run (a leak count taken across an
      // await would see it); the next save runs in a fresh worker
      const fixed = await warm.check([3]);
      expect(fixed.path).toBe('warm');
      expect(failing(fixed.grade)).toEqual([]);
    } finally {
      warm.close();
    }
  }, 600_000);

  test('a save that added a key to Object.prototype (an inherited chai flag) is seen after its run: the worker is replaced, the next save checked right', async () => {
    fs.rmSync(path.join(target, EX), { recursive: true, force: true });
    fs.cpSync(path.join(SOLUTIONS_DIR, EX), path.join(target, EX), { recursive: true });
    const index = path.join(target, EX, 'index.ts');
    const reference = fs.readFileSync(index, 'utf8');
    const warm = new WarmChecker({ exercise: EX, target });
    try {
      // harmless here, but every later run's objects (chai's flags among them) would inherit it
      fs.writeFileSync(index, `${reference}\nObject.defineProperty(Object.prototype, 'courseWarmProbe', { value: 1, configurable: true });\n`);
      await warm.check([3]);
      await vi.waitFor(() => expect(warm.recycles.flat().join('\n')).toMatch(/Object\.prototype\.courseWarmProbe was added/), { timeout: 60_000, interval: 200 });
      fs.writeFileSync(index, reference);
      const fixed = await warm.check([3]);
      expect(fixed.path).toBe('warm');
      expect(failing(fixed.grade)).toEqual([]);
    } finally {
      warm.close();
    }
  }, 600_000);

  test("a student's infinite loop is killed at its limit and fails as graded; the other tests of the task are still checked", async () => {
    saveFixture('perceptron-loops-until-converged');
    const b = bug('perceptron-loops-until-converged');
    const warm = new WarmChecker({ exercise: EX, target, testTimeoutS: b.timeout, watchdogMarginS: 2 });
    try {
      const r = await warm.check([1]);
      const names = r.grade.tests.map((t) => t.name);
      expect(failing(r.grade)).toEqual(b.mustFail.map((n) => matchName(n, names)).sort());
      const xor = r.grade.tests.find((t) => /XOR/.test(t.name))!;
      expect(xor.feedback).toMatch(/timed out after 20 s/);
      expect(r.grade.notes.join('\n')).toMatch(/restarted/);
      // the restarted checker answers the next save warm again
      saveFixture('param-count-no-biases');
      const next = await warm.check([1]);
      expect(next.path).toBe('warm');
      expect(failing(next.grade)).toEqual([]);
    } finally {
      warm.close();
    }
  }, 600_000);
});
