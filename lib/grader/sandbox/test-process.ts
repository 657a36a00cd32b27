/**
 * One attempt of the test process, inside the sandbox: the command (the isolation's wrap, node,
 * `vitest run` with the staged grade config), its environment, its own process group, the
 * watchdog that kills it, and the sweep that leaves nothing of it running. What its messages and
 * stderr lines mean is runner.ts's; the contract this serves is at the top of ./index.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { MAX_OBSERVATION_CHARS } from '../observe-mark.js';
import { judgeAttempt, newAttempt, onChildMessage, takeProgress, takeStderrLine, type AttemptResult, type Limits } from '../runner.js';
import type { ChildMessage, GradedTestSpec } from '../types.js';
import { createChannelFile, removeSandboxLeftovers, sandboxRuntime } from './boundary.js';
import { sandboxEnv, sweep, workerDrop, wrapCommand, type Isolation } from './isolation.js';
import { cleanUpOnExit } from '../../process-leftovers.js';
import type { Stage } from './stage.js';

export interface TestProcessCommand {
  /** the isolation's argv prefix (bwrap … setpriv … --, or nothing) */
  wrap: string[];
  /** the node binary the sandbox runs */
  node: string;
}

/** vitest's main process's own temporary folder beside the stage (root modes). */
export function mainTmpPath(stage: Stage): string {
  return path.join(path.dirname(stage.root), 'main-tmp');
}

/** The wrap and node of the test process; `node` overrides the binary (self-tests plant a broken one). */
export function testProcessCommand(stage: Stage, isolation: Isolation, node?: string): TestProcessCommand {
  const readOnly = ['data', 'node_modules'].map((l) => fs.realpathSync(path.join(stage.root, l)));
  // the sandbox may not reach the grader's own node (e.g. under root's 0700 home): boundary.ts
  const bin = node ?? (isolation.uid !== undefined ? sandboxRuntime().node : process.execPath);
  // a runtime copy lies under /tmp, which bwrap replaces with an empty tmpfs: bind it (exit 127 before)
  if (bin !== process.execPath) readOnly.push(bin);
  const writable = isolation.mainUid !== undefined ? [mainTmpPath(stage)] : [];
  return { wrap: wrapCommand(isolation, { root: stage.root, work: stage.work, readOnly, writable }), node: bin };
}

/** What one attempt needs besides its limits, skip list and progress file. */
export interface AttemptOptions {
  stage: Stage;
  isolation: Isolation;
  cmd: TestProcessCommand;
  specs: GradedTestSpec[];
  seed: number;
  namePattern?: string;
  prototypeKeys?: boolean;
  watchdogMarginS?: number;
  verbose?: boolean;
  signal?: AbortSignal;
}

const DEFAULT_WATCHDOG_MARGIN_S = 15;

/**
 * Root modes: vitest's main process runs as isolation.mainUid (lib/grader/vitest.grade.config.ts
 * starts its workers as the sandbox uid). It writes the transformed modules the workers import
 * to its temporary folder: one of its own beside the stage (owner mainUid, group the sandbox
 * uid, 0750), which the workers can read and not change.
 */
export function mainTmpDir(opts: Pick<AttemptOptions, 'stage' | 'isolation'>): string | null {
  const { isolation, stage } = opts;
  if (isolation.mainUid === undefined || isolation.uid === undefined) return null;
  const dir = mainTmpPath(stage);
  fs.mkdirSync(dir, { recursive: true });
  fs.chownSync(dir, isolation.mainUid, isolation.uid);
  fs.chmodSync(dir, 0o750);
  return dir;
}

/** The test process's environment: what the staged config and the harness read. */
function attemptEnv(opts: AttemptOptions, limits: Limits, skip: Set<string>, progressFile: string, runId: string): NodeJS.ProcessEnv {
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
function spawnVitest(opts: AttemptOptions, cmd: TestProcessCommand, env: NodeJS.ProcessEnv): ChildProcess {
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
    for (const line of lines) takeStderrLine(res, line);
  });
  return () => stderr;
}

type Kill = (why: AttemptResult['killed']) => void;

/** Every 250 ms: which test runs (progress file) and whether it, the idle time or the exercise ran over. */
function startWatchdog(res: AttemptResult, opts: AttemptOptions, limits: Limits, progressFile: string, kill: Kill, lastMessageAt: () => number): NodeJS.Timeout {
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

/** Once the child exited: kill what is left, sweep, read stderr to its end, judge. */
async function finishAttempt(res: AttemptResult, opts: AttemptOptions, child: ChildProcess, marker: string, progressFile: string, stderr: () => string): Promise<void> {
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

export function runAttempt(opts: AttemptOptions, limits: Limits, skip: Set<string>, progressFile: string): Promise<AttemptResult> {
  createChannelFile(progressFile, opts.isolation.uid); // root never follows a name the sandbox chose (boundary.ts)
  const runId = randomBytes(8).toString('hex');
  const child = spawnVitest(opts, opts.cmd, attemptEnv(opts, limits, skip, progressFile, runId));
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
  // the grader ended by a signal (Ctrl-C, vitest stopping a self-test): the sandbox's processes
  // must not run on without it (in setpriv mode nothing else ends them)
  const cancelCleanUp = cleanUpOnExit(() => {
    kill('aborted');
    sweep({ uid: opts.isolation.uid, marker: `COURSE_GRADER_RUN=${runId}`, base: path.dirname(opts.stage.root) });
    if (opts.isolation.mainUid !== undefined) sweep({ uid: opts.isolation.mainUid, marker: `COURSE_GRADER_RUN=${runId}`, base: path.dirname(opts.stage.root) });
    removeSandboxLeftovers(opts.isolation.uid);
    removeSandboxLeftovers(opts.isolation.mainUid);
  });
  if (opts.signal?.aborted) onAbort();
  const timer = startWatchdog(res, opts, limits, progressFile, kill, () => lastMessageAt);
  return new Promise((resolve) => {
    let ended = false;
    const end = (code: number | null, signal: NodeJS.Signals | null) => {
      if (ended) return;
      ended = true;
      clearInterval(timer);
      cancelCleanUp();
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

