/**
 * `course grade`: grade a target (exercises/ by default, solutions/, or a student's copy), or a
 * whole folder of submissions with --submissions. Exit code 0 when grading completed (whatever
 * the score), 2 for a usage error, 1 when grading itself could not run.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { CourseError } from '../errors.js';
import { resolveTarget } from '../exercises.js';
import { gradeSubmissions } from '../grader/batch.js';
import { gradeTarget, listExercises } from '../grader/grade.js';
import { formatTable, writeReports } from '../grader/report.js';
import { PROJECT_ROOT } from '../grader/runner.js';
import { parseFlags, type FlagSpec } from './args.js';

export const gradeFlags = {
  target: { type: 'string', help: 'exercises (default) | solutions | a folder with NN-name/ copies' },
  only: { type: 'list', help: 'grade only these exercises (several allowed)' },
  hidden: { type: 'string', help: 'folder with hidden NN*.test.ts + NN*.rubric.json' },
  out: { type: 'string', help: 'where results.json and report.md go (default reports/grade)' },
  seed: { type: 'number', help: 'seed fixed before every test (default 1234)' },
  timeout: { type: 'number', help: 'per-test limit in seconds (default: the rubric\'s, else 120)' },
  submissions: { type: 'string', help: 'grade every sub-folder (one per student); writes grades.csv + grades.json' },
  verbose: { type: 'boolean', help: 'show the test runner\'s own output' },
} satisfies FlagSpec;

function usageError(err: CourseError): number {
  console.error(`course grade: ${err.problem}\n  fix: ${err.fix}`);
  return 2;
}

function checkDir(flag: string, dir: string): string {
  const abs = path.resolve(dir);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) throw new CourseError(`--${flag} ${dir} is not a folder`, `pass an existing folder to --${flag}`);
  return abs;
}

export async function gradeCommand(argv: string[]): Promise<number> {
  let opts;
  try {
    const { positionals, flags } = parseFlags('grade', argv, gradeFlags);
    if (positionals.length > 0) throw new CourseError(`unexpected argument "${positionals[0]}"`, 'name exercises with --only <exercise>…');
    const known = listExercises();
    for (const e of flags.only ?? []) {
      if (!known.includes(e)) throw new CourseError(`unknown exercise "${e}"`, `choose from: ${known.join(', ')}`);
    }
    if (flags.timeout !== undefined && !(flags.timeout > 0)) throw new CourseError('--timeout must be > 0 seconds', 'e.g. --timeout 60');
    if (flags.submissions !== undefined && flags.target !== undefined) throw new CourseError('--submissions and --target both given', 'use one: --submissions grades every sub-folder as a target');
    opts = {
      target: flags.submissions ? undefined : resolveTarget(flags.target ?? 'exercises'),
      submissions: flags.submissions ? checkDir('submissions', flags.submissions) : undefined,
      hiddenDir: flags.hidden ? checkDir('hidden', flags.hidden) : undefined,
      out: path.resolve(flags.out ?? path.join(PROJECT_ROOT, 'reports', 'grade')),
      only: flags.only,
      seed: flags.seed ?? 1234,
      testTimeoutS: flags.timeout,
      verbose: flags.verbose ?? false,
    };
  } catch (err) {
    if (err instanceof CourseError) return usageError(err);
    throw err;
  }
  const common = { only: opts.only, hiddenDir: opts.hiddenDir, seed: opts.seed, testTimeoutS: opts.testTimeoutS, runner: { verbose: opts.verbose } };
  if (opts.submissions) {
    const { rows, csv } = await gradeSubmissions(opts.submissions, opts.out, common);
    console.log(csv.trimEnd());
    for (const r of rows.filter((r) => r.error)) console.log(`${r.student}: ${r.error}`);
    console.log(`\nwrote ${path.relative(process.cwd(), path.join(opts.out, 'grades.csv'))}, grades.json and one results.json per student under ${path.relative(process.cwd(), opts.out) || '.'}`);
    return 0;
  }
  const report = await gradeTarget({ ...common, target: opts.target! });
  const files = writeReports(report, opts.out);
  console.log(formatTable(report));
  console.log(`\nwrote ${path.relative(process.cwd(), files.results)} and ${path.relative(process.cwd(), files.markdown)}`);
  return 0;
}
