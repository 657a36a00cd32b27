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
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from './paths.js';
import { createChannelFile } from './sandbox/boundary.js';
import { sandboxEnv, sweep, wrapCommand, type Isolation } from './sandbox/isolation.js';
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
}

const DEFAULT_TEST_TIMEOUT_S = 120;
const DEFAULT_WATCHDOG_MARGIN_S = 15;

interface AttemptResult {
  results: Map<string, TestOutcome & { file: string }>;
  skipped: Set<string>;
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
function readProgress(file: string): { lastStarted: string | null; failed: string[] } {
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return { lastStarted: null, failed: [] };
  }
  const lines = text.split('\n');
  const started = lines.filter((l) => l.startsWith('start '));
  return {
    lastStarted: started.length ? started[started.length - 1]!.slice('start '.length) : null,
    failed: lines.filter((l) => l.startsWith('fail ')).map((l) => l.slice('fail '.length)),
  };
}

function runAttempt(
  opts: RunExerciseOptions,
  limits: { testLimitS: (name: string) => number; idleS: number; deadline: number; vitestTimeoutMs: number },
  skip: Set<string>,
  progressFile: string,
): Promise<AttemptResult> {
  const { stage, isolation } = opts;
  createChannelFile(progressFile, isolation.uid); // root never follows a name the sandbox chose (boundary.ts)
  const marker = `COURSE_GRADER_RUN=${randomBytes(8).toString('hex')}`;
  const env = sandboxEnv(
    {
      COURSE_GRADER_RUN: marker.split('=')[1]!,
      COURSE_TARGET: stage.target,
      COURSE_SEED: String(opts.seed),
      COURSE_GRADER_FILES: JSON.stringify(stage.testFiles),
      COURSE_GRADER_PROGRESS: progressFile,
      COURSE_GRADER_SKIP: JSON.stringify([...skip]),
      COURSE_GRADER_TEST_TIMEOUT_MS: String(limits.vitestTimeoutMs),
      COURSE_GRADER_HEAP_MB: String(opts.heapMb ?? 2048),
      COURSE_GRADER_CACHE: path.join(stage.work, 'cache'),
      COURSE_QUIET_BACKEND: '1',
      FORCE_COLOR: '0',
      ...(opts.namePattern ? { COURSE_GRADER_NAME_PATTERN: opts.namePattern } : {}),
    },
    stage.work,
  );
  const readOnly = ['data', 'node_modules'].map((l) => fs.realpathSync(path.join(stage.root, l)));
  const wrap = wrapCommand(isolation, { root: stage.root, work: stage.work, readOnly });
  const argv = [
    ...wrap,
    process.execPath,
    path.join(stage.root, 'node_modules/vitest/vitest.mjs'),
    'run',
    // load the config in memory: the default bundles it to node_modules/.vite-temp (read-only here)
    '--configLoader',
    'runner',
    '--config',
    path.join(stage.root, 'lib/grader/vitest.grade.config.ts'),
  ];
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: stage.root,
    env,
    detached: true, // own process group: the watchdog kills vitest and its workers together
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const res: AttemptResult = {
    results: new Map(),
    skipped: new Set(),
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
  };
  let stderr = '';
  let partial = '';
  child.stdout!.on('data', (d: Buffer) => {
    if (opts.verbose) process.stderr.write(d);
  });
  child.stderr!.on('data', (d: Buffer) => {
    if (opts.verbose) process.stderr.write(d);
    stderr = (stderr + d.toString()).slice(-20_000);
    // verdict lines from the harness: whole lines only, however the chunks are cut
    const lines = (partial + d.toString('latin1')).split('\n');
    partial = lines.pop()!.slice(-4096);
    for (const line of lines) {
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
  let lastProgressAt = Date.now();
  let progressSize = 0;
  let runningSince = Date.now();
  child.on('message', (raw) => {
    lastProgressAt = Date.now();
    const msg = raw as ChildMessage;
    if (msg.type === 'result') {
      if (msg.state === 'skipped') res.skipped.add(msg.name);
      else res.results.set(msg.name, { state: msg.state, errors: msg.errors, ms: msg.ms, file: msg.file });
    } else if (msg.type === 'module') res.moduleErrors.push(...msg.errors);
    else if (msg.type === 'done') {
      res.done = true;
      res.unhandled.push(...msg.unhandled);
    }
  });
  const kill = (why: AttemptResult['killed']) => {
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
  const timer = setInterval(() => {
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
      const p = readProgress(progressFile);
      res.lastStarted = p.lastStarted;
      for (const name of p.failed) res.failedSeen.add(name);
    }
    const running = res.lastStarted && !res.results.has(res.lastStarted) ? res.lastStarted : null;
    if (now > limits.deadline) kill('exercise-timeout');
    else if (running && now - runningSince > (limits.testLimitS(running) + (opts.watchdogMarginS ?? DEFAULT_WATCHDOG_MARGIN_S)) * 1000) kill('test-timeout');
    else if (!running && now - lastProgressAt > limits.idleS * 1000) kill('idle-timeout');
  }, 250);
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      clearInterval(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      res.exitCode = code;
      res.signal = signal;
      const p = readProgress(progressFile);
      res.lastStarted = p.lastStarted;
      for (const name of p.failed) res.failedSeen.add(name);
      // the group may still hold workers if vitest itself died first; detached processes left
      // the group: the sweep finds them by uid, environment marker or cwd
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
      res.stderrTail = stderr;
      // a PID namespace is torn down by the kernel as its first process exits: give that a
      // moment, so the sweep counts only what really outlived the run
      setTimeout(async () => {
        res.leftovers = sweep({ uid: isolation.uid, marker, base: path.dirname(stage.root) });
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
        res.stderrTail = stderr;
        // The harness names a failed test as the worker sees it. A test renamed in the worker (its
        // verdict line would then name no test, or the same test twice) voids the exercise.
        const reported = new Set([...opts.specs.map((s) => s.name), ...res.results.keys(), ...res.skipped]);
        const unknown = [...res.failedSeen].find((n) => !reported.has(n));
        const twice = res.failLines.find((n, i) => res.failLines.indexOf(n) !== i);
        if (unknown !== undefined) res.renamed = `a test failed under a name no test has (${JSON.stringify(unknown.slice(0, 80))})`;
        else if (twice !== undefined) res.renamed = `the test ${JSON.stringify(twice.slice(0, 80))} failed twice in one run`;
        // a verdict the harness saw as 'fail' stays failed, whatever the reporter was told later
        for (const name of res.failedSeen) {
          const r = res.results.get(name);
          if (r && r.state === 'passed') {
            res.results.set(name, { ...r, state: 'failed', errors: [], runnerReason: 'tampering: this test failed, then its result was changed to passed' });
          }
        }
        resolve(res);
      }, 250);
    });
  });
}

function crashReason(a: AttemptResult, heapMb: number): string {
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

export async function runExercise(opts: RunExerciseOptions): Promise<RunExerciseResult> {
  const known = new Map(opts.specs.map((s) => [s.name, s]));
  const testLimitS = (name: string) => opts.testTimeoutS ?? known.get(name)?.timeout ?? DEFAULT_TEST_TIMEOUT_S;
  const vitestTimeoutMs = Math.max(...opts.specs.map((s) => testLimitS(s.name)), opts.testTimeoutS ?? 1) * 1000;
  const idleS = opts.idleTimeoutS ?? 180;
  const totalS = opts.exerciseTimeoutS ?? Math.max(600, 2 * opts.specs.reduce((n, s) => n + testLimitS(s.name), idleS));
  const deadline = Date.now() + totalS * 1000;
  const maxReruns = opts.maxReruns ?? 5;
  const heapMb = opts.heapMb ?? 2048;

  const outcomes = new Map<string, TestOutcome>();
  const files = new Map<string, string>();
  const notes: string[] = [];
  const skip = new Set<string>();
  let attempts = 0;
  let leftovers = 0;
  let renamed: string | undefined;
  {
    for (;;) {
      attempts++;
      const a = await runAttempt(opts, { testLimitS, idleS, deadline, vitestTimeoutMs }, skip, path.join(opts.stage.channels, `progress-${attempts}.txt`));
      leftovers += a.leftovers;
      renamed ??= a.renamed;
      for (const [name, r] of a.results) {
        outcomes.set(name, { state: r.state, errors: r.errors, ms: r.ms, ...(r.runnerReason ? { runnerReason: r.runnerReason } : {}) });
        files.set(name, r.file);
      }
      for (const name of a.skipped) if (!files.has(name)) files.set(name, '');
      if (a.killed === 'aborted') {
        for (const s of opts.specs) if (!outcomes.has(s.name)) outcomes.set(s.name, { state: 'failed', errors: [], runnerReason: 'did not run: stopped', ms: 0 });
        break;
      }
      const culprit = a.lastStarted && !a.results.has(a.lastStarted) ? a.lastStarted : null;
      const clean = a.done && !a.killed && !culprit;
      if (culprit) {
        const reason =
          a.killed === 'test-timeout'
            ? `timed out after ${testLimitS(culprit)} s (still running: an infinite loop or a very slow step?)`
            : a.killed === 'exercise-timeout'
              ? `timed out: the exercise exceeded its overall limit of ${totalS} s`
              : crashReason(a, heapMb);
        outcomes.set(culprit, { state: 'failed', errors: [], runnerReason: reason, ms: 0 });
      }
      const missing = opts.specs.filter((s) => !outcomes.has(s.name));
      if (clean || missing.length === 0) {
        for (const s of missing) {
          const why = a.moduleErrors.length
            ? `the test file failed to load: ${loadError(a.moduleErrors[0]!.message, opts.stage.target)}`
            : 'the test file has no such test (check the rubric name)';
          // the load error itself travels along: lib/grader/feedback.ts reads its location
          outcomes.set(s.name, { state: 'failed', errors: a.moduleErrors.slice(0, 1), runnerReason: `did not run: ${why}`, ms: 0 });
        }
        break;
      }
      const canRerun = culprit !== null && a.killed !== 'exercise-timeout' && attempts <= maxReruns;
      if (!canRerun) {
        const why =
          a.killed === 'exercise-timeout'
            ? `the exercise exceeded its overall limit of ${totalS} s`
            : a.killed === 'idle-timeout'
              ? `the run stalled for ${idleS} s outside any test (loading the submission or a beforeAll hook hung)`
              : culprit
                ? `gave up after ${attempts} attempts (each one hung or crashed)`
                : `the test process stopped early: ${crashReason(a, heapMb)}`;
        for (const s of missing) outcomes.set(s.name, { state: 'failed', errors: [], runnerReason: `did not run: ${why}`, ms: 0 });
        break;
      }
      notes.push(`${culprit}: ${outcomes.get(culprit!)!.runnerReason}; resumed the remaining tests`);
      for (const name of outcomes.keys()) skip.add(name);
    }
  }
  if (renamed) {
    for (const spec of opts.specs) outcomes.set(spec.name, { state: 'failed', errors: [], runnerReason: `tampering: the tests were renamed while they ran: ${renamed}`, ms: 0 });
  }
  const unknownTests = [...files.entries()]
    .filter(([name]) => !known.has(name))
    .map(([name, file]) => ({ name, file }));
  return { outcomes, unknownTests, notes, attempts, leftovers };
}
