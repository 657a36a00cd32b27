/**
 * THE SANDBOX: the one entry the grader uses to run a submission's tests (issue 21 item 7). The
 * rest of the grader imports the sandbox from here only; the files beside this one are its parts.
 *
 * Contract
 *  In:   openSandbox(mode?, secrets): the isolation (the strongest this machine allows, or a
 *        forced weaker one), and the folders the sandbox must not read (hidden tests, the
 *        submissions, output folders; the project's solutions/ and .git always).
 *        runInSandbox(box, run): one submission folder (NN-name/), ONE phase's test files
 *        (visible or hidden, never both on disk at once) with their rubric entries, the seed and
 *        the limits (per test, idle, whole exercise, heap, reruns).
 *  Out:  per rubric test an outcome: passed only if vitest's main process AND the harness's
 *        progress file saw it start, the reporter said passed and no "fail" line ever named it;
 *        a test hit by a hang or crash fails with the reason and the rest are resumed
 *        (runner.ts settleAttempt); what the tests sent with observe() (judged in the parent,
 *        judge.ts); tests that ran without a rubric entry; which grader files changed in the stage
 *        (`tampered`: the caller voids the run); what of the submission was not copied
 *        (`skipped`); how many processes outlived the run (killed).
 *        An EnvironmentError (start-check.ts) when the test process cannot start: no submission
 *        code ran, so no test may fail as the student's.
 *  Who writes where (root modes; 'none' runs as the grader's user, the stage read-only and hashed):
 *        stage project/ (a copy of lib/, tests, configs; links to the runtime's data and
 *        node_modules): root's, read-only to the sandbox uid            stage.ts, boundary.ts
 *        work/tmp, work/cache: the sandbox uid's own (TMPDIR, HOME, vite's cache)     boundary.ts
 *        work/chan/progress-N.txt: created by root O_EXCL|O_NOFOLLOW, handed over by descriptor;
 *        root only reads it                                                          boundary.ts
 *        main-tmp/: vitest's main process (its own uid), read-only to the workers   test-process.ts
 *        results: only over the IPC channel of vitest's main process and the stderr pipe; root
 *        never follows a path the sandbox could have made                 runner.ts, boundary.ts
 *        after each phase: the stage, every process of both uids and every file the sandbox uid
 *        owns in /tmp, /var/tmp, /dev/shm, … are removed                   test-process.ts, boundary.ts
 *  Per mode (isolation.ts guarantees(), written to results.json and report.md; docs/GRADER.md
 *  "Threat model"):
 *        bwrap    own mount, PID and network namespaces; sees the stage, system folders, runtime
 *        setpriv  a dedicated uid (and PID/network namespaces where unshare works); reads only
 *                 what file modes allow, so the grader locks the secrets (boundary.ts raiseFence)
 *        none     the grader's own user: staged files hash-checked, leftovers swept by marker/cwd
 *        Every mode: code in the worker can lie about what its own process saw; a pass needs a
 *        start the parent saw, and judged tests' verdicts are the parent's.
 *
 * Parts: isolation.ts (modes, the wrap argv, uids, sweep, guarantees), boundary.ts (file modes,
 * ownership, channels, leftovers), stage.ts (what a stage holds), test-process.ts (one attempt:
 * spawn, watchdog, kill, sweep), start-check.ts (the start probe), resolve-guard.ts (the import
 * guard inside the test process). What vitest's messages mean: ../runner.ts.
 */
import path from 'node:path';
import { canaryBackend } from '../canary.js';
import { newExerciseState, runResult, settleAttempt, limitsFor, type LimitOptions, type RunResult } from '../runner.js';
import type { GradedTestSpec } from '../types.js';
import { grantStage, raiseFence, removeSandboxLeftovers, type Fence } from './boundary.js';
import { chooseIsolation, guarantees, type Guarantees, type Isolation, type IsolationMode } from './isolation.js';
import { changedFiles, createStage, makeReadOnly, removeStage, type Stage } from './stage.js';
import { assertSandboxStarts, startFailure } from './start-check.js';
import { mainTmpDir, runAttempt, testProcessCommand } from './test-process.js';

export { lockFromSandbox } from './boundary.js';
export { detectIsolation, guaranteeLines, isolationLine, sandboxOf, strongerIsolation, type Guarantees, type Isolation, type IsolationMode } from './isolation.js';
export { copySubmission, MAX_SUBMISSION_DEPTH, stagesRoot } from './stage.js';

/** One grade's sandbox: the isolation its runs share, and what was locked from it. */
export interface Sandbox {
  isolation: Isolation;
  fence: Fence;
  /** which guarantees hold for its runs (results.json extra_data, report.md) */
  guarantees: Guarantees;
}

/** Chooses the isolation (`mode`, or the strongest here) and locks `secrets` and the project's from its uid. */
export function openSandbox(mode: IsolationMode | undefined, secrets: (string | undefined)[]): Sandbox {
  const isolation = chooseIsolation(mode);
  // what the sandbox uid may read: the stage and the runtime; not the answers (boundary.ts)
  const fence = raiseFence(isolation.uid, secrets);
  return { isolation, fence, guarantees: guarantees(isolation, fence) };
}

/** Knobs of a run that a caller may set (GradeOptions.runner; self-tests). */
export interface RunnerOptions {
  idleTimeoutS?: number;
  exerciseTimeoutS?: number;
  /** grace after a test's limit before the watchdog kills a test stuck in synchronous code; default 15 s */
  watchdogMarginS?: number;
  heapMb?: number;
  maxReruns?: number;
  /** print the test process's output (debugging the grader) */
  verbose?: boolean;
  /** aborting kills the test process at once (`course watch`: a newer save, or Ctrl-C) */
  signal?: AbortSignal;
  /** the node binary the sandbox runs (default: the grader's, or its runtime copy); self-tests plant a broken one */
  node?: string;
  /**
   * false: the harness does not watch the keys of built-in prototypes (test/grader/judge.test.ts's
   * control only, to show the parent's judge alone against an inherited chai flag). Not reachable
   * from the CLI or from the submission (the harness reads it before the submission loads).
   */
  prototypeKeys?: boolean;
}

export interface SandboxRun extends LimitOptions, RunnerOptions {
  exercise: string;
  /** the submission's NN-name/ folder */
  folder: string;
  phase: 'visible' | 'hidden';
  /** this phase's test files (their rubrics beside them) */
  testFiles: string[];
  /** rubric entries of those files */
  specs: GradedTestSpec[];
  seed: number;
  /** vitest testNamePattern (lib/grader/select.ts): only matching tests run */
  namePattern?: string;
}

export interface SandboxRunResult extends RunResult {
  /** grader files that differ in the stage after the run (the caller voids the run) */
  tampered: string[];
  /** what of the submission was not copied, and why */
  skipped: string[];
}

/** Runs one phase in its own stage; the stage, its processes and the uid's files are gone when this returns. */
export async function runInSandbox(box: Sandbox, run: SandboxRun): Promise<SandboxRunResult> {
  const { isolation, fence } = box;
  const stage = createStage({ exercise: run.exercise, folder: run.folder, testFiles: run.testFiles, phase: run.phase, links: fence.links });
  try {
    grantStage(isolation.uid, path.dirname(stage.root), stage.work);
    if (isolation.mode === 'none') makeReadOnly(stage.root);
    const result = await runAttempts(stage, isolation, run);
    return { ...result, tampered: changedFiles(stage), skipped: stage.skipped };
  } finally {
    removeStage(stage);
    // every process of the uid is dead (test-process.ts sweep): what it left in /tmp, /dev/shm … goes too
    removeSandboxLeftovers(isolation.uid);
  }
}

/**
 * The native package the test process will load: the one the environment canary accepted
 * (canary.ts, "node (tensorflow)" / "gpu (tensorflow)"), or, where no canary ran (a direct
 * gradeExercise), the one TFJS_BACKEND forces; null for the JS backends.
 */
export function nativePackage(canary: string | null, forced = process.env.TFJS_BACKEND): string | null {
  const choice = (canary ?? forced ?? '').trim().toLowerCase();
  if (/^(gpu|cuda)\b/.test(choice)) return '@tensorflow/tfjs-node-gpu';
  if (/^(node|tensorflow|tfjs-node)\b/.test(choice)) return '@tensorflow/tfjs-node';
  return null;
}

/** Attempts until every test has an outcome: a hang or crash fails the test it hit, the rest are resumed. */
async function runAttempts(stage: Stage, isolation: Isolation, run: SandboxRun): Promise<RunResult> {
  const limits = limitsFor(run);
  const state = newExerciseState();
  mainTmpDir({ stage, isolation });
  const cmd = testProcessCommand(stage, isolation, run.node);
  // the environment, not the student, when the sandbox cannot start node or load the native backend (start-check.ts)
  assertSandboxStarts(stage, isolation, cmd, nativePackage(await canaryBackend()));
  const attempt = { stage, isolation, cmd, specs: run.specs, seed: run.seed, namePattern: run.namePattern, prototypeKeys: run.prototypeKeys, watchdogMarginS: run.watchdogMarginS, verbose: run.verbose, signal: run.signal };
  for (;;) {
    state.attempts++;
    const a = await runAttempt(attempt, limits, state.skip, path.join(stage.channels, `progress-${state.attempts}.txt`));
    // vitest never started, so no submission code ran: the environment failed (start-check.ts)
    if (!a.ready && a.killed !== 'aborted') {
      throw startFailure(isolation, cmd, { ...a, stderr: a.stderrTail, ...(a.killed ? { stalledS: a.killed === 'idle-timeout' ? limits.idleS : limits.totalS } : {}) });
    }
    if (!settleAttempt(state, a, { specs: run.specs, target: stage.target }, limits)) break;
  }
  return runResult(state, run.specs);
}
