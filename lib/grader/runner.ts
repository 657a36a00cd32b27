/**
 * Runs one exercise's graded tests in a child process and returns what happened to each test.
 *
 * The child is `vitest run` with the staged copy of lib/grader/vitest.grade.config.ts, started in
 * the staged project (sandbox/stage.ts) inside the strongest isolation this machine allows
 * (sandbox/isolation.ts). Results come back only over the IPC channel (lib/grader/ipc-reporter.ts).
 * A watchdog here kills the child's whole process group when the running test exceeds its limit
 * (a synchronous infinite loop never lets vitest's own timeout fire) or the exercise exceeds its
 * overall limit. After every attempt, whatever the run started is killed (PID namespace, process
 * group, then a sweep by uid / environment marker / cwd) before the parent looks at the results.
 * When the child was killed or a worker died, the test that was running (from the harness's
 * progress file) is failed with the reason, and the exercise is run again skipping every test that
 * already has an outcome, so a hang or crash costs only the tests it hit.
 * The warm checker (lib/cli/warm.ts) judges its runs with the same functions (exported below).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from './paths.js';
import { ObservationLog } from './judge.js';
import { MAX_OBSERVATION_CHARS } from './observe-mark.js';
import { createChannelFile } from './sandbox/boundary.js';
import { sandboxEnv, sweep, workerDrop, type Isolation } from './sandbox/isolation.js';
import { assertSandboxStarts, mainTmpPath, startFailure, testProcessCommand, type TestProcessCommand } from './sandbox/start-check.js';
import type { Stage } from './sandbox/stage.js';
import type { ChildMessage, GradedTestSpec, SerializedTestError, TestOutcome } from './types.js';

export { PROJECT_ROOT };

export interface RunExerciseOptions {
  exercise: string;
  /** the staged project this run uses (its test files, `@target` folder and work folder) */
  stage: Stage;
  isolation: Isolation;
  /** rubric entries for those files (their timeouts set the watchdog) */
  specs: GradedTestSpec[];
  seed: number;
  /** per-test limit in seconds for every test (overrides the rubric) */
  testTimeoutS?: number;
  /** time allowed with no test running (start-up, imports, beforeAll hooks); default 180 s */
  idleTimeoutS?: number;
  /** overall limit for the exercise including reruns */
  exerciseTimeoutS?: number;
  /** grace after a test's limit before the watchdog kills a test stuck in synchronous code; default 15 s */
  watchdogMarginS?: number;
  /** V8 heap cap for the test workers */
  heapMb?: number;
  /** how many times a killed/crashed run is resumed; default 5 */
  maxReruns?: number;
  /** print the child's output (debugging the grader) */
  verbose?: boolean;
  /** vitest testNamePattern (lib/grader/select.ts): only matching tests run, the rest are skipped */
  namePattern?: string;
  /** aborting kills the test process at once (`course watch`: a newer save, or Ctrl-C) */
  signal?: AbortSignal;
  /**
   * false: the harness does not watch the keys of built-in prototypes (test/grader/judge.test.ts's
   * control only, to show the parent's judge alone against an inherited chai flag). Not reachable
   * from the CLI or from the submission (the harness reads it before the submission loads).
   */
  prototypeKeys?: boolean;
  /** the node binary the sandbox runs (default: the grader's, or its runtime copy); self-tests plant a broken one */
  node?: string;
}

export interface RunExerciseResult {
  /** keyed by test full name */
  outcomes: Map<string, TestOutcome>;
  /** names that reported a result without a rubric entry */
  unknownTests: { name: string; file: string }[];
  notes: string[];
  attempts: number;
  /** processes the run left behind that the sweep had to kill */
  leftovers: number;
  /** what the tests sent with observe() (lib/grader/observe.ts), for the parent's judges (judge.ts) */
  observations: ObservationLog;
}

const DEFAULT_TEST_TIMEOUT_S = 120;
const DEFAULT_WATCHDOG_MARGIN_S = 15;

export interface AttemptResult {
  /** vitest's main process said it started (before any worker: no submission code runs before it) */
  ready: boolean;
  /** the wrap or node could not be started at all (ENOENT, EACCES on spawn) */
  spawnError?: string;
  results: Map<string, TestOutcome & { file: string }>;
  skipped: Set<string>;
  /** tests vitest's main process announced as starting (the reporter's 'start' messages), in order */
  started: Set<string>;
  /** tests the harness wrote "start" for in the progress file */
  progressStarted: Set<string>;
  /** passes not accepted: the test was not seen to start on both channels before its result came */
  unverified: Set<string>;
  moduleErrors: SerializedTestError[];
  /** errors vitest could not pin on a test (a worker that died, a stray rejection) */
  unhandled: SerializedTestError[];
  done: boolean;
  /** why the parent killed the child, if it did */
  killed?: 'test-timeout' | 'idle-timeout' | 'exercise-timeout' | 'aborted';
  lastStarted: string | null;
  /** tests the harness saw fail (read from the progress file whenever it grew, and at the end) */
  failedSeen: Set<string>;
  /** verdict lines on stderr, in order (each test can fail once per attempt) */
  failLines: string[];
  /** why the verdict lines cannot be matched to the tests (renamed tests), if they cannot */
  renamed?: string;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stderrTail: string;
  leftovers: number;
  /** observe() lines on stderr (judged hidden tests) */
  observations: ObservationLog;
}

export interface Limits {
  testLimitS: (name: string) => number;
  idleS: number;
  totalS: number;
  deadline: number;
  vitestTimeoutMs: number;
  maxReruns: number;
  heapMb: number;
}

/** grader-harness.ts writes `\n<FAIL_MARK> fail "<test name>"\n` to the worker's stderr when a test fails. */
const FAIL_MARK = 'course-grader-verdict';

function firstLine(text: string): string {
  return text.split('\n').map((l) => l.trim()).find((l) => l.length > 0)?.slice(0, 300) ?? '';
}

/** The informative line of an import failure ("Transform failed with 1 error:" is not), paths relative to the target. */
function loadError(message: string, target: string): string {
  const lines = message.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  const line = (/^Transform failed/.test(lines[0] ?? '') && lines[1] ? lines[1] : (lines[0] ?? '')).slice(0, 300);
  // staged paths mean nothing to a student: show them relative to the submission / the project
  return line.split(`${target}/`).join('').split(`${path.dirname(target)}/`).join('');
}

/** The progress file: "start <test>" before each test, "fail <test>" the moment one fails (grader-harness.ts). */
function readProgress(file: string): { lastStarted: string | null; started: string[]; failed: string[] } {
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return { lastStarted: null, started: [], failed: [] };
  }
  const lines = text.split('\n');
  const started = lines.filter((l) => l.startsWith('start ')).map((l) => l.slice('start '.length));
  return {
    lastStarted: started.length ? started[started.length - 1]! : null,
    started,
    failed: lines.filter((l) => l.startsWith('fail ')).map((l) => l.slice('fail '.length)),
  };
}

export function newAttempt(): AttemptResult {
  return {
    ready: false,
    results: new Map(),
    skipped: new Set(),
    started: new Set(),
    progressStarted: new Set(),
    unverified: new Set(),
    moduleErrors: [],
    unhandled: [],
    done: false,
    lastStarted: null,
    failedSeen: new Set(),
    failLines: [],
    exitCode: null,
    signal: null,
    stderrTail: '',
    leftovers: 0,
    observations: new ObservationLog(),
  };
}

/** Reads the progress file into the attempt (the watchdog's view of which test runs). */
export function takeProgress(res: AttemptResult, progressFile: string): void {
  const p = readProgress(progressFile);
  res.lastStarted = p.lastStarted;
  for (const name of p.started) res.progressStarted.add(name);
  for (const name of p.failed) res.failedSeen.add(name);
}

/**
 * Root modes: vitest's main process runs as isolation.mainUid (lib/grader/vitest.grade.config.ts
 * starts its workers as the sandbox uid). It writes the transformed modules the workers import
 * to its temporary folder: one of its own beside the stage (owner mainUid, group the sandbox
 * uid, 0750), which the workers can read and not change.
 */
function mainTmpDir(opts: RunExerciseOptions): string | null {
  const { isolation, stage } = opts;
  if (isolation.mainUid === undefined || isolation.uid === undefined) return null;
  const dir = mainTmpPath(stage);
  fs.mkdirSync(dir, { recursive: true });
  fs.chownSync(dir, isolation.mainUid, isolation.uid);
  fs.chmodSync(dir, 0o750);
  return dir;
}

/** The test process's environment: what the staged config and the harness read. */
function attemptEnv(opts: RunExerciseOptions, limits: Limits, skip: Set<string>, progressFile: string, runId: string): NodeJS.ProcessEnv {
  const { stage } = opts;
  const mainTmp = mainTmpDir(opts);
  const env = sandboxEnv(
    {
      COURSE_GRADER_RUN: runId,
      COURSE_TARGET: stage.target,
      COURSE_SEED: String(opts.seed),
      COURSE_GRADER_FILES: JSON.stringify(stage.testFiles),
      COURSE_GRADER_PROGRESS: progressFile,
      COURSE_GRADER_SKIP: JSON.stringify([...skip]),
      COURSE_GRADER_TEST_TIMEOUT_MS: String(limits.vitestTimeoutMs),
      COURSE_GRADER_HEAP_MB: String(limits.heapMb),
      COURSE_GRADER_CACHE: path.join(stage.work, 'cache'),
      COURSE_QUIET_BACKEND: '1',
      FORCE_COLOR: '0',
      ...(opts.namePattern ? { COURSE_GRADER_NAME_PATTERN: opts.namePattern } : {}),
      ...(opts.prototypeKeys === false ? { COURSE_GRADER_SELFTEST_PROTO: 'off' } : {}),
    },
    stage.work,
  );
  if (!mainTmp) return env;
  // the workers get the sandbox's own temporary folder back (vitest.grade.config.ts)
  return { ...env, TMPDIR: mainTmp, COURSE_GRADER_WORKER_TMPDIR: env.TMPDIR!, COURSE_GRADER_WORKER_DROP: JSON.stringify(workerDrop(opts.isolation.uid!)) };
}

/** `vitest run` with the staged grade config, inside the isolation; its own process group. */
function spawnVitest(opts: RunExerciseOptions, cmd: TestProcessCommand, env: NodeJS.ProcessEnv): ChildProcess {
  const { stage } = opts;
  const argv = [
    ...cmd.wrap,
    cmd.node,
    path.join(stage.root, 'node_modules/vitest/vitest.mjs'),
    'run',
    // load the config in memory: the default bundles it to node_modules/.vite-temp (read-only here)
    '--configLoader',
    'runner',
    '--config',
    path.join(stage.root, 'lib/grader/vitest.grade.config.ts'),
  ];
  return spawn(argv[0]!, argv.slice(1), {
    cwd: stage.root,
    env,
    detached: true, // own process group: the watchdog kills vitest and its workers together
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
}

/** Collects the child's stderr (its tail, for crash reasons) and the harness's verdict lines in it. */
function watchStderr(child: ChildProcess, res: AttemptResult, verbose: boolean | undefined): () => string {
  let stderr = '';
  let partial = '';
  child.stdout!.on('data', (d: Buffer) => {
    if (verbose) process.stderr.write(d);
  });
  child.stderr!.on('data', (d: Buffer) => {
    if (verbose) process.stderr.write(d);
    stderr = (stderr + d.toString()).slice(-20_000);
    // verdict and observation lines from the harness: whole lines only, however the chunks are cut
    const lines = (partial + d.toString('latin1')).split('\n');
    partial = lines.pop()!.slice(-(MAX_OBSERVATION_CHARS + 1024));
    for (const line of lines) {
      if (res.observations.take(Buffer.from(line, 'latin1').toString('utf8'))) continue;
      if (!line.startsWith(`${FAIL_MARK} fail `)) continue;
      try {
        const name: unknown = JSON.parse(Buffer.from(line.slice(FAIL_MARK.length + 6), 'latin1').toString('utf8'));
        if (typeof name === 'string') {
          res.failedSeen.add(name);
          res.failLines.push(name);
        }
      } catch {
        // not ours
      }
    }
  });
  return () => stderr;
}

/**
 * One message from vitest's main process. Which tests were announced as starting is kept: a pass
 * counts only for one of those (judgeAttempt). Not checked per message: vitest's main process may
 * report a test's result before its start when both came in one batch from the worker.
 */
export function onChildMessage(res: AttemptResult, msg: ChildMessage): void {
  if (msg.type === 'ready') res.ready = true;
  else if (msg.type === 'start') res.started.add(msg.name);
  else if (msg.type === 'result') {
    if (msg.state === 'skipped') res.skipped.add(msg.name);
    else res.results.set(msg.name, { state: msg.state, errors: msg.errors, ms: msg.ms, file: msg.file });
  } else if (msg.type === 'module') res.moduleErrors.push(...msg.errors);
  else if (msg.type === 'done') {
    res.done = true;
    res.unhandled.push(...msg.unhandled);
  }
}

type Kill = (why: AttemptResult['killed']) => void;

/** Every 250 ms: which test runs (progress file) and whether it, the idle time or the exercise ran over. */
function startWatchdog(res: AttemptResult, opts: RunExerciseOptions, limits: Limits, progressFile: string, kill: Kill, lastMessageAt: () => number): NodeJS.Timeout {
  let progressSize = 0;
  let lastProgressAt = Date.now();
  let runningSince = Date.now();
  return setInterval(() => {
    const now = Date.now();
    let size = progressSize;
    try {
      size = fs.statSync(progressFile).size;
    } catch {
      // not written yet
    }
    if (size !== progressSize) {
      progressSize = size;
      lastProgressAt = now;
      runningSince = now;
      takeProgress(res, progressFile);
    }
    const running = res.lastStarted && !res.results.has(res.lastStarted) ? res.lastStarted : null;
    const idleSince = Math.max(lastProgressAt, lastMessageAt());
    if (now > limits.deadline) kill('exercise-timeout');
    else if (running && now - runningSince > (limits.testLimitS(running) + (opts.watchdogMarginS ?? DEFAULT_WATCHDOG_MARGIN_S)) * 1000) kill('test-timeout');
    else if (!running && now - idleSince > limits.idleS * 1000) kill('idle-timeout');
  }, 250);
}

/**
 * After the run, everything it started dead: the verdicts the worker could have spoiled are
 * checked. A test renamed in the worker (its verdict line then names no test, or one test twice)
 * voids the exercise; a test the harness saw fail stays failed; a pass counts only for a test
 * both vitest's main process announced and the harness wrote "start" for: others (forged over
 * the worker's RPC for tests that never ran, the worker then killed) are set aside as unverified.
 */
export function judgeAttempt(res: AttemptResult, specs: GradedTestSpec[]): void {
  const reported = new Set([...specs.map((s) => s.name), ...res.results.keys(), ...res.skipped]);
  const unknown = [...res.failedSeen].find((n) => !reported.has(n));
  const twice = res.failLines.find((n, i) => res.failLines.indexOf(n) !== i);
  if (unknown !== undefined) res.renamed = `a test failed under a name no test has (${JSON.stringify(unknown.slice(0, 80))})`;
  else if (twice !== undefined) res.renamed = `the test ${JSON.stringify(twice.slice(0, 80))} failed twice in one run`;
  for (const name of res.failedSeen) {
    const r = res.results.get(name);
    if (r && r.state === 'passed') {
      res.results.set(name, { ...r, state: 'failed', errors: [], runnerReason: 'tampering: this test failed, then its result was changed to passed' });
    }
  }
  for (const [name, r] of res.results) {
    if (r.state === 'passed' && !(res.started.has(name) && res.progressStarted.has(name))) {
      res.results.delete(name);
      res.unverified.add(name);
    }
  }
}

/** Once the child exited: kill what is left, sweep, read stderr to its end, judge. */
async function finishAttempt(res: AttemptResult, opts: RunExerciseOptions, child: ChildProcess, marker: string, progressFile: string, stderr: () => string): Promise<void> {
  takeProgress(res, progressFile);
  // the group may still hold workers if vitest itself died first; detached processes left
  // the group: the sweep finds them by uid, environment marker or cwd
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
  // a PID namespace is torn down by the kernel as its first process exits: give that a
  // moment, so the sweep counts only what really outlived the run
  await new Promise((r) => setTimeout(r, 250));
  res.leftovers = sweep({ uid: opts.isolation.uid, marker, base: path.dirname(opts.stage.root) });
  if (opts.isolation.mainUid !== undefined) res.leftovers += sweep({ uid: opts.isolation.mainUid, marker, base: path.dirname(opts.stage.root) });
  // everything that held the stderr pipe is dead now: read it to its end (verdict lines)
  if (!child.stderr!.readableEnded) {
    await new Promise<void>((done) => {
      const t = setTimeout(done, 2000);
      child.stderr!.once('end', () => {
        clearTimeout(t);
        done();
      });
    });
  }
  res.stderrTail = stderr();
  judgeAttempt(res, opts.specs);
}

function runAttempt(opts: RunExerciseOptions, cmd: TestProcessCommand, limits: Limits, skip: Set<string>, progressFile: string): Promise<AttemptResult> {
  createChannelFile(progressFile, opts.isolation.uid); // root never follows a name the sandbox chose (boundary.ts)
  const runId = randomBytes(8).toString('hex');
  const child = spawnVitest(opts, cmd, attemptEnv(opts, limits, skip, progressFile, runId));
  const res = newAttempt();
  const stderr = watchStderr(child, res, opts.verbose);
  let lastMessageAt = Date.now();
  child.on('message', (raw) => {
    lastMessageAt = Date.now();
    onChildMessage(res, raw as ChildMessage);
  });
  const kill: Kill = (why) => {
    if (res.killed) return;
    res.killed = why;
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
  };
  const onAbort = () => kill('aborted');
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.signal?.aborted) onAbort();
  const timer = startWatchdog(res, opts, limits, progressFile, kill, () => lastMessageAt);
  return new Promise((resolve) => {
    let ended = false;
    const end = (code: number | null, signal: NodeJS.Signals | null) => {
      if (ended) return;
      ended = true;
      clearInterval(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      res.exitCode = code;
      res.signal = signal;
      if (child.pid === undefined) return resolve(res); // never started: nothing to kill or read
      void finishAttempt(res, opts, child, `COURSE_GRADER_RUN=${runId}`, progressFile, stderr).then(() => resolve(res));
    };
    child.on('exit', end);
    // a wrap or node that cannot be spawned (ENOENT, EACCES) emits no 'exit': this run would hang
    child.on('error', (err) => {
      if (child.pid !== undefined) return;
      res.spawnError = err.message;
      end(null, null);
    });
  });
}

export function crashReason(a: AttemptResult, heapMb: number): string {
  const text = a.stderrTail + '\n' + a.moduleErrors.map((e) => e.message).join('\n');
  if (/heap limit|heap out of memory|Allocation failed/i.test(text)) {
    return `ran out of memory (the test process hit its ${heapMb} MB heap limit)`;
  }
  const reported = [...a.moduleErrors, ...a.unhandled].map((e) => firstLine(e.message)).find((m) => m.length > 0);
  if (reported) return `crashed: the test process died (${reported})`;
  if (a.signal) return `crashed: the test process was killed by ${a.signal}`;
  if (/Channel closed/.test(a.stderrTail)) {
    return 'crashed: the test process died abruptly (a native crash, process.kill() or process.abort()?)';
  }
  return `crashed: the test process exited with code ${a.exitCode ?? '?'}`;
}

export function limitsFor(opts: Pick<RunExerciseOptions, 'specs' | 'testTimeoutS' | 'idleTimeoutS' | 'exerciseTimeoutS' | 'maxReruns' | 'heapMb'>): Limits {
  const known = new Map(opts.specs.map((s) => [s.name, s]));
  const testLimitS = (name: string) => opts.testTimeoutS ?? known.get(name)?.timeout ?? DEFAULT_TEST_TIMEOUT_S;
  const idleS = opts.idleTimeoutS ?? 180;
  const totalS = opts.exerciseTimeoutS ?? Math.max(600, 2 * opts.specs.reduce((n, s) => n + testLimitS(s.name), idleS));
  return {
    testLimitS,
    idleS,
    totalS,
    deadline: Date.now() + totalS * 1000,
    vitestTimeoutMs: Math.max(...opts.specs.map((s) => testLimitS(s.name)), opts.testTimeoutS ?? 1) * 1000,
    maxReruns: opts.maxReruns ?? 5,
    heapMb: opts.heapMb ?? 2048,
  };
}

export const failed = (runnerReason: string): TestOutcome => ({ state: 'failed', errors: [], runnerReason, ms: 0 });

/** What is known across attempts. */
interface ExerciseState {
  outcomes: Map<string, TestOutcome>;
  files: Map<string, string>;
  notes: string[];
  skip: Set<string>;
  attempts: number;
  leftovers: number;
  renamed?: string;
  observations: ObservationLog;
}

function record(state: ExerciseState, a: AttemptResult): void {
  state.leftovers += a.leftovers;
  state.renamed ??= a.renamed;
  state.observations.merge(a.observations);
  for (const [name, r] of a.results) {
    state.outcomes.set(name, { state: r.state, errors: r.errors, ms: r.ms, ...(r.runnerReason ? { runnerReason: r.runnerReason } : {}) });
    state.files.set(name, r.file);
  }
  for (const name of a.skipped) if (!state.files.has(name)) state.files.set(name, '');
}

/** Why the test that was running when the child died or was killed failed. */
export function culpritReason(a: AttemptResult, culprit: string, limits: Limits): string {
  if (a.killed === 'test-timeout') return `timed out after ${limits.testLimitS(culprit)} s (still running: an infinite loop or a very slow step?)`;
  if (a.killed === 'exercise-timeout') return `timed out: the exercise exceeded its overall limit of ${limits.totalS} s`;
  return crashReason(a, limits.heapMb);
}

/** Why a test that has no outcome after a clean run did not run. */
export function notRunReason(a: AttemptResult, name: string, target: string, heapMb: number): TestOutcome {
  if (a.unverified.has(name)) {
    return failed('tampering: a result said this test passed, but the grader never saw the test start (forged over the test runner?)');
  }
  // a worker killed while it imported the test file (SIGKILL at import): vitest finishes, with the death as an unhandled error
  if (!a.moduleErrors.length && a.unhandled.length) return failed(`did not run: the test process stopped early: ${crashReason(a, heapMb)}`);
  const why = a.moduleErrors.length ? `the test file failed to load: ${loadError(a.moduleErrors[0]!.message, target)}` : 'the test file has no such test (check the rubric name)';
  // the load error itself travels along: lib/grader/feedback.ts reads its location
  return { state: 'failed', errors: a.moduleErrors.slice(0, 1), runnerReason: `did not run: ${why}`, ms: 0 };
}

/** Why the remaining tests get no further attempt. */
function giveUpReason(a: AttemptResult, culprit: string | null, attempts: number, limits: Limits): string {
  if (a.killed === 'exercise-timeout') return `the exercise exceeded its overall limit of ${limits.totalS} s`;
  if (a.killed === 'idle-timeout') return `the run stalled for ${limits.idleS} s outside any test (loading the submission or a beforeAll hook hung)`;
  if (culprit) return `gave up after ${attempts} attempts (each one hung or crashed)`;
  return `the test process stopped early: ${crashReason(a, limits.heapMb)}`;
}

/**
 * One attempt's verdicts folded into the state; returns whether to run again (a test hung or
 * crashed and attempts remain). A test counts as passed only if it was seen to start and to pass
 * in an attempt; every test not seen to finish when the worker died fails with the crash.
 */
function settleAttempt(state: ExerciseState, a: AttemptResult, opts: RunExerciseOptions, limits: Limits): boolean {
  record(state, a);
  if (a.killed === 'aborted') {
    for (const s of opts.specs) if (!state.outcomes.has(s.name)) state.outcomes.set(s.name, failed('did not run: stopped'));
    return false;
  }
  const culprit = a.lastStarted && !a.results.has(a.lastStarted) ? a.lastStarted : null;
  if (culprit) state.outcomes.set(culprit, failed(culpritReason(a, culprit, limits)));
  const missing = opts.specs.filter((s) => !state.outcomes.has(s.name));
  if ((a.done && !a.killed && !culprit) || missing.length === 0) {
    for (const s of missing) state.outcomes.set(s.name, notRunReason(a, s.name, opts.stage.target, limits.heapMb));
    return false;
  }
  if (culprit === null || a.killed === 'exercise-timeout' || state.attempts > limits.maxReruns) {
    const why = giveUpReason(a, culprit, state.attempts, limits);
    for (const s of missing) state.outcomes.set(s.name, failed(`did not run: ${why}`));
    return false;
  }
  state.notes.push(`${culprit}: ${state.outcomes.get(culprit)!.runnerReason}; resumed the remaining tests`);
  for (const name of state.outcomes.keys()) state.skip.add(name);
  return true;
}

export async function runExercise(opts: RunExerciseOptions): Promise<RunExerciseResult> {
  const limits = limitsFor(opts);
  const state: ExerciseState = { outcomes: new Map(), files: new Map(), notes: [], skip: new Set(), attempts: 0, leftovers: 0, observations: new ObservationLog() };
  mainTmpDir(opts);
  const cmd = testProcessCommand(opts.stage, opts.isolation, opts.node);
  // the environment, not the student, when the sandbox cannot start node (sandbox/start-check.ts)
  assertSandboxStarts(opts.stage, opts.isolation, cmd);
  for (;;) {
    state.attempts++;
    const a = await runAttempt(opts, cmd, limits, state.skip, path.join(opts.stage.channels, `progress-${state.attempts}.txt`));
    // vitest never started, so no submission code ran: the environment failed (start-check.ts)
    if (!a.ready && a.killed !== 'aborted') {
      throw startFailure(opts.isolation, cmd, { ...a, stderr: a.stderrTail, ...(a.killed ? { stalledS: a.killed === 'idle-timeout' ? limits.idleS : limits.totalS } : {}) });
    }
    if (!settleAttempt(state, a, opts, limits)) break;
  }
  if (state.renamed) {
    for (const spec of opts.specs) state.outcomes.set(spec.name, failed(`tampering: the tests were renamed while they ran: ${state.renamed}`));
  }
  const known = new Set(opts.specs.map((s) => s.name));
  const unknownTests = [...state.files.entries()].filter(([name]) => !known.has(name)).map(([name, file]) => ({ name, file }));
  return { outcomes: state.outcomes, unknownTests, notes: state.notes, attempts: state.attempts, leftovers: state.leftovers, observations: state.observations };
}
