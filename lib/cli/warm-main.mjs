/**
 * The warm checker's process (started by lib/cli/warm.ts, one per `course watch` session): a
 * vitest instance made once with the grader's own config (lib/grader/vitest.grade.config.ts:
 * same setup files, harness, IPC reporter, `@target` alias), kept alive between saves. Each
 * 'run' message invalidates the student's files in vite's module graph (so the edit is
 * transformed again), narrows the tests by name pattern and runs the exercise's test file once;
 * results go to the parent over IPC exactly as in a graded run (ipc-reporter.ts), ending with
 * 'done'. Plain JavaScript, not run through tsx: tsx's loader hooks made importing vitest/node
 * cost about 2 s more CPU (message types: WarmRequest, WarmReply in warm.ts).
 *
 * The test worker is one process kept across runs (`isolate: false`, `singleFork`), so tfjs-node,
 * vitest's worker and the backend choice load once, not per save. vitest's forks pool would
 * still replace the worker before every run (tinypool's `recycleWorkers`): that is made a no-op
 * here, and called for real only when the last run left the worker dirty (test/support/
 * warm-guard.ts writes what it found to COURSE_WARM_STATE), was cancelled, or failed. Each run
 * starts by dropping the previous run's modules from the worker (test/support/warm-reset.ts).
 * At start-up one empty run (a name pattern no test matches) starts the worker and imports
 * everything once, before 'started' is sent (not for a one-shot check: COURSE_WARM_WARMUP=0).
 */
import fs from 'node:fs';
import path from 'node:path';
import Tinypool from 'tinypool';
import { createVitest } from 'vitest/node';


const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
/** @type {string[]} */
const files = JSON.parse(process.env.COURSE_GRADER_FILES ?? '[]');
const stateFile = process.env.COURSE_WARM_STATE;
const debug = process.env.COURSE_WARM_DEBUG ? (/** @type {string} */ line) => process.stderr.write(`warm: ${line}\n`) : () => {};

/** @param {import('./warm.js').WarmReply} msg */
function send(msg) {
  process.send?.(msg);
}

/** Every file under the exercise folder, so an edit anywhere in it (a helper module too) is seen. */
/** @param {string} dir @returns {string[]} */
function sourcesUnder(dir) {
  try {
    return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
  } catch {
    return [];
  }
}

/** vitest's pools, seen when they first ask to recycle; they recycle only while `allowRecycle`. */
/** @type {Set<Tinypool>} */
const pools = new Set();
let allowRecycle = false;
const recycleWorkers = Tinypool.prototype.recycleWorkers;
Tinypool.prototype.recycleWorkers = function (options) {
  pools.add(this);
  return allowRecycle ? recycleWorkers.call(this, options) : Promise.resolve();
};

async function recycle() {
  allowRecycle = true;
  try {
    await Promise.all([...pools].map((p) => p.recycleWorkers()));
  } finally {
    allowRecycle = false;
  }
}

/** Why the worker must not serve another run ([] if it may): what warm-guard.ts found, or a run that did not end normally. */
/** @param {'ok' | 'cancelled' | 'failed'} outcome @returns {string[]} */
function dirtReasons(outcome) {
  if (outcome !== 'ok') return [`the run was ${outcome}`];
  /** @type {string[]} */
  let lines = [];
  try {
    lines = stateFile ? fs.readFileSync(stateFile, 'utf8').split('\n').filter(Boolean) : [];
  } catch {
    // not written: judged below
  }
  const dirty = lines.filter((l) => l.startsWith('dirty ')).map((l) => l.slice('dirty '.length));
  if (dirty.length > 0) return dirty;
  // a run whose tests ran but whose end-of-run check never reported
  return lines.includes('clean') || !testsRan ? [] : ['the worker did not report its state'];
}

let testsRan = false;

/** @typedef {{ type: string; tasks?: TaskLike[]; result?: { state?: string } }} TaskLike */

/** @param {TaskLike} t @returns {boolean} */
function ranATest(t) {
  return t.type === 'test' ? t.result?.state === 'pass' || t.result?.state === 'fail' : (t.tasks ?? []).some(ranATest);
}

async function main() {
  debug(`process up ${(performance.now() / 1000).toFixed(2)} s after its start`);
  const vitest = await createVitest('test', {
    config: path.join(root, 'lib/grader/vitest.grade.config.ts'),
    watch: false,
    // the grade config sets its own reporter (IPC); nothing on this process's stdout is read
  });
  debug(`vitest made ${(performance.now() / 1000).toFixed(2)} s after the process started`);
  const project = vitest.getRootProject();
  let cancelled = false;
  /** @param {RegExp} pattern @param {string[]} invalidate */
  const run = async (pattern, invalidate) => {
    for (const dir of invalidate) for (const f of sourcesUnder(dir)) vitest.invalidateFile(f);
    vitest.setGlobalTestNamePattern(pattern);
    if (stateFile) fs.writeFileSync(stateFile, '');
    cancelled = false;
    /** @type {'ok' | 'cancelled' | 'failed'} */
    let outcome = 'ok';
    const t0 = Date.now();
    try {
      await vitest.runTestSpecifications(files.map((f) => project.createSpecification(f)));
      testsRan = vitest.state.getFiles().some(ranATest);
      if (cancelled) outcome = 'cancelled';
    } catch (err) {
      outcome = 'failed';
      send({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
    }
    for (const f of vitest.state.getFiles()) debug(`${path.basename(f.filepath)} ${Date.now() - t0} ms: prepare ${f.prepareDuration?.toFixed(0)} ms, setup ${f.setupDuration?.toFixed(0)} ms, collect ${f.collectDuration?.toFixed(0)} ms, tests ${f.result?.duration?.toFixed(0)} ms`);
    const reasons = dirtReasons(outcome);
    if (reasons.length > 0) {
      debug(`recycling the worker: ${reasons.join('; ')}`);
      await recycle();
      send({ type: 'recycled', reasons });
    }
  };
  let running = Promise.resolve();
  process.on('message', (raw) => {
    const msg = /** @type {import('./warm.js').WarmRequest} */ (raw);
    if (msg.type === 'cancel') {
      cancelled = true;
      void vitest.cancelCurrentRun('keyboard-input');
      return;
    }
    if (msg.type !== 'run') return;
    running = running.then(() => run(new RegExp(msg.pattern), msg.invalidate));
  });
  process.on('disconnect', () => {
    void vitest.close().finally(() => process.exit(0));
  });
  // start the worker and import tfjs, the course library and the tests once: no test matches
  if (process.env.COURSE_WARM_WARMUP !== '0') await run(/(?!)/, []);
  send({ type: 'started' });
}

main().catch((err) => {
  send({ type: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exit(1);
});
