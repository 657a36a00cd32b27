/**
 * `course grade`: grade a target (exercises/ by default, solutions/, or a student's copy), or a
 * whole folder of submissions with --submissions. Exit code 0 when grading completed (whatever
 * the score), 2 for a usage error, 1 when grading itself could not run. Flags are declared in
 * program.ts. Reports go to reports/grade/<target>/ (results.json, report.md, history/).
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { CourseError } from '../errors.js';
import { EXERCISES_DIR, resolveTarget, SOLUTIONS_DIR } from '../exercises.js';
import { gradeSubmissions } from '../grader/batch.js';
import { exerciseSpecs, gradeExercise, gradeTarget, listExercises } from '../grader/grade.js';
import { defaultGradeDir, GRADE_REPORTS_DIR, writeHistory } from '../grader/history.js';
import { formatTable, writeReports } from '../grader/report.js';
import { lockFromSandbox } from '../grader/sandbox/index.js';
import { PROJECT_ROOT } from '../grader/paths.js';
import { describeSelection } from '../grader/select.js';
import type { ExerciseGrade, GradeReport } from '../grader/types.js';
import type { GradeFlags } from './program.js';
import { askChecker, leaveChecker, type CheckRequest } from './checker.js';
import { WarmChecker, type WarmCheck } from './warm.js';

function checkDir(flag: string, dir: string): string {
  const abs = path.resolve(dir);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) throw new CourseError(`--${flag} ${dir} is not a folder`, `pass an existing folder to --${flag}`);
  return abs;
}

export function gradeOptions(flags: GradeFlags) {
  const known = listExercises();
  // `--only 03` and `--only char-rnn` name 03-char-rnn, as everywhere else in the CLI
  const only = flags.only?.map((e) => known.find((k) => k === e) ?? known.find((k) => k.slice(0, 2) === e.padStart(2, '0') || k.slice(3) === e) ?? e);
  for (const e of only ?? []) {
    if (!known.includes(e)) throw new CourseError(`unknown exercise "${e}"`, `choose from: ${known.join(', ')}`);
  }
  if (flags.submissions !== undefined && flags.target !== undefined) throw new CourseError('--submissions and --target both given', 'use one: --submissions grades every sub-folder as a target');
  const target = flags.submissions ? undefined : resolveTarget(flags.target ?? 'exercises');
  return {
    target,
    submissions: flags.submissions ? checkDir('submissions', flags.submissions) : undefined,
    // COURSE_HIDDEN_DIR keeps the folder off the command line, which every user can read in /proc
    hiddenDir: (flags.hidden ?? process.env.COURSE_HIDDEN_DIR) ? checkDir('hidden', (flags.hidden ?? process.env.COURSE_HIDDEN_DIR)!) : undefined,
    out: path.resolve(flags.out ?? (target ? defaultGradeDir(target) : path.join(GRADE_REPORTS_DIR, 'batch'))),
    only,
    seed: flags.seed ?? 1234,
    testTimeoutS: flags.timeout,
    verbose: flags.verbose ?? false,
    jobs: flags.jobs,
    select: { tasks: flags.task, test: flags.test },
    sandbox: flags.sandbox ?? false,
  };
}

export const WARM_GRADE_NOTE =
  'checked on the warm checker, as `course watch` does: your own loop, not sandboxed, no tamper checks (a whole-exercise `course grade`, or `--sandbox`, grades in the sandbox)';

/**
 * `course grade --task N` is the student's own loop, like `course watch`: each exercise's chosen
 * tasks run once on the warm checker (lib/cli/warm.ts, without its start-up run), not in the
 * sandbox and without the environment canary or tamper checks, with a graded run's verdicts and
 * feedback. It pays vitest's and one test worker's start-up once, not the sandbox's staging,
 * start check and canary (docs/ARCHITECTURE.md, "The warm checker"). Whole-exercise grades,
 * --submissions and Gradescope keep the sandbox; so do --test, --hidden and --sandbox, and any
 * target other than this project's own exercises/ or solutions/ (someone else's code: an
 * instructor looking at one task of a submission gets the sandbox).
 */
export function gradesOnWarmChecker(opts: ReturnType<typeof gradeOptions>): boolean {
  const ownCode = opts.target === EXERCISES_DIR || opts.target === SOLUTIONS_DIR;
  return Boolean(ownCode && opts.select.tasks?.length && !opts.select.test && !opts.hiddenDir && !opts.sandbox && !opts.submissions);
}

async function gradeTasksWarm(opts: ReturnType<typeof gradeOptions>): Promise<GradeReport | null> {
  const tasks = opts.select.tasks!;
  const chosen = (opts.only?.length ? opts.only : listExercises()).filter((e) => exerciseSpecs(e, path.join(PROJECT_ROOT, 'test')).specs.some((s) => s.task !== undefined && tasks.includes(s.task)));
  if (chosen.length === 0) return null; // gradeTarget says what there is to choose from
  const t0 = Date.now();
  const exercises: ExerciseGrade[] = [];
  let leave: CheckRequest | null = null;
  for (const exercise of chosen) {
    if (!existsSync(path.join(opts.target!, exercise, 'index.ts'))) {
      // nothing to run: the graded path says so without starting anything
      exercises.push(await gradeExercise(exercise, { target: opts.target!, seed: opts.seed, select: opts.select, testTimeoutS: opts.testTimeoutS }));
      continue;
    }
    console.error(`checking ${exercise} (${describeSelection(opts.select)}) on the warm checker …`);
    const request: CheckRequest = { exercise, target: opts.target!, tasks, seed: opts.seed, testTimeoutS: opts.testTimeoutS };
    // a background checker left by an earlier `grade --task` answers without the start-up (checker.ts)
    const asked = await askChecker(request);
    let r: WarmCheck;
    if ('check' in asked) {
      r = asked.check;
    } else {
      leave = request;
      const warm = new WarmChecker({ exercise, target: opts.target!, seed: opts.seed, testTimeoutS: opts.testTimeoutS, warmUp: false });
      try {
        r = await warm.check(tasks);
      } finally {
        warm.close();
      }
    }
    exercises.push({ ...r.grade, notes: [WARM_GRADE_NOTE, ...r.grade.notes] });
    // the marker test/lib/checker.test.ts reads: which process answered (the report itself is the same either way)
    const by = 'check' in asked ? `answered by the background checker, pid ${asked.pid}` : `one-shot: ${asked.why}`;
    console.error(`  ${exercise}: ${r.grade.score}/${r.grade.maxScore} (${r.seconds.toFixed(1)} s; ${by})`);
  }
  // none answered (or one was out of date): leave one warm for the next `grade --task` (ends after 10 idle minutes)
  if (leave) leaveChecker(leave);
  const sum = (f: (e: ExerciseGrade) => number) => exercises.reduce((n, e) => n + f(e), 0);
  return { target: opts.target!, seed: opts.seed, score: sum((e) => e.score), maxScore: sum((e) => e.maxScore), seconds: (Date.now() - t0) / 1000, exercises, narrowed: describeSelection(opts.select) };
}

export async function gradeCommand(flags: GradeFlags): Promise<number> {
  let opts;
  try {
    opts = gradeOptions(flags);
  } catch (err) {
    if (!(err instanceof CourseError)) throw err;
    console.error(`course grade: ${err.problem}\n  fix: ${err.fix}`);
    return 2;
  }
  const common = { only: opts.only, hiddenDir: opts.hiddenDir, seed: opts.seed, testTimeoutS: opts.testTimeoutS, runner: { verbose: opts.verbose }, select: opts.select };
  if (opts.submissions) {
    const { rows, csv } = await gradeSubmissions(opts.submissions, opts.out, { ...common, jobs: opts.jobs });
    console.log(csv.trimEnd());
    for (const r of rows.filter((r) => r.error)) console.log(`${r.student}: ${r.error}`);
    console.log(`\nwrote ${path.relative(process.cwd(), path.join(opts.out, 'grades.csv'))}, grades.json and one results.json per student under ${path.relative(process.cwd(), opts.out) || '.'}`);
    return 0;
  }
  // earlier results there stay out of the sandbox uid's reach (lib/grader/sandbox/boundary.ts)
  if (process.getuid?.() === 0) {
    mkdirSync(opts.out, { recursive: true });
    lockFromSandbox([opts.out]);
  }
  const report = (gradesOnWarmChecker(opts) ? await gradeTasksWarm(opts) : null) ?? (await gradeTarget({ ...common, target: opts.target! }));
  const files = writeReports(report, opts.out);
  const history = writeHistory(report, opts.out);
  console.log(formatTable(report, { width: process.stdout.columns }));
  const rel = (f: string) => path.relative(process.cwd(), f);
  console.log(`\nwrote ${rel(files.results)}, ${rel(files.markdown)} and ${rel(history)}`);
  return 0;
}
