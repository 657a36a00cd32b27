/**
 * Pure parts of `npm run mutation` (scripts/mutation.ts): which files a run mutates, the Stryker
 * options for one exercise, and the summary of a finished run. Kept free of side effects so
 * test/lib/mutation.test.ts can check them cheaply.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { CourseError } from '../lib/errors.js';

/** Where reports, summaries and the list of equivalent mutants live (relative to the project root). */
export const MUTATION_DIR = 'mutation';
export const EQUIVALENTS_FILE = `${MUTATION_DIR}/equivalents.json`;
/** The vitest config the mutation runs use: the project's, restricted to one graded test file. */
export const VITEST_CONFIG = 'scripts/mutation-vitest.config.ts';
/** Environment variable naming that test file for VITEST_CONFIG (Stryker's workers inherit it). */
export const TEST_FILE_ENV = 'COURSE_MUTATION_TEST_FILE';
const IGNORER_PLUGIN = 'scripts/mutation-ignorers.mjs';

/** Exercises with a reference solution and a graded test file, e.g. "01-ffnn-from-scratch". */
export function mutationExercises(root: string): string[] {
  const dir = path.join(root, 'solutions');
  return fs
    .readdirSync(dir)
    .filter((d) => /^\d\d-/.test(d) && fs.existsSync(path.join(dir, d, 'index.ts')) && fs.existsSync(path.join(root, 'test', `${d}.test.ts`)))
    .sort();
}

/** "03", "3", "03-char-rnn" or "char-rnn" → "03-char-rnn"; anything else is a CourseError listing the valid names. */
export function resolveExercise(root: string, arg: string | undefined): string {
  const all = mutationExercises(root);
  const usage = `npm run mutation -- <exercise>, one of: ${all.join(', ')}`;
  if (!arg) throw new CourseError('no exercise given', `run ${usage}`);
  const num = /^\d{1,2}$/.test(arg) ? arg.padStart(2, '0') : null;
  const hit = all.filter((e) => e === arg || (num !== null && e.startsWith(`${num}-`)) || e.slice(3) === arg);
  if (hit.length !== 1) throw new CourseError(`unknown exercise "${arg}"`, `run ${usage}`);
  return hit[0]!;
}

/**
 * The files that hold the exercise's graded code: solutions/NN-name/index.ts plus every file of
 * that folder it imports or re-exports, transitively. train.ts (the training script) and
 * report-only helpers that only train.ts imports are never reached, so they are not mutated;
 * shared code in lib/ is not the student's and is not mutated either.
 */
export function gradedSourceFiles(root: string, exercise: string): string[] {
  const dir = path.join(root, 'solutions', exercise);
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const refs = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, false).importedFiles;
    for (const { fileName } of refs) {
      if (!fileName.startsWith('./')) continue; // ../../lib/… and packages are not the exercise's code
      const target = path.join(path.dirname(file), fileName.replace(/\.js$/, '.ts'));
      if (path.dirname(target) === dir && path.basename(target) !== 'train.ts' && fs.existsSync(target)) visit(target);
    }
  };
  visit(path.join(dir, 'index.ts'));
  return [...seen].map((f) => path.relative(root, f).split(path.sep).join('/')).sort();
}

export interface MutationRunOptions {
  /** parallel test-runner processes (1 on a shared machine) */
  concurrency: number;
  /** Stryker's absolute allowance added to each mutant's measured test time */
  timeoutMS: number;
  /** reuse results of unchanged mutants and tests from the last run (mutation/.incremental/) */
  incremental: boolean;
}

export const DEFAULT_RUN_OPTIONS: MutationRunOptions = { concurrency: 1, timeoutMS: 60_000, incremental: false };

/** Paths of one exercise's outputs, relative to the project root. */
export function reportPaths(exercise: string): { json: string; html: string; summary: string; incremental: string } {
  return {
    json: `${MUTATION_DIR}/${exercise}.json`,
    html: `${MUTATION_DIR}/${exercise}.html`,
    summary: `${MUTATION_DIR}/${exercise}.summary.json`,
    incremental: `${MUTATION_DIR}/.incremental/${exercise}.json`,
  };
}

/**
 * Stryker options for one exercise (a plain object: Stryker validates it against its schema).
 * The sandbox is a copy of the project: vitest.config.ts resolves `@target/…` relative to its own
 * location, so with COURSE_TARGET=solutions (set by the caller) the tests import the sandbox's
 * instrumented solutions, not the originals.
 */
export function strykerOptions(root: string, exercise: string, run: MutationRunOptions = DEFAULT_RUN_OPTIONS): Record<string, unknown> {
  const out = reportPaths(exercise);
  return {
    testRunner: 'vitest',
    plugins: ['@stryker-mutator/vitest-runner', path.join(root, IGNORER_PLUGIN)],
    ignorers: ['course-error-messages'],
    vitest: { configFile: VITEST_CONFIG, related: false },
    testFiles: [testFileFor(exercise)],
    mutate: gradedSourceFiles(root, exercise),
    // Only the tests that executed a mutant run against it; mutants hit while a module loads
    // ("static") run the whole file.
    coverageAnalysis: 'perTest',
    concurrency: run.concurrency,
    timeoutMS: run.timeoutMS,
    timeoutFactor: 2,
    dryRunTimeoutMinutes: 30,
    reporters: ['json', 'html', 'progress-append-only'],
    jsonReporter: { fileName: out.json },
    htmlReporter: { fileName: out.html },
    incremental: run.incremental,
    incrementalFile: out.incremental,
    // Nothing the graded test file needs: keeps the sandbox copy small.
    ignorePatterns: ['/exercises', '/test/fixtures', '/bench', '/docs', `/${MUTATION_DIR}`, '/.grade-*', '/test/.hidden-*', '/tmp', '*.log'],
    tempDirName: '.stryker-tmp',
    cleanTempDir: true,
    thresholds: { high: 90, low: 80, break: null },
    logLevel: 'info',
    fileLogLevel: 'off',
    allowConsoleColors: false,
  };
}

export function testFileFor(exercise: string): string {
  return `test/${exercise}.test.ts`;
}

// ───────────────────────────── summary ─────────────────────────────

/** The parts of Stryker's JSON report (mutation-testing-report-schema) the summary reads. */
export interface StrykerReport {
  files: Record<string, { source: string; mutants: ReportMutant[] }>;
}
export interface ReportMutant {
  id: string;
  mutatorName: string;
  replacement?: string;
  status: 'Killed' | 'Survived' | 'NoCoverage' | 'Timeout' | 'CompileError' | 'RuntimeError' | 'Ignored' | 'Pending';
  statusReason?: string;
  location: { start: { line: number; column: number }; end: { line: number; column: number } };
}

/** One entry of mutation/equivalents.json: a surviving mutant no correct test can kill. */
export interface Equivalent {
  file: string;
  mutator: string;
  /** the mutated source text, exactly (whitespace included) */
  original: string;
  replacement: string;
  /** one line: why the mutant computes the same observable behaviour */
  why: string;
}

export interface MutantLine {
  file: string;
  line: number;
  mutator: string;
  original: string;
  replacement: string;
  why?: string;
}

export interface MutationSummary {
  exercise: string;
  files: string[];
  counts: { killed: number; timeout: number; survived: number; noCoverage: number; equivalent: number; ignored: number; errors: number; total: number };
  /** (killed + timeout) / (killed + timeout + survived + noCoverage), equivalents excluded; null when nothing was tested */
  score: number | null;
  survivors: MutantLine[];
  equivalents: MutantLine[];
  /** equivalents.json entries for this exercise that matched no surviving mutant (stale: delete or fix them) */
  unusedEquivalents: Equivalent[];
}

/** The source text a mutant replaced (report locations are 1-based lines, 1-based columns). */
export function mutatedText(source: string, loc: ReportMutant['location']): string {
  const lines = source.split('\n');
  const offset = (p: { line: number; column: number }) => lines.slice(0, p.line - 1).reduce((n, l) => n + l.length + 1, 0) + p.column - 1;
  return source.slice(offset(loc.start), offset(loc.end));
}

export function summarise(exercise: string, report: StrykerReport, equivalents: readonly Equivalent[]): MutationSummary {
  const counts = { killed: 0, timeout: 0, survived: 0, noCoverage: 0, equivalent: 0, ignored: 0, errors: 0, total: 0 };
  const survivors: MutantLine[] = [];
  const matched: MutantLine[] = [];
  const used = new Set<Equivalent>();
  const files = Object.keys(report.files).sort();
  for (const file of files) {
    const { source, mutants } = report.files[file]!;
    for (const m of [...mutants].sort((a, b) => a.location.start.line - b.location.start.line || a.location.start.column - b.location.start.column)) {
      counts.total++;
      const line: MutantLine = { file, line: m.location.start.line, mutator: m.mutatorName, original: mutatedText(source, m.location), replacement: m.replacement ?? '' };
      switch (m.status) {
        case 'Killed': counts.killed++; break;
        case 'Timeout': counts.timeout++; break;
        case 'Ignored': counts.ignored++; break;
        case 'CompileError': case 'RuntimeError': counts.errors++; break;
        case 'Survived': case 'NoCoverage': {
          const eq = equivalents.find((e) => e.file === file && e.mutator === line.mutator && e.original === line.original && e.replacement === line.replacement);
          if (eq) {
            used.add(eq);
            counts.equivalent++;
            matched.push({ ...line, why: eq.why });
          } else {
            if (m.status === 'Survived') counts.survived++;
            else counts.noCoverage++;
            survivors.push(m.status === 'NoCoverage' ? { ...line, why: 'no test executes it' } : line);
          }
          break;
        }
        default: break;
      }
    }
  }
  const detected = counts.killed + counts.timeout;
  const tested = detected + counts.survived + counts.noCoverage;
  const unusedEquivalents = equivalents.filter((e) => !used.has(e));
  return { exercise, files, counts, score: tested > 0 ? detected / tested : null, survivors, equivalents: matched, unusedEquivalents };
}

export function summaryLine(s: MutationSummary, seconds?: number): string {
  const c = s.counts;
  const score = s.score === null ? 'n/a' : `${(100 * s.score).toFixed(1)}%`;
  const time = seconds === undefined ? '' : ` in ${Math.floor(seconds / 60)}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
  return `${s.exercise}: mutation score ${score} — killed ${c.killed}, timeout ${c.timeout}, survived ${c.survived}, no coverage ${c.noCoverage}` +
    ` (equivalent ${c.equivalent}, ignored ${c.ignored}, errors ${c.errors}; ${c.total} mutants)${time}`;
}
