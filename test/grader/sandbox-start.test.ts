/**
 * The environment is never the student's fault when the sandbox cannot start the test process
 * (lib/grader/sandbox/start-check.ts): a node the sandbox cannot execute (CI's Node 24 under
 * root's 0700 home: exit 127, every test "crashed", 0/382 on the reference), or a test process
 * that dies before vitest started, stops grading with an EnvironmentError naming what failed
 * and the fix, and the Gradescope autograder writes no rubric failure for it. A submission that
 * crashes its own worker at import still gets "crashed" student feedback.
 * Runs in the machine's isolation; CI forces each mode (COURSE_GRADER_ISOLATION=setpriv
 * COURSE_GRADER_UNSHARE=0 for the container case).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { crashResults } from '../../lib/grader/autograder.js';
import { assertGradingEnvironment, canaryBackend, EnvironmentError } from '../../lib/grader/canary.js';
import { gradeTarget, type GradeOptions } from '../../lib/grader/grade.js';
import { PROJECT_ROOT } from '../../lib/grader/runner.js';
import { nativePackage } from '../../lib/grader/sandbox/index.js';
import { detectIsolation } from '../../lib/grader/sandbox/isolation.js';
import { materializeFixture } from '../support/grader-fixtures.js';

const TOY = path.join(PROJECT_ROOT, 'test/fixtures/grader');
const mode = detectIsolation().mode;
const root = typeof process.getuid === 'function' && process.getuid() === 0;
// the backend every grade in this file uses (the canary runs once per process, as in a grade)
await assertGradingEnvironment();
const native = nativePackage(await canaryBackend());

async function toy(fixture: string, runner: GradeOptions['runner'] = {}): Promise<Awaited<ReturnType<typeof gradeTarget>>> {
  const target = materializeFixture(fixture, '00-toy', fs.mkdtempSync(path.join(os.tmpdir(), 'toy-start-')), PROJECT_ROOT);
  try {
    return await gradeTarget({ target, testsDir: path.join(TOY, 'tests'), seed: 7, log: () => {}, runner: { watchdogMarginS: 3, heapMb: 384, idleTimeoutS: 60, ...runner } });
  } finally {
    fs.rmSync(target, { recursive: true, force: true });
  }
}

/** The EnvironmentError a grade throws, or a failure naming the scores it gave instead. */
async function environmentError(runner: GradeOptions['runner']): Promise<EnvironmentError> {
  const err = await toy(path.join(TOY, 'targets/good'), runner).then(
    (r) => new Error(`graded instead of an environment error: ${r.score}/${r.maxScore}: ${r.exercises[0]!.tests.map((t) => t.feedback).join('; ')}`),
    (e: unknown) => e,
  );
  if (!(err instanceof EnvironmentError)) throw err;
  return err;
}

/**
 * node itself (a hard link or copy, not a symlink: node's execPath is its real path) in a folder
 * only root can enter, as CI's Node 24 under /root/.cache: the first setpriv still reaches it (it
 * execs before its capabilities are gone), vitest's main process, without CAP_DAC_OVERRIDE, cannot
 * start its workers with it (EACCES).
 */
function unreachableNode(dir: string): string {
  const locked = path.join(dir, 'home');
  fs.mkdirSync(locked, { mode: 0o700 });
  fs.chmodSync(locked, 0o700);
  const node = path.join(locked, 'node');
  try {
    fs.linkSync(fs.realpathSync(process.execPath), node);
  } catch {
    fs.copyFileSync(fs.realpathSync(process.execPath), node);
    fs.chmodSync(node, 0o755);
  }
  return node;
}

/** A node that starts the sandbox's probe but exits 127 as vitest starts, like a missing shared library. */
function nodeThatDiesAtVitest(dir: string): string {
  const file = path.join(dir, 'node-dies');
  fs.writeFileSync(file, `#!/bin/sh\ncase "$1" in -e) exec ${fs.realpathSync(process.execPath)} "$@";; esac\necho "node: error while loading shared libraries: libfake.so: cannot open shared object file" >&2\nexit 127\n`, { mode: 0o755 });
  fs.chmodSync(dir, 0o755);
  return file;
}

/**
 * A node that starts everything it runs with native addons disabled (NODE_OPTIONS=--no-addons,
 * which the workers inherit): inside the sandbox tfjs-node cannot load, while the grader's own
 * canary, outside it, loaded it. The same failure as a libtensorflow the sandbox uid cannot open.
 */
function nodeWithoutAddons(dir: string): string {
  const file = path.join(dir, 'node-no-addons');
  fs.writeFileSync(file, `#!/bin/sh\nNODE_OPTIONS=--no-addons exec ${fs.realpathSync(process.execPath)} "$@"\n`, { mode: 0o755 });
  fs.chmodSync(dir, 0o755);
  return file;
}

describe(`the sandbox cannot start (isolation: ${mode})`, () => {
  it('a node path that does not exist: an environment error naming it and the fix, no scores', async () => {
    const err = await environmentError({ node: '/nonexistent/course-node/bin/node' });
    expect(err.problem).toMatch(/^the grading environment is broken: .*\/nonexistent\/course-node\/bin\/node/);
    expect(err.fix).toMatch(/install Node where every user can reach and execute it|install .* on PATH/);
    // what the Gradescope autograder writes for it (autograder.ts catches every CourseError): no rubric failures
    const results = crashResults(err.problem, err.fix, 1, {});
    expect(results.tests).toEqual([]);
    expect(results.output).toMatch(/could not grade this submission[\s\S]*the grading environment is broken/);
  }, 120_000);

  it.runIf(root && mode !== 'none')('a node under a 0700 folder (CI\'s /root/.cache): "the sandbox … cannot execute …"', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'start-node-'));
    try {
      const node = unreachableNode(dir);
      const err = await environmentError({ node });
      // bwrap binds the file itself (the folders above it are made 0755 inside): there the link's target runs
      if (mode === 'setpriv') expect(err.problem).toMatch(/vitest's workers cannot start as the sandbox uid \d+: the sandbox \(setpriv, uid \d+\) cannot execute \/.*\/home\/node \(exit 126.*Permission denied/);
      expect(err.fix).toMatch(/0700 home/);
    } catch (e) {
      // in bwrap the bind makes the linked node reachable: the grade then succeeds, which is correct
      if (mode !== 'bwrap' || !/graded instead of an environment error: 7\/7/.test(String(e))) throw e;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('a test process that dies before vitest started (exit 127 after the probe passed): environment, not "crashed"', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'start-node-'));
    try {
      const err = await environmentError({ node: nodeThatDiesAtVitest(dir) });
      expect(err.problem).toMatch(/cannot execute .*node-dies: the test process exited with code 127 before vitest started \(.*libfake\.so/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe(`the native backend inside the sandbox (isolation: ${mode}, grading backend: ${native ?? 'a JS backend'})`, () => {
  it('which package the start probe loads: the canary\'s backend, else TFJS_BACKEND', () => {
    expect(nativePackage('node (tensorflow)')).toBe('@tensorflow/tfjs-node');
    expect(nativePackage('gpu (tensorflow)', 'wasm')).toBe('@tensorflow/tfjs-node-gpu');
    expect(nativePackage('wasm', 'node')).toBeNull();
    expect(nativePackage(null, 'tensorflow')).toBe('@tensorflow/tfjs-node');
    expect(nativePackage(null, undefined)).toBeNull();
  });

  it.runIf(native !== null)('tfjs-node that cannot load inside the sandbox: an environment error before any test, not per-test feedback', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'start-node-'));
    try {
      const err = await environmentError({ node: nodeWithoutAddons(dir) });
      expect(err.problem).toMatch(/^the grading environment is broken: the native backend \(@tensorflow\/tfjs-node(-gpu)?\) works for the grader but not inside the sandbox \(\w+.*loading addons is disabled/);
      expect(err.fix).toMatch(/provision-native.*TFJS_BACKEND=wasm/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});

describe(`the submission's own crash stays the submission's (isolation: ${mode})`, () => {
  it('SIGKILL of its own worker at import: "crashed" feedback on every test, no environment error', async () => {
    const r = await toy(path.join(TOY, 'start/kill-at-import'));
    expect(r.score).toBe(0);
    for (const t of r.exercises[0]!.tests) {
      expect(t.feedback).toMatch(/crashed/);
      expect(t.environmentError).toBeUndefined();
    }
  }, 120_000);

  it('process.exit(1) at import: fails as the submission\'s, no environment error', async () => {
    const r = await toy(path.join(TOY, 'start/exit-at-import'));
    expect(r.score).toBe(0);
    expect(r.exercises[0]!.loadError).toMatch(/process\.exit/);
    for (const t of r.exercises[0]!.tests) {
      expect(t.feedback).toMatch(/the submission failed to load/);
      expect(t.environmentError).toBeUndefined();
    }
  }, 120_000);

  it('the reference keeps full marks (the probe passes and is cached)', async () => {
    const r = await toy(path.join(TOY, 'targets/good'));
    expect(r.score).toBe(7);
  }, 120_000);
});
