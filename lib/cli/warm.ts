/**
 * The warm checker: the student's own loop (`course watch`, `course grade --task N`) without
 * starting vitest, tsx and tfjs-node again for every check. One long-lived process
 * (warm-main.mjs) holds vitest with the grader's config; each check re-runs only the chosen
 * tasks' tests by name pattern, in one test worker kept across checks with tfjs-node loaded
 * (warm-preload.mjs), the last run's modules dropped (test/support/warm-reset.ts) and replaced
 * when a run left it dirty (test/support/warm-guard.ts). It is NOT a sandbox: the student's code runs as the student, on
 * their own files. Official grades (`course grade` of a whole exercise, --submissions,
 * Gradescope) keep the sandboxed cold path (lib/grader/grade.ts).
 *
 * Verdicts are judged by the grader's own functions (runner.ts judgeAttempt, culpritReason …,
 * grade.ts gradeFromRun), so pass/fail and feedback match a graded run's. When the warm process
 * dies, or a test hangs past its limit (a student's infinite loop: the watchdog kills the
 * process), the hung test fails with the grader's reason, the warm process is restarted, and
 * the tests the run did not reach are checked on the cold path with a note saying so.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exerciseSpecs, gradeExercise, gradeFromRun } from '../grader/grade.js';
import { PROJECT_ROOT } from '../grader/paths.js';
import { cleanUpOnExit, removeStale } from '../process-leftovers.js';
import { failed, judgeAttempt, limitsFor, newAttempt, notRunReason, onChildMessage, takeProgress, culpritReason, crashReason, type AttemptResult } from '../grader/runner.js';
import { namePattern } from '../grader/select.js';
import type { ChildMessage, ExerciseGrade, GradedTestSpec, TestOutcome } from '../grader/types.js';

/** parent → warm process (warm-main.mjs) */
export type WarmRequest = { type: 'run'; pattern: string; invalidate: string[] } | { type: 'cancel' };
/** warm process → parent: 'started': ready for runs; 'recycled': the test worker was replaced after a run, and why */
export type WarmReply = { type: 'started' } | { type: 'failed'; message: string } | { type: 'recycled'; reasons: string[] };

export interface WarmOptions {
  exercise: string;
  /** folder holding the exercise folder (the student's copy of exercises/) */
  target: string;
  seed?: number;
  testsDir?: string;
  /** grace after a test's limit before a test stuck in synchronous code is killed; default 15 s (as graded) */
  watchdogMarginS?: number;
  /** per-test limit for every test (overrides the rubric, as `course grade --timeout`) */
  testTimeoutS?: number;
  /** the warm process is replaced after this many runs (bounds what vite's caches can grow to); default 200 */
  maxRuns?: number;
  /**
   * false: no empty start-up run (`course grade --task N`, one check: its run starts the test
   * worker). Default true (`course watch`): start() returns once the worker has loaded tfjs, the
   * course library and the tests, so the first save is answered as fast as the later ones.
   */
  warmUp?: boolean;
}

export interface WarmCheck {
  grade: ExerciseGrade;
  seconds: number;
  aborted: boolean;
  /** which path gave the verdicts: 'warm', or 'cold' (all or part of it, see grade.notes) */
  path: 'warm' | 'cold';
}

const START_TIMEOUT_MS = 120_000;

const WARM_PREFIX = 'course-warm-';

/**
 * This checker's scratch folder, under <tmp>/course-warm-<pid>/ (removed when the process ends,
 * by a signal too; those of processes that died by SIGKILL are swept by the next checker).
 */
function warmDir(): string {
  const home = path.join(os.tmpdir(), `${WARM_PREFIX}${process.pid}`);
  if (!warmHomeMade) {
    warmHomeMade = true;
    removeStale(WARM_PREFIX);
    fs.rmSync(home, { recursive: true, force: true }); // a dead process's that had our pid
    fs.mkdirSync(home, { mode: 0o700 });
    cleanUpOnExit(() => fs.rmSync(home, { recursive: true, force: true }));
  }
  return fs.mkdtempSync(path.join(home, 'check-'));
}
let warmHomeMade = false;

export class WarmChecker {
  private child: ChildProcess | null = null;
  private ready: Promise<void> | null = null;
  private runs = 0;
  /** why the test worker was replaced after a run, one entry per replacement (bench/watch-latency.ts counts them) */
  readonly recycles: string[][] = [];
  private stderrTail = '';
  private readonly dir = warmDir();
  private readonly progressFile = path.join(this.dir, 'progress.txt');
  private readonly testsDir: string;
  private readonly specs: GradedTestSpec[];
  private readonly files: string[];

  constructor(private readonly o: WarmOptions) {
    this.testsDir = o.testsDir ?? path.join(PROJECT_ROOT, 'test');
    const { files, specs } = exerciseSpecs(o.exercise, this.testsDir);
    this.files = files;
    this.specs = specs;
  }

  /** The warm process's pid (bench/watch-latency.ts reads its CPU time), if it runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the warm process now (the first check then waits only for what is left of its start-up). */
  start(): Promise<void> {
    if (this.ready) return this.ready;
    const limits = limitsFor({ specs: this.specs, testTimeoutS: this.o.testTimeoutS });
    // plain JS, no tsx: its loader hooks made importing vitest/node cost about 2 s more CPU
    const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'lib/cli/warm-main.mjs')], {
      cwd: PROJECT_ROOT,
      detached: true, // its own process group: a kill takes vitest and its test worker together
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: {
        ...process.env,
        COURSE_TARGET: this.o.target,
        COURSE_SEED: String(this.o.seed ?? 1234),
        COURSE_GRADER_FILES: JSON.stringify(this.files),
        COURSE_GRADER_PROGRESS: this.progressFile,
        COURSE_GRADER_TEST_TIMEOUT_MS: String(limits.vitestTimeoutMs),
        COURSE_GRADER_HEAP_MB: String(limits.heapMb),
        COURSE_GRADER_CACHE: path.join(this.dir, 'cache'),
        COURSE_GRADER_PRELOAD: path.join(PROJECT_ROOT, 'lib/cli/warm-preload.mjs'),
        COURSE_WARM_STATE: path.join(this.dir, 'worker-state.txt'),
        COURSE_WARM_WARMUP: this.o.warmUp === false ? '0' : '1',
        // no tamper checks (test/support/grader-harness.ts): the student's own loop, not a grade
        COURSE_GRADER_WARM: '1',
        COURSE_QUIET_BACKEND: '1',
        TF_CPP_MIN_LOG_LEVEL: process.env.TF_CPP_MIN_LOG_LEVEL ?? '2',
        FORCE_COLOR: '0',
      },
    });
    this.child = child;
    this.runs = 0;
    this.stderrTail = '';
    child.stderr!.on('data', (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString()).slice(-20_000);
      // COURSE_WARM_DEBUG=1: the warm process's timings per run (warm-main.mjs) on this process's stderr
      if (process.env.COURSE_WARM_DEBUG) process.stderr.write(d);
    });
    child.on('message', (m: WarmReply) => {
      if (m.type === 'recycled') this.recycles.push(m.reasons);
    });
    child.on('exit', () => {
      if (this.child === child) {
        this.child = null;
        this.ready = null;
      }
    });
    this.ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the warm checker did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
      const onMessage = (m: WarmReply) => {
        if (m.type === 'started') resolve();
        else if (m.type === 'failed') reject(new Error(`the warm checker failed to start: ${m.message.split('\n')[0]}`));
        else return;
        clearTimeout(timer);
        child.off('message', onMessage);
      };
      child.on('message', onMessage);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`the warm checker exited during start-up (${signal ?? `code ${code}`}): ${this.stderrTail.trim().split('\n').pop() ?? ''}`));
      });
    });
    this.ready.catch(() => this.kill());
    return this.ready;
  }

  /** Kills the warm process and everything it started (its process group). */
  kill(): void {
    const child = this.child;
    this.child = null;
    this.ready = null;
    if (!child?.pid) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
  }

  close(): void {
    this.kill();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /**
   * Runs the graded tests of `tasks`. Aborting (a newer save) cancels the run at the next test
   * boundary and keeps the process warm; the result is then marked aborted and not shown.
   */
  async check(tasks: number[], signal?: AbortSignal): Promise<WarmCheck> {
    const t0 = Date.now();
    const specs = this.specs.filter((s) => s.task !== undefined && tasks.includes(s.task));
    if (this.runs >= (this.o.maxRuns ?? 200)) this.kill();
    try {
      await this.start();
    } catch (err) {
      return this.cold(tasks, specs, new Map(), [`the warm checker is not available (${err instanceof Error ? err.message : String(err)}); checked the slow way`], t0, signal);
    }
    this.runs++;
    const a = await this.attempt(specs, signal);
    const aborted = a.killed === 'aborted';
    const limits = limitsFor({ specs, testTimeoutS: this.o.testTimeoutS });
    const outcomes = new Map<string, TestOutcome>();
    for (const [name, r] of a.results) outcomes.set(name, { state: r.state, errors: r.errors, ms: r.ms, ...(r.runnerReason ? { runnerReason: r.runnerReason } : {}) });
    if (aborted) {
      for (const s of specs) if (!outcomes.has(s.name)) outcomes.set(s.name, failed('did not run: stopped'));
      return { grade: this.grade(specs, outcomes, [], t0), seconds: (Date.now() - t0) / 1000, aborted: true, path: 'warm' };
    }
    // the test that was running when the worker died or was killed fails as a graded run says
    const culprit = a.lastStarted && !a.results.has(a.lastStarted) && !a.skipped.has(a.lastStarted) ? a.lastStarted : null;
    if (culprit) outcomes.set(culprit, failed(culpritReason(a, culprit, limits)));
    const missing = specs.filter((s) => !outcomes.has(s.name));
    if (missing.length === 0 || (a.done && !a.killed && !culprit)) {
      for (const s of missing) outcomes.set(s.name, notRunReason(a, s.name, this.o.target, limits.heapMb));
      return { grade: this.grade(specs, outcomes, [], t0), seconds: (Date.now() - t0) / 1000, aborted: Boolean(signal?.aborted), path: 'warm' };
    }
    // the run stopped early: a process that died or was killed is replaced (in the background),
    // and the tests it did not reach are checked on the cold path, which resumes after a hang
    const notes = [culprit ? `${culprit}: ${outcomes.get(culprit)!.runnerReason}` : `the warm checker stopped (${crashReason(a, limits.heapMb)})`];
    if (!this.child || a.killed) {
      this.kill();
      notes.push('the warm checker was restarted');
      void this.start().catch(() => {});
    }
    return this.cold(tasks, specs, outcomes, notes, t0, signal);
  }

  /** The tests without an outcome, graded on the sandboxed cold path; the rest keep theirs. */
  private async cold(tasks: number[], specs: GradedTestSpec[], outcomes: Map<string, TestOutcome>, notes: string[], t0: number, signal?: AbortSignal): Promise<WarmCheck> {
    const missing = specs.filter((s) => !outcomes.has(s.name)).map((s) => s.name);
    if (missing.length > 0) {
      const g = await gradeExercise(this.o.exercise, { target: this.o.target, seed: this.o.seed ?? 1234, testsDir: this.o.testsDir, select: { tasks, test: `/${namePattern(missing)}/` }, log: () => {}, runner: { signal }, testTimeoutS: this.o.testTimeoutS });
      // the cold run's verdicts come back as graded tests; the warm ones are graded here with them
      if (outcomes.size === 0) return { grade: { ...g, notes: [...notes, ...g.notes] }, seconds: (Date.now() - t0) / 1000, aborted: Boolean(signal?.aborted), path: 'cold' };
      const merged = this.grade(specs, outcomes, [...notes, ...g.notes, `${missing.length} test(s) the warm run did not reach were checked the slow way`], t0);
      const cold = new Map(g.tests.map((t) => [t.name, t]));
      const tests = merged.tests.map((t) => cold.get(t.name) ?? t);
      const sum = (f: (t: (typeof tests)[number]) => number) => tests.reduce((n, t) => n + f(t), 0);
      return { grade: { ...merged, tests, score: sum((t) => t.points), maxScore: sum((t) => t.maxPoints), loadError: merged.loadError ?? g.loadError }, seconds: (Date.now() - t0) / 1000, aborted: Boolean(signal?.aborted), path: 'cold' };
    }
    return { grade: this.grade(specs, outcomes, notes, t0), seconds: (Date.now() - t0) / 1000, aborted: Boolean(signal?.aborted), path: 'cold' };
  }

  private grade(specs: GradedTestSpec[], outcomes: Map<string, TestOutcome>, notes: string[], t0: number): ExerciseGrade {
    return gradeFromRun({ exercise: this.o.exercise, specs, outcomes, seconds: (Date.now() - t0) / 1000, notes, target: this.o.target, testsDir: this.testsDir, files: this.files });
  }

  /** One run in the warm process, watched like a graded attempt (runner.ts startWatchdog). */
  private attempt(specs: GradedTestSpec[], signal?: AbortSignal): Promise<AttemptResult> {
    const child = this.child!;
    const res = newAttempt();
    const limits = limitsFor({ specs, testTimeoutS: this.o.testTimeoutS });
    const margin = this.o.watchdogMarginS ?? 15;
    fs.writeFileSync(this.progressFile, '');
    return new Promise((resolve) => {
      let progressSize = 0;
      let runningSince = Date.now();
      const finish = () => {
        clearInterval(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        signal?.removeEventListener('abort', onAbort);
        takeProgress(res, this.progressFile);
        res.stderrTail = this.stderrTail;
        judgeAttempt(res, specs);
        resolve(res);
      };
      const onMessage = (m: ChildMessage | WarmReply) => {
        if (m.type === 'failed') {
          res.unhandled.push({ message: m.message });
          finish();
          return;
        }
        if (m.type === 'started' || m.type === 'recycled') return;
        onChildMessage(res, m);
        if (m.type === 'done') finish();
      };
      const onExit = (code: number | null, sig: NodeJS.Signals | null) => {
        res.exitCode = code;
        res.signal = sig;
        finish();
      };
      const onAbort = () => {
        if (res.killed) return;
        res.killed = 'aborted';
        child.send({ type: 'cancel' } satisfies WarmRequest);
      };
      // a synchronous infinite loop never lets vitest's own timeout fire: kill at limit + margin
      const timer = setInterval(() => {
        let size = progressSize;
        try {
          size = fs.statSync(this.progressFile).size;
        } catch {
          // not written yet
        }
        if (size !== progressSize) {
          progressSize = size;
          runningSince = Date.now();
          takeProgress(res, this.progressFile);
        }
        const running = res.lastStarted && !res.results.has(res.lastStarted) ? res.lastStarted : null;
        if (running && Date.now() - runningSince > (limits.testLimitS(running) + margin) * 1000) {
          res.killed = 'test-timeout';
          this.kill();
        }
      }, 250);
      child.on('message', onMessage);
      child.on('exit', onExit);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (signal?.aborted) onAbort();
      child.send({ type: 'run', pattern: namePattern(specs.map((s) => s.name)), invalidate: [path.join(this.o.target, this.o.exercise)] } satisfies WarmRequest);
    });
  }
}
