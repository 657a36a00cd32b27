/**
 * `course grade`: grade a target (exercises/ by default, solutions/, or a student's copy), or a
 * whole folder of submissions with --submissions. Exit code 0 when grading completed (whatever
 * the score), 2 for a usage error, 1 when grading itself could not run. Flags are declared in
 * program.ts. Reports go to reports/grade/<target>/ (results.json, report.md, history/).
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { CourseError } from '../errors.js';
import { resolveTarget } from '../exercises.js';
import { gradeSubmissions } from '../grader/batch.js';
import { gradeTarget, listExercises } from '../grader/grade.js';
import { defaultGradeDir, GRADE_REPORTS_DIR, writeHistory } from '../grader/history.js';
import { formatTable, writeReports } from '../grader/report.js';
import { lockFromSandbox } from '../grader/sandbox/index.js';
import type { GradeFlags } from './program.js';

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
  };
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
  const report = await gradeTarget({ ...common, target: opts.target! });
  const files = writeReports(report, opts.out);
  const history = writeHistory(report, opts.out);
  console.log(formatTable(report, { width: process.stdout.columns }));
  const rel = (f: string) => path.relative(process.cwd(), f);
  console.log(`\nwrote ${rel(files.results)}, ${rel(files.markdown)} and ${rel(history)}`);
  return 0;
}
