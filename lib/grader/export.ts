/**
 * The batch's grade export: grades.csv for an LMS import (one row per student; the identifier
 * first, then per exercise its task columns followed by the exercise total, then the total:
 * plain numbers, one header row, no blank cells) and grades.json with the same numbers plus the
 * maxima, every test's result and any grading error. The last CSV column, "needs review", counts
 * the lines the static scan flagged (lib/grader/scan.ts; 0 = nothing to look at): it is not a score.
 */
import type { ScanFinding } from './scan.js';
import type { ExerciseGrade, GradeReport, GradedTestSpec } from './types.js';

export interface TaskColumn {
  /** task number, or null for tests without one ("other") */
  task: number | null;
  maxScore: number;
}

export interface ExerciseColumns {
  exercise: string;
  maxScore: number;
  tasks: TaskColumn[];
}

/** Column layout from the rubric specs (visible + hidden), so a failed submission still gets every column. */
export function exerciseColumns(exercise: string, specs: readonly GradedTestSpec[]): ExerciseColumns {
  const byTask = new Map<number | null, number>();
  for (const s of specs) byTask.set(s.task ?? null, (byTask.get(s.task ?? null) ?? 0) + s.points);
  const tasks = [...byTask.entries()]
    .sort(([a], [b]) => (a ?? Infinity) - (b ?? Infinity))
    .map(([task, maxScore]) => ({ task, maxScore }));
  return { exercise, maxScore: specs.reduce((n, s) => n + s.points, 0), tasks };
}

export interface StudentGrades {
  student: string;
  /** null when grading the student failed as a whole */
  report: GradeReport | null;
  error?: string;
}

function taskLabel(t: number | null): string {
  return t === null ? 'other' : `task ${t}`;
}

function num(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Math.round(n * 100) / 100);
}

function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function taskScore(grade: ExerciseGrade | undefined, task: number | null): number {
  return (grade?.tests ?? []).filter((t) => (t.task ?? null) === task).reduce((n, t) => n + t.points, 0);
}

/** Lines the static scan flagged in a student's submission (all exercises). */
export function reviewCount(report: GradeReport | null): number {
  return (report?.exercises ?? []).reduce((n, e) => n + (e.review?.length ?? 0), 0);
}

export function csvHeader(columns: readonly ExerciseColumns[]): string[] {
  return ['student', ...columns.flatMap((c) => [...c.tasks.map((t) => `${c.exercise} ${taskLabel(t.task)}`), c.exercise]), 'total', 'needs review'];
}

export function gradesCsv(columns: readonly ExerciseColumns[], students: readonly StudentGrades[]): string {
  const lines = [csvHeader(columns).map(csvCell).join(',')];
  for (const s of students) {
    const cells = [csvCell(s.student)];
    for (const c of columns) {
      const grade = s.report?.exercises.find((e) => e.exercise === c.exercise);
      cells.push(...c.tasks.map((t) => num(taskScore(grade, t.task))), num(grade?.score ?? 0));
    }
    cells.push(num(s.report?.score ?? 0), String(reviewCount(s.report)));
    lines.push(cells.join(','));
  }
  return `${lines.join('\n')}\n`;
}

export interface GradesJson {
  generated_at: string;
  seed: number;
  max_total: number;
  exercises: { exercise: string; max_score: number; tasks: { task: number | null; max_score: number }[] }[];
  students: {
    student: string;
    total: number;
    error?: string;
    exercises: Record<string, { score: number; tasks: Record<string, number>; tests: { name: string; task: number | null; score: number; max_score: number; status: string; hidden: boolean; feedback: string; environment_error?: string }[]; notes: string[]; needs_review: ScanFinding[] }>;
  }[];
}

export function gradesJson(columns: readonly ExerciseColumns[], students: readonly StudentGrades[], seed: number): GradesJson {
  return {
    generated_at: new Date().toISOString(),
    seed,
    max_total: columns.reduce((n, c) => n + c.maxScore, 0),
    exercises: columns.map((c) => ({ exercise: c.exercise, max_score: c.maxScore, tasks: c.tasks.map((t) => ({ task: t.task, max_score: t.maxScore })) })),
    students: students.map((s) => ({
      student: s.student,
      total: s.report?.score ?? 0,
      ...(s.error ? { error: s.error } : {}),
      exercises: Object.fromEntries(
        columns.map((c) => {
          const grade = s.report?.exercises.find((e) => e.exercise === c.exercise);
          return [
            c.exercise,
            {
              score: grade?.score ?? 0,
              tasks: Object.fromEntries(c.tasks.map((t) => [taskLabel(t.task), taskScore(grade, t.task)])),
              tests: (grade?.tests ?? []).map((t) => ({ name: t.name, task: t.task ?? null, score: t.points, max_score: t.maxPoints, status: t.status, hidden: t.hidden, feedback: t.feedback, ...(t.environmentError ? { environment_error: t.environmentError } : {}) })),
              notes: grade?.notes ?? [],
              needs_review: grade?.review ?? [],
            },
          ];
        }),
      ),
    })),
  };
}
