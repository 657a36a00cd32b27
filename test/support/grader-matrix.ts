/**
 * The grader on one real exercise: fresh stubs score 0 with "not implemented" everywhere, the
 * reference solutions get full marks, results.json follows Gradescope's schema, every planted
 * bug under test/fixtures/broken/<exercise>/ loses exactly the tests its bug.json names, and
 * every correct alternative under test/fixtures/correct/<exercise>/ (variant.json) gets full marks.
 * One file per exercise under test/grader/matrix/, so vitest can spread the matrix over its
 * workers (CI runs two). Only 01-ffnn-from-scratch (fast) runs by default; fixtures marked
 * "slow": true and the other exercises run with COURSE_SLOW_TESTS=1.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exerciseSpecs, gradeTarget, listExercises } from '../../lib/grader/grade.js';
import { toGradescope, writeReports } from '../../lib/grader/report.js';
import { PROJECT_ROOT } from '../../lib/grader/runner.js';
import { findCorrectVariants, findPlantedBugs, matchName, materializeFixture } from './grader-fixtures.js';

const SLOW = process.env.COURSE_SLOW_TESTS === '1';
const FAST_EXERCISE = '01-ffnn-from-scratch';
const quiet = () => {};

/** Defines the matrix for `exercise` (skipped when the exercise is not in this checkout). */
export function gradeMatrix(exercise: string): void {
  const available = listExercises().includes(exercise);
  const runAll = SLOW || exercise === FAST_EXERCISE;
  describe.skipIf(!available)(`grader on ${exercise}`, () => {
    const base = runAll ? it : it.skip;
    base(`${exercise}: fresh stubs complete with 0 points, every failure says "not implemented"`, async () => {
      const report = await gradeTarget({ target: path.join(PROJECT_ROOT, 'exercises'), only: [exercise], seed: 1234, log: quiet });
      expect(report.score).toBe(0);
      expect(report.maxScore).toBeGreaterThan(0);
      for (const t of report.exercises[0]!.tests) expect(t.feedback, t.name).toMatch(/^not implemented: \S+$/);
    }, 600_000);

    base(`${exercise}: reference solutions get full marks; results.json follows the Gradescope schema`, async () => {
      const report = await gradeTarget({ target: path.join(PROJECT_ROOT, 'solutions'), only: [exercise], seed: 1234, log: quiet });
      const failed = report.exercises[0]!.tests.filter((t) => t.status === 'failed').map((t) => `${t.name}: ${t.feedback}`);
      expect(failed).toEqual([]);
      expect(report.score).toBe(report.maxScore);

      const out = fs.mkdtempSync(path.join(os.tmpdir(), 'grade-out-'));
      try {
        const files = writeReports(report, out);
        const json = JSON.parse(fs.readFileSync(files.results, 'utf8')) as ReturnType<typeof toGradescope>;
        expect(Object.keys(json).sort()).toEqual(['execution_time', 'extra_data', 'output', 'output_format', 'score', 'stdout_visibility', 'test_output_format', 'tests']);
        expect(json.score).toBe(report.maxScore);
        expect(Number.isInteger(json.execution_time)).toBe(true);
        const specs = exerciseSpecs(exercise, path.join(PROJECT_ROOT, 'test')).specs;
        expect(json.tests).toHaveLength(specs.length);
        json.tests.forEach((t, i) => {
          expect(Object.keys(t).sort()).toEqual(['extra_data', 'max_score', 'name', 'number', 'output', 'score', 'status', 'tags', 'visibility']);
          expect(t.number).toBe(`1.${i + 1}`);
          expect(t.status).toBe('passed');
          expect(t.visibility).toBe('visible');
          expect(t.score).toBe(t.max_score);
          expect(t.tags[0]).toBe(exercise);
        });
        expect(fs.readFileSync(files.markdown, 'utf8')).toContain(`## ${exercise}: ${report.maxScore} / ${report.maxScore}`);
      } finally {
        fs.rmSync(out, { recursive: true, force: true });
      }
    }, 600_000);


    const bugs = findPlantedBugs(path.join(PROJECT_ROOT, 'test/fixtures/broken')).filter((b) => b.exercise === exercise);
    for (const bug of bugs) {
      const run = (SLOW || (bug.exercise === FAST_EXERCISE && !bug.slow)) ? it : it.skip;
      run(`planted bug ${bug.exercise}/${bug.slug} fails exactly its tests`, async () => {
        const names = exerciseSpecs(bug.exercise, path.join(PROJECT_ROOT, 'test')).specs.map((s) => s.name);
        const mustFail = bug.mustFail.map((n) => {
          const found = matchName(n, names);
          expect(found, `bug.json names "${n}", which is not in the rubric`).toBeDefined();
          return found!;
        });
        expect(mustFail.length, 'bug.json must name at least one test').toBeGreaterThan(0);
        const target = materializeFixture(bug.dir, bug.exercise, fs.mkdtempSync(path.join(os.tmpdir(), 'planted-')), PROJECT_ROOT);
        const report = await gradeTarget({ target, only: [bug.exercise], seed: 1234, testTimeoutS: bug.timeout, log: quiet, runner: { watchdogMarginS: 5 } }).finally(() =>
          fs.rmSync(target, { recursive: true, force: true }),
        );
        const failed = report.exercises[0]!.tests.filter((t) => t.status === 'failed');
        expect(failed.map((t) => t.name).sort(), failed.map((t) => `${t.name}: ${t.feedback}`).join('\n')).toEqual([...mustFail].sort());
      }, 600_000);
    }

    const variants = findCorrectVariants(path.join(PROJECT_ROOT, 'test/fixtures/correct')).filter((v) => v.exercise === exercise);
    for (const variant of variants) {
      const run = (SLOW || (variant.exercise === FAST_EXERCISE && !variant.slow)) ? it : it.skip;
      run(`correct variant ${variant.exercise}/${variant.slug} gets full marks`, async () => {
        const target = materializeFixture(variant.dir, variant.exercise, fs.mkdtempSync(path.join(os.tmpdir(), 'variant-')), PROJECT_ROOT);
        const report = await gradeTarget({ target, only: [variant.exercise], seed: 1234, log: quiet, runner: { watchdogMarginS: 5 } }).finally(() =>
          fs.rmSync(target, { recursive: true, force: true }),
        );
        const failed = report.exercises[0]!.tests.filter((t) => t.status === 'failed').map((t) => `${t.name}: ${t.feedback}`);
        expect(failed, variant.description).toEqual([]);
        expect(report.score).toBe(report.maxScore);
      }, 600_000);
    }
  });
}
