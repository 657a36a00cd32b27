/**
 * `course watch` results reach the grade history and `course hint` (issue 23, item 4): each
 * check is a narrowed history entry, and the exercise's watch results.json merges the checked
 * tasks' tests with what the watch last saw of the others, so `course hint` points at the task
 * that fails now, not at the last `course grade`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { lastGrades, readHistory, recordWatchCheck } from '../../lib/grader/history.js';
import type { ExerciseGrade, GradedTest } from '../../lib/grader/types.js';
import { lastProgress } from '../../lib/hints.js';

const EX = '04-dcgan';
const test1 = (task: number, name: string, passed: boolean, points = 2): GradedTest => ({
  exercise: EX,
  name: `task ${task}: ${name}`,
  task,
  points: passed ? points : 0,
  maxPoints: points,
  status: passed ? 'passed' : 'failed',
  feedback: passed ? '' : 'wrong value: expected 1 to be 2 — hint: x',
  hidden: false,
});
const gradeOf = (tests: GradedTest[]): ExerciseGrade => ({
  exercise: EX,
  score: tests.reduce((n, t) => n + t.points, 0),
  maxScore: tests.reduce((n, t) => n + t.maxPoints, 0),
  tests,
  seconds: 1.5,
  notes: [],
});

describe('course watch writes what course hint and the history read', () => {
  test('a check is a narrowed history entry; the watch results merge task by task; hint follows them', () => {
    const gradeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'watch-history-'));
    const outDir = path.join(gradeDir, 'exercises');
    const at = (s: number) => new Date(Date.UTC(2026, 11, 7, 14, 0, s));
    // the first cycle: task 1 passes, task 2 fails
    recordWatchCheck({ target: '/x/exercises', grade: gradeOf([test1(1, 'a', true), test1(2, 'b', false), test1(2, 'c', true)]), tasks: [1, 2], seed: 1234, outDir }, at(1));
    expect(lastProgress(EX, gradeDir)?.firstFailing).toBe(2);
    // a save re-checks task 1 only, which now fails: task 2's earlier tests stay, task 1's are replaced
    recordWatchCheck({ target: '/x/exercises', grade: gradeOf([test1(1, 'a', false)]), tasks: [1], seed: 1234, outDir }, at(2));
    let p = lastProgress(EX, gradeDir)!;
    expect(p.firstFailing).toBe(1);
    expect([...p.tasks].map(([t, v]) => [t, v.failed, v.total])).toEqual([[1, 1, 1], [2, 1, 2]]);
    // both fixed: every task passes
    recordWatchCheck({ target: '/x/exercises', grade: gradeOf([test1(1, 'a', true), test1(2, 'b', true), test1(2, 'c', true)]), tasks: [1, 2], seed: 1234, outDir }, at(3));
    p = lastProgress(EX, gradeDir)!;
    expect(p.firstFailing).toBeUndefined();
    expect(p.tasks.get(2)).toEqual({ points: 4, max: 4, failed: 0, total: 2 });

    const history = readHistory(outDir);
    expect(history.map((h) => [h.narrowed, h.score, h.maxScore])).toEqual([
      ['course watch: tasks 1, 2', 4, 6],
      ['course watch: task 1', 0, 2],
      ['course watch: tasks 1, 2', 6, 6],
    ]);
    // a watch check covers part of an exercise: `course list`'s last full grade ignores it
    expect(lastGrades(outDir).size).toBe(0);
    fs.rmSync(gradeDir, { recursive: true, force: true });
  });
});
