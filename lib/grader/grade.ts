/**
 * Grading a target (a copy of exercises/, or solutions/): find each exercise's graded test files
 * and rubrics (visible test/ + optional hidden dir), run them in a child process
 * (runner.ts), and compute the score here, in the parent, from the runner's results and the
 * rubric.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CourseError } from '../errors.js';
import { assertGradingEnvironment } from './canary.js';
import { environmentError, environmentFeedback } from './env-errors.js';
import { checkDependencies, failureFeedback, refineFeedback, type FeedbackContext } from './feedback.js';
import { applyJudges, loadJudge, type Judge } from './judge.js';
import { loadRubric } from './rubric.js';
import { PROJECT_ROOT, runExercise, type RunExerciseOptions } from './runner.js';
import { grantStage, raiseFence, removeSandboxLeftovers, type Fence } from './sandbox/boundary.js';
import { chooseIsolation, guarantees, type Isolation, type IsolationMode } from './sandbox/isolation.js';
import { changedFiles, createStage, makeReadOnly, removeStage, stagesRoot } from './sandbox/stage.js';
import { declaredIn } from './declared-tests.js';
import { scanExercise } from './scan.js';
import { describeSelection, isNarrowed, namePattern, selector, type Selection } from './select.js';
import type { ExerciseGrade, GradeReport, GradedTest, GradedTestSpec, TestOutcome } from './types.js';

export interface GradeOptions {
  /** absolute path of the folder holding NN-name/ sub-folders */
  target: string;
  /** exercise names to grade (default: every exercise with a test file + rubric) */
  only?: string[];
  /** folder with hidden NN*.test.ts + NN*.rubric.json files */
  hiddenDir?: string;
  /** where the visible graded tests live (self-tests point this at a fixture) */
  testsDir?: string;
  seed: number;
  testTimeoutS?: number;
  runner?: Pick<RunExerciseOptions, 'idleTimeoutS' | 'exerciseTimeoutS' | 'watchdogMarginS' | 'heapMb' | 'maxReruns' | 'verbose' | 'signal' | 'node' | 'prototypeKeys'>;
  /** isolation mode for every run (default: the strongest this machine allows) */
  isolation?: IsolationMode;
  /** progress lines (stderr by default) */
  log?: (line: string) => void;
  /** grade only these tasks / tests (lib/grader/select.ts); the rest are not run */
  select?: Selection;
  /**
   * A test that ran but is not in the rubric: 'rubric-error' (default) throws a RubricError when
   * the test files declare its name (the instructor's missing entry) and ignores it otherwise (the
   * submission registered it); 'ignore' always ignores it — batch.ts regrades with this once the
   * reference solutions were seen to run without it.
   */
  unknownTests?: 'rubric-error' | 'ignore';
}

/** A test ran that has no points in the rubric, and the test files declare it: the rubric misses an entry. */
export class RubricError extends CourseError {
  constructor(readonly exercise: string, message: string, fix: string) {
    super(message, fix);
    this.name = 'RubricError';
  }
}

const TEST_FILE = /^(\d\d-[A-Za-z0-9_-]+)\.test\.ts$/;

/** Exercises that have a graded test file and a rubric in `testsDir`. */
export function listExercises(testsDir = path.join(PROJECT_ROOT, 'test')): string[] {
  if (!fs.existsSync(testsDir)) return [];
  return fs
    .readdirSync(testsDir)
    .map((f) => TEST_FILE.exec(f)?.[1])
    .filter((e): e is string => !!e && fs.existsSync(path.join(testsDir, `${e}.rubric.json`)))
    .sort();
}

function rubricFor(testFile: string): string {
  return testFile.replace(/\.test\.ts$/, '.rubric.json');
}

/** The test files and rubric entries for one exercise. */
export function exerciseSpecs(exercise: string, testsDir: string, hiddenDir?: string): { files: string[]; specs: GradedTestSpec[] } {
  const visible = path.join(testsDir, `${exercise}.test.ts`);
  const files = [visible];
  if (hiddenDir) {
    const prefix = exercise.slice(0, 2);
    for (const f of fs.readdirSync(hiddenDir).sort()) {
      if (f.startsWith(prefix) && f.endsWith('.test.ts')) files.push(path.join(hiddenDir, f));
    }
  }
  const specs: GradedTestSpec[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    const rubricFile = rubricFor(file);
    if (!fs.existsSync(rubricFile)) {
      throw new CourseError(`${file} has no rubric`, `add ${path.basename(rubricFile)} beside it with points and feedback for every test`);
    }
    const hidden = file !== visible;
    for (const t of loadRubric(rubricFile).tests) {
      if (seen.has(t.name)) {
        throw new CourseError(`test "${t.name}" is in both ${seen.get(t.name)} and ${rubricFile}`, 'give every graded test of an exercise a unique name');
      }
      seen.set(t.name, rubricFile);
      specs.push({ ...t, file, hidden });
    }
  }
  checkDependencies(specs, (s) => rubricFor(s.file));
  return { files, specs };
}

/** One line saying why a test failed (lib/grader/feedback.ts: file:line of a crash in the submission). */
export { failureFeedback } from './feedback.js';

/**
 * A hidden test's outcome as the parent keeps it: only a reason from a fixed list. Its error
 * messages (and a load error from its phase) could carry the hidden test's own text: expected
 * values, or lines a submission read from the file and threw.
 */
function hiddenOutcome(outcome: TestOutcome): TestOutcome {
  if (outcome.state === 'passed') return { state: 'passed', errors: [], ms: outcome.ms };
  const r = outcome.runnerReason ?? '';
  let reason = 'failed';
  const byRunner: [RegExp, string][] = [[/^wrong value/, 'wrong value'], [/^tampering/, 'tampering: the tests were modified'], [/^timed out/, 'timed out'], [/ran out of memory/, 'ran out of memory'], [/^crashed/, 'crashed'], [/^did not run/, 'did not run']];
  if (r) reason = byRunner.find(([re]) => re.test(r))?.[1] ?? 'failed';
  else if (outcome.errors.some((e) => e.message.startsWith('tampering detected'))) reason = 'tampering detected';
  else if (outcome.errors.some((e) => e.name === 'NotImplemented' || /not implemented: /.test(e.message))) reason = 'not implemented';
  return { state: 'failed', errors: [], runnerReason: `hidden test: ${reason}`, ms: outcome.ms };
}

function gradeFromOutcomes(exercise: string, specs: GradedTestSpec[], outcomes: Map<string, TestOutcome>, seconds: number, notes: string[], ownRoots: string[] = [], ctx?: FeedbackContext): ExerciseGrade {
  const tests: GradedTest[] = specs.map((spec) => {
    const outcome = outcomes.get(spec.name) ?? { state: 'failed' as const, errors: [], runnerReason: 'did not run', ms: 0 };
    const passed = outcome.state === 'passed';
    const envError = passed ? null : environmentError(outcome.errors, ownRoots);
    return {
      exercise,
      name: spec.name,
      task: spec.task,
      points: passed ? spec.points : 0,
      maxPoints: spec.points,
      status: passed ? 'passed' : 'failed',
      feedback: passed ? '' : envError ? environmentFeedback(envError) : spec.hidden ? `${spec.feedback} (${outcome.runnerReason ?? 'hidden test: failed'})` : failureFeedback(spec, outcome, ctx),
      hidden: spec.hidden,
      ...(envError ? { environmentError: envError.message.split('\n')[0] } : {}),
    };
  });
  const sum = (f: (t: GradedTest) => number) => tests.reduce((n, t) => n + f(t), 0);
  const grade = { exercise, score: sum((t) => t.points), maxScore: sum((t) => t.maxPoints), tests, seconds, notes };
  return refineFeedback(grade, specs, outcomes, ctx ?? { exercise });
}

/**
 * The judges beside a phase's test files (judge.ts): `hidden/NN-x.judge.ts` beside a hidden test
 * (secret: never staged, locked from the sandbox uid), `test/NN-name.judge.ts` beside a visible
 * one (public like the test, but loaded only here, never staged). A judge naming a test its
 * rubric lacks is the instructor's error.
 */
async function judgesFor(p: Phase): Promise<Map<string, Judge[string]>> {
  const out = new Map<string, Judge[string]>();
  for (const file of p.files) {
    const judge = await loadJudge(file);
    if (!judge) continue;
    const names = new Set(p.specs.filter((s) => s.file === file).map((s) => s.name));
    for (const [name, j] of Object.entries(judge)) {
      if (!names.has(name)) throw new CourseError(`${file.replace(/\.test\.ts$/, '.judge.ts')} judges "${name}", which ${path.basename(rubricFor(file))} does not grade`, 'name each judged test exactly as in the rubric (its vitest full name)');
      out.set(name, j);
    }
  }
  return out;
}

/** Every test gets 0 with the same reason (missing folder, …): no child process is started. */
function allFailed(exercise: string, specs: GradedTestSpec[], reason: string): ExerciseGrade {
  const outcomes = new Map<string, TestOutcome>(specs.map((s) => [s.name, { state: 'failed', errors: [], runnerReason: reason, ms: 0 }]));
  return gradeFromOutcomes(exercise, specs, outcomes, 0, []);
}

interface Phase {
  phase: 'visible' | 'hidden';
  files: string[];
  /** every rubric entry of the phase's files (a test outside the selection is skipped, not unknown) */
  specs: GradedTestSpec[];
}

const NOT_COPIED = 'not copied from the submission';

/** Runs one phase in its own stage; the stage is gone (with everything it started) when this returns. */
async function runPhase(exercise: string, folder: string, p: Phase, opts: GradeOptions, isolation: Isolation, fence: Fence, pattern: string | undefined) {
  const stage = createStage({ exercise, folder, testFiles: p.files, phase: p.phase, links: fence.links });
  try {
    grantStage(isolation.uid, path.dirname(stage.root), stage.work);
    if (isolation.mode === 'none') makeReadOnly(stage.root);
    const run = await runExercise({ exercise, stage, isolation, specs: p.specs, seed: opts.seed, testTimeoutS: opts.testTimeoutS, namePattern: pattern, ...opts.runner });
    return { run, tampered: changedFiles(stage), skipped: stage.skipped };
  } finally {
    removeStage(stage);
    // every process of the uid is dead (runner.ts sweep): what it left in /tmp, /dev/shm … goes too
    removeSandboxLeftovers(isolation.uid);
  }
}

/**
 * Tests that ran without a rubric entry. Declared by the test files: the instructor's rubric
 * misses them (RubricError, unless told to ignore). Not declared anywhere: the submission
 * registered them through vitest's globals; they carry no points, so ignoring them changes
 * nothing but the note. Either way nothing they report is scored.
 */
function unknownTestsNote(exercise: string, unknown: { name: string; file: string }[], files: string[], policy: 'rubric-error' | 'ignore'): string[] {
  if (unknown.length === 0) return [];
  const names = (list: { name: string }[]) => list.slice(0, 5).map((t) => `"${t.name}"`).join(', ') + (list.length > 5 ? ` and ${list.length - 5} more` : '');
  const declared = unknown.filter((t) => declaredIn(t.name, files));
  if (declared.length > 0 && policy === 'rubric-error') {
    const rubric = path.basename(rubricFor(files.find((f) => path.basename(f) === path.basename(declared[0]!.file)) ?? files[0]!));
    throw new RubricError(
      exercise,
      `${exercise}: test ${names(declared)} ran but has no points in the rubric`,
      `add ${declared.length > 1 ? 'them' : 'it'} to ${rubric} with points and a feedback line`,
    );
  }
  return [`tests that are not in the rubric ran and were ignored (the submission registered them: they carry no points): ${names(unknown)}`];
}

export async function gradeExercise(exercise: string, opts: GradeOptions): Promise<ExerciseGrade> {
  const testsDir = opts.testsDir ?? path.join(PROJECT_ROOT, 'test');
  const { files, specs: allSpecs } = exerciseSpecs(exercise, testsDir, opts.hiddenDir);
  const keep = selector(opts.select);
  const specs = keep ? allSpecs.filter(keep) : allSpecs;
  const folder = path.join(opts.target, exercise);
  if (!fs.existsSync(path.join(folder, 'index.ts'))) {
    const what = fs.existsSync(folder) ? `${exercise}/index.ts` : `${exercise}/`;
    return allFailed(exercise, specs, `did not run: the submission has no ${what} (${opts.target})`);
  }
  const t0 = Date.now();
  // what an instructor should look at, whatever the tests say (never changes the score)
  const review = scanExercise(folder, path.join(path.dirname(path.dirname(folder)), 'lib'));
  const isolation = chooseIsolation(opts.isolation);
  // what the sandbox uid may read: the stage and the runtime; not the answers (sandbox/boundary.ts)
  const fence = raiseFence(isolation.uid, [opts.hiddenDir, opts.target]);
  const sandbox = guarantees(isolation, fence);
  const pattern = keep ? namePattern(specs.map((s) => s.name)) : undefined;
  // Visible and hidden tests run in separate stages, one after the other: hidden tests are on
  // disk only while their own phase runs, never next to code that produces visible feedback.
  const phases: Phase[] = [{ phase: 'visible', files: [files[0]!], specs: allSpecs.filter((s) => !s.hidden) }];
  if (files.length > 1 && specs.some((s) => s.hidden)) phases.push({ phase: 'hidden', files: files.slice(1), specs: allSpecs.filter((s) => s.hidden) });
  const outcomes = new Map<string, TestOutcome>();
  const notes: string[] = [];
  const tampered: string[] = [];
  let leftovers = 0;
  for (const p of phases) {
    if (p.phase === 'visible' && !specs.some((s) => !s.hidden)) continue;
    // loaded here, in the parent, before the phase runs: never staged, never in the sandbox
    const judges = await judgesFor(p);
    const { run, tampered: changed, skipped } = await runPhase(exercise, folder, p, opts, isolation, fence, pattern);
    applyJudges(run.outcomes, judges, run.observations, opts.log ?? ((line) => process.stderr.write(`${line}\n`)));
    if (skipped.length > 0 && !notes.some((n) => n.startsWith(NOT_COPIED))) {
      notes.push(`${NOT_COPIED} (only regular files and folders with UTF-8 names are graded): ${skipped.slice(0, 10).join('; ')}${skipped.length > 10 ? ` and ${skipped.length - 10} more` : ''}`);
    }
    for (const n of unknownTestsNote(exercise, run.unknownTests, p.files, opts.unknownTests ?? 'rubric-error')) if (!notes.includes(n)) notes.push(n);
    for (const [k, v] of run.outcomes) outcomes.set(k, p.phase === 'hidden' ? hiddenOutcome(v) : v);
    // a hidden test's name is in the rubric, but how it hung stays out of the visible output
    notes.push(...(p.phase === 'hidden' ? run.notes.map(() => 'a hidden test hung or crashed; the remaining tests were resumed') : run.notes));
    tampered.push(...changed);
    leftovers += run.leftovers;
  }
  if (leftovers > 0) notes.push(`the submission left ${leftovers} process(es) running after its tests; they were killed`);
  if (tampered.length > 0) {
    const list = tampered.slice(0, 3).join(', ') + (tampered.length > 3 ? ` and ${tampered.length - 3} more` : '');
    const reason = `tampering: the tests were modified (${list}); this exercise's run is void`;
    const g = allFailed(exercise, specs, reason);
    return { ...g, seconds: (Date.now() - t0) / 1000, notes: [...notes, reason], isolation: isolation.mode, sandbox, review };
  }
  const grade = gradeFromRun({ exercise, specs, outcomes, seconds: (Date.now() - t0) / 1000, notes, target: opts.target, testsDir, files });
  return { ...grade, isolation: isolation.mode, sandbox, review };
}

/**
 * The grade of one run's outcomes, with the feedback a graded run gives (lib/grader/feedback.ts);
 * the warm checker of `course watch` (lib/cli/warm.ts) computes its verdicts here too.
 */
export function gradeFromRun(o: { exercise: string; specs: GradedTestSpec[]; outcomes: Map<string, TestOutcome>; seconds: number; notes: string[]; target: string; testsDir: string; files: string[] }): ExerciseGrade {
  // code that is not a library: an error thrown first from here is never the environment's
  const ownRoots = [o.target, stagesRoot(), o.testsDir, ...o.files.map((f) => path.dirname(f)), path.join(PROJECT_ROOT, 'lib')];
  const ctx = { exercise: o.exercise, submissionDir: path.join(o.target, o.exercise), referenceDir: path.join(o.testsDir, '..', 'solutions', o.exercise) };
  return gradeFromOutcomes(o.exercise, o.specs, o.outcomes, o.seconds, o.notes, ownRoots, ctx);
}

export async function gradeTarget(opts: GradeOptions): Promise<GradeReport> {
  const testsDir = opts.testsDir ?? path.join(PROJECT_ROOT, 'test');
  const all = listExercises(testsDir);
  const chosen = opts.only && opts.only.length > 0 ? opts.only : all;
  for (const e of chosen) {
    if (!all.includes(e)) throw new CourseError(`unknown exercise "${e}"`, `choose from: ${all.join(', ') || '(none found)'}`);
  }
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  // a broken environment must not turn into scores or student feedback (canary.ts)
  await assertGradingEnvironment(log);
  const t0 = Date.now();
  const exercises: ExerciseGrade[] = [];
  const keep = selector(opts.select);
  const selected = keep ? chosen.filter((e) => exerciseSpecs(e, testsDir, opts.hiddenDir).specs.some(keep)) : chosen;
  if (selected.length === 0) {
    const tasks = [...new Set(chosen.flatMap((e) => exerciseSpecs(e, testsDir, opts.hiddenDir).specs.map((s) => s.task)))].filter((t) => t !== undefined);
    throw new CourseError(`no graded test matches ${describeSelection(opts.select)} in ${chosen.join(', ')}`, `tasks there: ${tasks.sort((a, b) => a - b).join(', ') || '(none)'}; --test matches part of a test name (see \`course grade --only <ex>\`)`);
  }
  for (const exercise of selected) {
    log(`grading ${exercise} …`);
    const g = await gradeExercise(exercise, opts);
    log(`  ${exercise}: ${g.score}/${g.maxScore} (${g.seconds.toFixed(1)} s)`);
    exercises.push(g);
  }
  const sum = (f: (e: ExerciseGrade) => number) => exercises.reduce((n, e) => n + f(e), 0);
  return {
    target: opts.target,
    seed: opts.seed,
    score: sum((e) => e.score),
    maxScore: sum((e) => e.maxScore),
    seconds: (Date.now() - t0) / 1000,
    exercises,
    ...(isNarrowed(opts.select) ? { narrowed: describeSelection(opts.select) } : {}),
  };
}
