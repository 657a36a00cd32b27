/**
 * Shapes shared by the grader's parts: the rubric, what the vitest child reports over IPC,
 * and the graded results the parent computes from them.
 */
import type { ScanFinding } from './scan.js';

export interface RubricEntry {
  /** vitest full name: 'describe > test' or just 'test' */
  name: string;
  points: number;
  /** task number inside the exercise (shown as a tag) */
  task?: number;
  /** one line shown when the test fails */
  feedback: string;
  /** per-test limit in seconds */
  timeout?: number;
  /** functions of the submission this test judges (what other tests' `uses` refer to) */
  functions?: string[];
  /**
   * functions this test calls that other tests judge: when one of those tests fails too, the
   * feedback says "fix `makeWindows` (task 1) first: …"
   */
  uses?: string[];
}

export interface Rubric {
  exercise: string;
  tests: RubricEntry[];
}

/** A rubric entry together with where it came from (visible test/ or a hidden dir). */
export interface GradedTestSpec extends RubricEntry {
  file: string;
  hidden: boolean;
}

export interface SerializedTestError {
  name?: string;
  message: string;
  /** the stack as vitest reports it (source-mapped), when the error had one */
  stack?: string;
}

/** Messages the IPC reporter (vitest main process) sends to the grader parent. */
export type ChildMessage =
  /** vitest's main process is up (its reporters initialised): sent before any worker, so before any submission code runs */
  | { type: 'ready' }
  | { type: 'start'; file: string; name: string }
  | { type: 'result'; file: string; name: string; state: 'passed' | 'failed' | 'skipped'; errors: SerializedTestError[]; ms: number }
  | { type: 'module'; file: string; errors: SerializedTestError[] }
  | { type: 'done'; unhandled: SerializedTestError[] };

/** What happened to one test, as the runner saw it. */
export interface TestOutcome {
  state: 'passed' | 'failed';
  /** the error, or the runner's own reason (timeout, crash, did not run) */
  errors: SerializedTestError[];
  /** set when the runner (not the test) decided the outcome: "timed out after 60 s", … */
  runnerReason?: string;
  ms: number;
}

export interface GradedTest {
  exercise: string;
  name: string;
  task?: number;
  points: number;
  maxPoints: number;
  status: 'passed' | 'failed';
  /** one line for the table / Gradescope */
  feedback: string;
  hidden: boolean;
  /** set when the test failed because of the environment, not the submission (env-errors.ts) */
  environmentError?: string;
}

export interface ExerciseGrade {
  exercise: string;
  score: number;
  maxScore: number;
  tests: GradedTest[];
  seconds: number;
  /** grade-time problems that are not any single test's fault (shown in output) */
  notes: string[];
  /** the submission failed to load (syntax error, …): said once, with its location */
  loadError?: string;
  /** the isolation the exercise's test process ran in (lib/grader/sandbox/isolation.ts) */
  isolation?: 'bwrap' | 'setpriv' | 'none';
  /** which of the sandbox's guarantees held for those runs, and which did not (sandbox/isolation.ts guarantees) */
  sandbox?: { mode: 'bwrap' | 'setpriv' | 'none'; held: string[]; notHeld: string[] };
  /** lines the static scan (lib/grader/scan.ts) flags for an instructor's review; never scored */
  review?: ScanFinding[];
}

export interface GradeReport {
  target: string;
  seed: number;
  score: number;
  maxScore: number;
  seconds: number;
  exercises: ExerciseGrade[];
  /** set when only some tasks/tests were graded (`--task`, `--test`, `course watch`) */
  narrowed?: string;
}
