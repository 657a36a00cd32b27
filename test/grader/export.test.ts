/** grades.csv / grades.json from graded reports: column order, per-task sums, failed students, quoting. */
import { describe, expect, it } from 'vitest';
import { exerciseColumns, gradesCsv, gradesJson } from '../../lib/grader/export.js';
import type { GradedTest, GradedTestSpec, GradeReport } from '../../lib/grader/types.js';

const spec = (name: string, points: number, task?: number, hidden = false): GradedTestSpec => ({ name, points, task, feedback: 'f', file: 'x.test.ts', hidden });
const SPECS: Record<string, GradedTestSpec[]> = {
  '01-a': [spec('t1', 2, 1), spec('t2', 3, 2), spec('t3', 1, 1), spec('h', 4, undefined, true)],
  '02-b': [spec('u1', 5, 1)],
};
const columns = Object.entries(SPECS).map(([e, s]) => exerciseColumns(e, s));

function report(passed: Record<string, string[]>): GradeReport {
  const exercises = Object.entries(SPECS).map(([exercise, specs]) => {
    const tests: GradedTest[] = specs.map((s) => {
      const ok = (passed[exercise] ?? []).includes(s.name);
      return { exercise, name: s.name, task: s.task, points: ok ? s.points : 0, maxPoints: s.points, status: ok ? 'passed' : 'failed', feedback: ok ? '' : 'no', hidden: s.hidden };
    });
    return { exercise, score: tests.reduce((n, t) => n + t.points, 0), maxScore: tests.reduce((n, t) => n + t.maxPoints, 0), tests, seconds: 1, notes: [] };
  });
  return { target: 'x', seed: 3, score: exercises.reduce((n, e) => n + e.score, 0), maxScore: 15, seconds: 2, exercises };
}

describe('grade export', () => {
  const students = [
    { student: 'ann', report: report({ '01-a': ['t1', 't3', 'h'], '02-b': ['u1'] }) },
    { student: 'lee, bo "jr"', report: report({ '01-a': ['t2'] }) },
    { student: 'max', report: null, error: 'grading failed: boom' },
  ];

  it('has the identifier first, each exercise\'s tasks then its total, then the total; every cell a number', () => {
    const lines = gradesCsv(columns, students).trimEnd().split('\n');
    expect(lines[0]).toBe('student,01-a task 1,01-a task 2,01-a other,01-a,02-b task 1,02-b,total,needs review');
    expect(lines[1]).toBe('ann,3,0,4,7,5,5,12,0');
    expect(lines[2]).toBe('"lee, bo ""jr""",0,3,0,3,0,0,3,0');
    expect(lines[3]).toBe('max,0,0,0,0,0,0,0,0');
    // the task columns add up to the exercise column, the exercise columns to the total
    for (const line of lines.slice(1)) {
      const n = line.split(',').slice(-8, -1).map(Number); // the last column counts review flags
      expect(n[0]! + n[1]! + n[2]!).toBe(n[3]);
      expect(n[3]! + n[5]!).toBe(n[6]);
    }
  });

  it('grades.json carries the maxima, per-task scores, every test and the error', () => {
    const json = gradesJson(columns, students, 3);
    expect(json.max_total).toBe(15);
    expect(json.exercises[0]).toEqual({ exercise: '01-a', max_score: 10, tasks: [{ task: 1, max_score: 3 }, { task: 2, max_score: 3 }, { task: null, max_score: 4 }] });
    expect(json.students[0]!.exercises['01-a']!.tasks).toEqual({ 'task 1': 3, 'task 2': 0, other: 4 });
    expect(json.students[0]!.exercises['01-a']!.tests.find((t) => t.name === 'h')).toMatchObject({ hidden: true, score: 4, status: 'passed' });
    expect(json.students[2]).toMatchObject({ student: 'max', total: 0, error: 'grading failed: boom' });
    expect(json.students[2]!.exercises['02-b']).toEqual({ score: 0, tasks: { 'task 1': 0 }, tests: [], notes: [], needs_review: [] });
  });
});
