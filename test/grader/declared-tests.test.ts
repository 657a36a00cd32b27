/**
 * lib/grader/declared-tests.ts: which test names the test files declare. It decides whether a
 * test without a rubric entry is the instructor's (a rubric error) or the submission's (ignored).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { declaredIn, declaredTestPatterns } from '../../lib/grader/declared-tests.js';
import { exerciseSpecs, listExercises } from '../../lib/grader/grade.js';
import { PROJECT_ROOT } from '../../lib/grader/runner.js';

const TEST_DIR = path.join(PROJECT_ROOT, 'test');

describe('declared test names', () => {
  it('every rubric test of every exercise is declared by its test file (a missing rubric entry would be a rubric error)', () => {
    for (const exercise of listExercises()) {
      const { files, specs } = exerciseSpecs(exercise, TEST_DIR);
      for (const s of specs) expect(declaredIn(s.name, files), `${exercise} › ${s.name}`).toBe(true);
    }
  });

  it('reads strings, templates and .each formats; a name made up elsewhere is not declared', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'declared-')), 'x.test.ts');
    try {
      fs.writeFileSync(
        file,
        [
          "describe('task 1: add', () => {",
          "  it('adds two numbers', () => {});",
          '  for (const n of [1, 2]) test(`adds ${n} to itself`, () => {});',
          "  it.each([[1, 2]])('sums %i and %i', () => {});",
          "  describe.runIf(true)('nested', () => it.skip('skipped one', () => {}));",
          '});',
        ].join('\n'),
      );
      expect(declaredTestPatterns(file)).toHaveLength(6);
      expect(declaredIn('task 1: add > adds two numbers', [file])).toBe(true);
      expect(declaredIn('task 1: add > adds 7 to itself', [file])).toBe(true);
      expect(declaredIn('task 1: add > sums 3 and 4', [file])).toBe(true);
      expect(declaredIn('task 1: add > nested > skipped one', [file])).toBe(true);
      expect(declaredIn('extra credit: always passes', [file])).toBe(false);
      expect(declaredIn('task 1: add > subtracts', [file])).toBe(false);
      expect(declaredIn('adds two numbers (forged)', [file])).toBe(false);
    } finally {
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  });
});
