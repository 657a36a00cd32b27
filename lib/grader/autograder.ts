/**
 * What `run_autograder` runs on Gradescope for every submission: find the exercise folders in
 * <root>/submission, grade the assignment's exercises (source/gradescope.json, written by
 * `course gradescope-package`) with its bundled hidden tests, and write
 * <root>/results/results.json. Whatever goes wrong inside the grader, a valid results.json is
 * still written (score 0 and the reason), so Gradescope never shows a bare "autograder failed".
 *
 * <root> is /autograder on Gradescope; COURSE_AUTOGRADER_ROOT moves it (the contract test).
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { CourseError, describeError } from '../errors.js';
import { gradeTarget, listExercises } from './grade.js';
import { toGradescope, type GradescopeResults } from './report.js';
import { PROJECT_ROOT } from './runner.js';
import { locateSubmission, type LocatedSubmission } from './submission.js';
import { detectIsolation, isolationLine, lockFromSandbox } from './sandbox/index.js';

/** The assignment, as `course gradescope-package` froze it into source/gradescope.json. */
export interface PackageConfig {
  /** the exercises this assignment grades */
  exercises: string[];
  /** folder (relative to source/) holding the bundled hidden tests, if any */
  hidden?: string;
  seed: number;
  /** when and from which commit the package was built */
  built: { at: string; commit?: string };
}

export const PACKAGE_CONFIG = 'gradescope.json';

export function readPackageConfig(sourceDir = PROJECT_ROOT): PackageConfig {
  const file = path.join(sourceDir, PACKAGE_CONFIG);
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new CourseError(`cannot read the package's ${PACKAGE_CONFIG} (${describeError(err).split('\n')[0]})`, 'rebuild the autograder zip with `course gradescope-package` and upload it again');
  }
  const c = raw as Partial<PackageConfig>;
  if (!Array.isArray(c.exercises) || c.exercises.length === 0 || !c.exercises.every((e) => typeof e === 'string') || typeof c.seed !== 'number') {
    throw new CourseError(`the package's ${PACKAGE_CONFIG} has no exercise list or seed`, 'rebuild the autograder zip with `course gradescope-package` and upload it again');
  }
  return c as PackageConfig;
}

/** The parts of /autograder/submission_metadata.json worth keeping (no names or e-mails). */
export function readSubmissionMetadata(root: string): Record<string, unknown> | undefined {
  const file = path.join(root, 'submission_metadata.json');
  if (!fs.existsSync(file)) return undefined;
  try {
    const m = JSON.parse(fs.readFileSync(file, 'utf8')) as {
      id?: unknown;
      created_at?: unknown;
      submission_method?: unknown;
      assignment?: { id?: unknown; title?: unknown; due_date?: unknown; late_due_date?: unknown };
      users?: unknown[];
      previous_submissions?: unknown[];
    };
    const created = typeof m.created_at === 'string' ? Date.parse(m.created_at) : NaN;
    const due = typeof m.assignment?.due_date === 'string' ? Date.parse(m.assignment.due_date) : NaN;
    return {
      id: m.id,
      submitted_at: m.created_at,
      method: m.submission_method,
      assignment: m.assignment ? { id: m.assignment.id, title: m.assignment.title, due_date: m.assignment.due_date, late_due_date: m.assignment.late_due_date } : undefined,
      late: Number.isFinite(created) && Number.isFinite(due) ? created > due : undefined,
      group_size: Array.isArray(m.users) ? m.users.length : undefined,
      previous_submissions: Array.isArray(m.previous_submissions) ? m.previous_submissions.length : undefined,
    };
  } catch (err) {
    return { unreadable: describeError(err).split('\n')[0] };
  }
}

function packageVersion(name: string): string | undefined {
  try {
    const require = createRequire(path.join(PROJECT_ROOT, 'package.json'));
    return (require(`${name}/package.json`) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/** How the grader keeps student code apart from the results (lib/grader/sandbox/isolation.ts, docs/GRADER.md). */
export const ISOLATION_MODE = (): string => `${detectIsolation().mode}: ${isolationLine()}`;

/** Versions and settings a grade depends on: stored with every result for later audits. */
async function environment(): Promise<Record<string, unknown>> {
  let backend: string;
  try {
    const { initBackend } = await import('../backend/index.js');
    const info = await initBackend({ quiet: true });
    backend = info.choice;
  } catch (err) {
    backend = `unknown (${describeError(err).split('\n')[0]})`;
  }
  return { backend, tfjs: packageVersion('@tensorflow/tfjs'), node: process.version, isolation: ISOLATION_MODE() };
}

/** A valid results.json for a grader that could not grade: score 0, the reason, whom to tell. */
export function crashResults(reason: string, fix: string | undefined, seconds: number, extraData: Record<string, unknown>): GradescopeResults {
  const output = [
    '**The autograder could not grade this submission.**',
    '',
    `Reason: ${reason}`,
    ...(fix ? ['', `What to do: ${fix}`] : []),
    '',
    'Your score is 0 until this is fixed; if the reason is not about your upload, tell the course staff.',
  ].join('\n');
  return {
    score: 0,
    execution_time: Math.round(seconds),
    output,
    output_format: 'md',
    test_output_format: 'text',
    stdout_visibility: 'hidden',
    tests: [],
    extra_data: { ...extraData, error: reason },
  };
}

export interface AutograderRun {
  results: GradescopeResults;
  file: string;
}

/** Grade <root>/submission into <root>/results/results.json. Never throws for a bad submission or a grader crash. */
export async function runAutograder(root: string, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<AutograderRun> {
  const t0 = Date.now();
  const resultsDir = path.join(root, 'results');
  fs.mkdirSync(resultsDir, { recursive: true });
  // the submission, the package's hidden tests and the results: none readable to the sandbox uid
  // (setup.sh does the same for the image; sandbox/boundary.ts)
  if (process.getuid?.() === 0) lockFromSandbox([root]);
  const file = path.join(resultsDir, 'results.json');
  const extra: Record<string, unknown> = {};
  let located: LocatedSubmission | undefined;
  let results: GradescopeResults;
  try {
    const submission = readSubmissionMetadata(root);
    if (submission) extra.submission = submission;
    const config = readPackageConfig();
    extra.package = { exercises: config.exercises, hidden_tests: !!config.hidden, built: config.built };
    Object.assign(extra, await environment());
    const known = listExercises();
    const unknown = config.exercises.filter((e) => !known.includes(e));
    if (unknown.length > 0) throw new CourseError(`the package has no graded tests for ${unknown.join(', ')}`, 'rebuild the autograder zip with `course gradescope-package --only …`');
    located = locateSubmission(path.join(root, 'submission'), config.exercises);
    extra.layout = located.layout;
    log(`submission: ${located.layout}${located.foundIn ? ` in ${located.foundIn}/` : ''}; grading ${config.exercises.join(', ')}`);
    const report = await gradeTarget({
      target: located.target,
      only: config.exercises,
      hiddenDir: config.hidden ? path.join(PROJECT_ROOT, config.hidden) : undefined,
      seed: config.seed,
      log,
    });
    results = toGradescope(report, extra);
    if (located.foundIn) results.output += `\n\n(graded the files found in \`${located.foundIn}/\` of your upload)`;
  } catch (err) {
    const reason = err instanceof CourseError ? err.problem : describeError(err).split('\n')[0]!;
    const fix = err instanceof CourseError ? err.fix : undefined;
    log(`autograder error: ${reason}`);
    results = crashResults(reason, fix, (Date.now() - t0) / 1000, extra);
  } finally {
    if (located?.staged) fs.rmSync(located.staged, { recursive: true, force: true });
  }
  results.execution_time = Math.round((Date.now() - t0) / 1000);
  fs.writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  return { results, file };
}
