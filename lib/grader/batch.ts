/**
 * Batch grading: every sub-folder of a submissions dir is one student's copy of exercises/.
 * Each gets results.json + report.md under <out>/<student>/; grades.csv (per task, per exercise,
 * total) and grades.json collect the scores (lib/grader/export.ts).
 * A submission that breaks (syntax error, missing folder, anything thrown) gets 0 for what
 * broke with a message; it never stops the batch. `jobs` submissions are graded at once, each
 * run in its own stage and sandbox (lib/grader/sandbox/).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CourseError, describeError } from '../errors.js';
import { EnvironmentError } from './canary.js';
import { exerciseColumns, gradesCsv, gradesJson, type StudentGrades } from './export.js';
import { exerciseSpecs, gradeTarget, listExercises, RubricError, type GradeOptions } from './grade.js';
import { writeReports } from './report.js';
import { PROJECT_ROOT } from './runner.js';
import { lockFromSandbox } from './sandbox/index.js';
import type { GradeReport } from './types.js';
import { plainLine } from './plain-text.js';

export interface BatchRow {
  student: string;
  scores: Record<string, number>;
  total: number;
  error?: string;
}

export async function gradeSubmissions(
  submissionsDir: string,
  outDir: string,
  opts: Omit<GradeOptions, 'target'> & { jobs?: number },
): Promise<{ rows: BatchRow[]; csv: string }> {
  if (!fs.existsSync(submissionsDir) || !fs.statSync(submissionsDir).isDirectory()) {
    throw new CourseError(`submissions folder ${submissionsDir} does not exist`, 'pass --submissions DIR with one sub-folder per student');
  }
  const students = fs
    .readdirSync(submissionsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
    .map((d) => d.name)
    .sort();
  if (students.length === 0) throw new CourseError(`${submissionsDir} has no sub-folders`, 'put each student\'s copy of exercises/ in its own sub-folder');
  const exercises = opts.only && opts.only.length > 0 ? opts.only : listExercises(opts.testsDir ?? path.join(PROJECT_ROOT, 'test'));
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const jobs = Math.max(1, Math.min(students.length, Math.floor(opts.jobs ?? defaultJobs())));
  // other students' code and every report stay out of the sandboxes' reach (sandbox/boundary.ts)
  fs.mkdirSync(outDir, { recursive: true });
  if (process.getuid?.() === 0) lockFromSandbox([submissionsDir, outDir]);
  const rows: BatchRow[] = new Array(students.length);
  const graded: StudentGrades[] = new Array(students.length);
  // per exercise, once: whether the reference solutions run a test the rubric does not list
  const referenceChecks = new Map<string, Promise<boolean>>();
  const referenceHitsRubricError = (err: RubricError): Promise<boolean> => {
    const solutions = path.join(PROJECT_ROOT, 'solutions');
    if (!fs.existsSync(path.join(solutions, err.exercise))) return Promise.resolve(true); // nothing to compare with: the instructor decides
    if (!referenceChecks.has(err.exercise)) {
      log(`  ${err.exercise}: ${plainLine(err.message)}: checking the reference solutions`);
      const check = gradeTarget({ ...opts, only: [err.exercise], target: solutions, log: () => {} }).then(
        () => false,
        (e: unknown) => e instanceof RubricError,
      );
      referenceChecks.set(err.exercise, check);
    }
    return referenceChecks.get(err.exercise)!;
  };
  const gradeOne = async (i: number): Promise<void> => {
    // every run of every student has its own stage and sandbox: one student's crash, hang or
    // attack cannot reach another's files or results, and the parent writes the reports
    const student = students[i]!;
    // a folder name reaches the instructor's terminal: control characters shown as escapes
    const shown = plainLine(student, 200);
    const prefix = jobs > 1 ? `[${shown}] ` : '';
    if (jobs === 1) log(`== ${shown}`);
    let report: GradeReport | null = null;
    let error: string | undefined;
    const grade = (extra: Partial<GradeOptions> = {}) => gradeTarget({ ...opts, ...extra, target: path.join(submissionsDir, student), log: (line) => log(`${prefix}${line}`) });
    try {
      try {
        report = await grade();
      } catch (err) {
        // a rubric problem is the instructor's: it stops the batch, but only when the reference
        // solutions hit it too; otherwise this submission registered the test (vitest's globals)
        if (!(err instanceof RubricError) || (await referenceHitsRubricError(err))) throw err;
        log(`  ${shown}: ${err.exercise}: tests not in the rubric ran only for this submission: regraded with them ignored`);
        report = await grade({ unknownTests: 'ignore' });
      }
    } catch (err) {
      if (err instanceof CourseError && /rubric/.test(err.message)) throw err;
      // so is a broken grading environment (canary.ts): nobody gets a score from it
      if (err instanceof EnvironmentError) throw err;
      error = describeError(err).split('\n')[0];
      log(`  ${shown}: grading failed: ${plainLine(error)}`);
    }
    const dir = path.join(outDir, student);
    if (report) writeReports(report, dir);
    else {
      fs.mkdirSync(dir, { recursive: true });
      const results = { score: 0, execution_time: 0, output: `grading failed: ${error}`, tests: [] };
      fs.writeFileSync(path.join(dir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
    }
    const scores = Object.fromEntries((report?.exercises ?? []).map((e) => [e.exercise, e.score]));
    rows[i] = { student, scores, total: report?.score ?? 0, error };
    graded[i] = { student, report, error };
  };
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < students.length; i = next++) await gradeOne(i);
  };
  await Promise.all(Array.from({ length: jobs }, worker));
  const testsDir = opts.testsDir ?? path.join(PROJECT_ROOT, 'test');
  const columns = exercises.map((e) => exerciseColumns(e, exerciseSpecs(e, testsDir, opts.hiddenDir).specs));
  const csv = gradesCsv(columns, graded);
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'grades.csv'), csv);
  fs.writeFileSync(path.join(outDir, 'grades.json'), `${JSON.stringify(gradesJson(columns, graded, opts.seed), null, 2)}\n`);
  return { rows, csv };
}

/** Parallel gradings by default: one per core (each exercise run is one vitest process plus one worker). */
export function defaultJobs(): number {
  return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
}
