/**
 * `npm run mutation -- <exercise> [--concurrency N] [--timeout-ms N] [--incremental] [--list]`
 *
 * Mutation testing of one exercise's reference solution with StrykerJS: every small change
 * (mutant) of the graded code in solutions/NN-name/ is run against test/NN-name.test.ts; a
 * mutant the tests still pass is a bug they would miss. Writes
 *   mutation/NN-name.json          Stryker's full report (mutation-testing-report-schema)
 *   mutation/NN-name.html          the same, browsable
 *   mutation/NN-name.summary.json  counts, score and every surviving mutant (committed)
 * and prints one summary line. Surviving mutants listed in mutation/equivalents.json (with the
 * reason they cannot be killed) are excluded from the score. A benchmark, not part of `npm test`.
 *
 *   --list           print the files that would be mutated, the test file and exit
 *   --rescore        re-read mutation/NN-name.json (after editing equivalents.json) without running Stryker
 *   --incremental    reuse results of unchanged mutants/tests from the previous run
 *   --concurrency N  parallel test runners (default 1)
 *   --timeout-ms N   allowance added to each mutant's measured test time (default 60000)
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { CourseError } from '../lib/errors.js';
import {
  DEFAULT_RUN_OPTIONS, EQUIVALENTS_FILE, TEST_FILE_ENV, reportPaths, resolveExercise, strykerOptions, summarise, summaryLine, testFileFor,
  type Equivalent, type StrykerReport,
} from './mutation-lib.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function positiveInt(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new CourseError(`${name} must be a positive integer, got "${v}"`, `e.g. ${name} 1`);
    return n;
  };
}

async function backendLine(): Promise<string> {
  const { initBackend } = await import('../lib/backend/index.js');
  const info = await initBackend({ quiet: true });
  return info.line;
}

/** The commit measured (tests and solutions), with "+changes" when the work tree differs from it. */
function gitState(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'solutions', 'test', 'lib'], { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head}+changes` : head;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

async function main(): Promise<void> {
  const program = new Command('npm run mutation --')
    .argument('<exercise>', 'e.g. 01-ffnn-from-scratch or 01')
    .option('--concurrency <n>', 'parallel test runners', positiveInt('--concurrency'), DEFAULT_RUN_OPTIONS.concurrency)
    .option('--timeout-ms <n>', 'extra time allowed per mutant (ms)', positiveInt('--timeout-ms'), DEFAULT_RUN_OPTIONS.timeoutMS)
    .option('--incremental', 'reuse results of unchanged mutants and tests', false)
    .option('--list', 'print the files to mutate and the test file, then exit', false)
    .option('--rescore', 'summarise the existing report again (e.g. after editing equivalents.json)', false)
    .parse();
  const opts = program.opts<{ concurrency: number; timeoutMs: number; incremental: boolean; list: boolean; rescore: boolean }>();
  const exercise = resolveExercise(ROOT, program.args[0]);
  const options = strykerOptions(ROOT, exercise, { concurrency: opts.concurrency, timeoutMS: opts.timeoutMs, incremental: opts.incremental });
  if (opts.list) {
    console.log(`mutate: ${(options.mutate as string[]).join(' ')}\ntests:  ${testFileFor(exercise)}`);
    return;
  }

  process.chdir(ROOT);
  // The sandbox's vitest.config.ts must resolve @target/ to the sandbox's (mutated) solutions.
  process.env.COURSE_TARGET = 'solutions';
  process.env[TEST_FILE_ENV] = testFileFor(exercise);
  const out = reportPaths(exercise);
  const previous = opts.rescore && fs.existsSync(path.join(ROOT, out.summary))
    ? (JSON.parse(fs.readFileSync(path.join(ROOT, out.summary), 'utf8')) as { measured?: Record<string, unknown> }).measured
    : undefined;
  let seconds = Number(previous?.seconds ?? 0);
  const backend = opts.rescore ? String(previous?.backend ?? 'unknown') : await backendLine();
  if (!opts.rescore) {
    fs.mkdirSync(path.dirname(path.join(ROOT, out.incremental)), { recursive: true });
    fs.rmSync(path.join(ROOT, out.json), { force: true });
    const started = Date.now();
    const { Stryker } = await import('@stryker-mutator/core');
    await new Stryker(options).runMutationTest();
    seconds = (Date.now() - started) / 1000;
  }

  if (!fs.existsSync(path.join(ROOT, out.json))) throw new CourseError(`Stryker wrote no ${out.json}`, 'read the Stryker output above for the error');
  const report = JSON.parse(fs.readFileSync(path.join(ROOT, out.json), 'utf8')) as StrykerReport;
  const allEquivalents = fs.existsSync(path.join(ROOT, EQUIVALENTS_FILE))
    ? (JSON.parse(fs.readFileSync(path.join(ROOT, EQUIVALENTS_FILE), 'utf8')) as Equivalent[])
    : [];
  const summary = summarise(exercise, report, allEquivalents.filter((e) => e.file.startsWith(`solutions/${exercise}/`)));
  const c = summary.counts;
  if (c.total > c.ignored && c.noCoverage === c.total - c.ignored) {
    throw new CourseError(
      'no test executed any mutant',
      `check that ${testFileFor(exercise)} imports @target/${exercise}/ and that COURSE_TARGET resolves inside Stryker's sandbox (vitest.config.ts)`,
    );
  }
  const record = {
    ...summary,
    line: summaryLine(summary, seconds),
    measured: previous ?? { date: new Date().toISOString(), commit: gitState(), seconds: Math.round(seconds), node: process.version, backend, concurrency: opts.concurrency, incremental: opts.incremental },
  };
  fs.writeFileSync(path.join(ROOT, out.summary), `${JSON.stringify(record, null, 2)}\n`);
  for (const s of summary.survivors) console.log(`  survived ${s.file}:${s.line} ${s.mutator}: ${JSON.stringify(s.original)} → ${JSON.stringify(s.replacement)}${s.why ? ` (${s.why})` : ''}`);
  for (const e of summary.unusedEquivalents) console.log(`  stale equivalents.json entry (matched no survivor): ${e.file} ${e.mutator} ${JSON.stringify(e.original)}`);
  console.log(`\n${record.line}\n  reports: ${out.html}, ${out.json}, ${out.summary}`);
}

main().catch((err: unknown) => {
  if (err instanceof CourseError) {
    console.error(`error: ${err.problem}\n  fix: ${err.fix}`);
    process.exitCode = 2;
  } else {
    console.error(err);
    process.exitCode = 1;
  }
});
