/**
 * Hidden tests that the parent judges (issue 21 item 4(c)); the parent side. A hidden test
 * `NN-name.test.ts` may have a judge `NN-name.judge.ts` beside it. The grader's parent loads it
 * (never the sandbox: it is not staged, and the hidden folder is locked from the sandbox uid),
 * and for each test the judge names, a pass needs BOTH the worker's pass (the test ran to its
 * end, seen to start and finish, no tampering) AND the judge's verdict on the observations the
 * test sent (lib/grader/observe.ts). The worker's own "passed" counts for nothing there.
 *
 *   // 01-secret.judge.ts: expected values, never in the submission's process
 *   import type { Judge } from '@course/lib/grader/judge.js';   // type only: erased
 *   export default {
 *     'hidden: countParameters of a 4-5-3 net': { count: 43 },                         // exact
 *     'hidden: forward of a 2-3-1 net': { y: { close: [[0.52], [0.61]], atol: 1e-5 } },   // float tolerance
 *     'hidden: predicts well': (obs) => accuracy(obs.pred, LABELS) >= 0.9 || 'accuracy below 0.9', // a function
 *   } satisfies Judge;
 *
 * A verdict's reason is for the instructor (verbose runs); the student sees only "hidden test:
 * wrong value" (lib/grader/grade.ts), which names nothing of the judge.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';
import type ts from 'typescript';
import { typescript } from '../lazy-typescript.js';
import { CourseError } from '../errors.js';
import { MAX_OBSERVATION_CHARS, OBSERVE_MARK } from './observe-mark.js';
import { plainLine } from './plain-text.js';
import type { TestOutcome } from './types.js';

export type Observed = unknown;
/** What one test sent: key → value (JSON data, attacker-controlled). */
export type Observations = Readonly<Record<string, Observed>>;
/** true, or why the observations are wrong. */
export type Verdict = true | string;
export interface Close {
  close: Observed;
  /** absolute tolerance (default 1e-5) */
  atol?: number;
  /** relative tolerance (default 1e-4: float32 rounding of a few hundred operations) */
  rtol?: number;
}
/** Per key: the exact value, or `{ close, atol?, rtol? }` for floats. Keys not named are ignored. */
export type Expectations = Readonly<Record<string, Observed | Close>>;
export type TestJudge = Expectations | ((obs: Observations) => Verdict | boolean);
/** Test full name (as in the rubric) → how to judge it. */
export type Judge = Readonly<Record<string, TestJudge>>;

/** The judge file of a hidden test file, whether or not it exists. */
export function judgeFileOf(testFile: string): string {
  return testFile.replace(/\.test\.ts$/, '.judge.ts');
}

/**
 * Evaluates a judge's TypeScript in this process, transpiled in memory: importing it through the
 * loader would leave a transpiled copy, expected values included, in a cache the sandbox may
 * read (tsx keeps <tmp>/tsx-<uid>/ world-readable; vitest dumps modules under <tmp>: the planted
 * search in judge.test.ts found it there). A judge may `require` packages and node: modules;
 * type-only imports are erased.
 */
function evaluateJudge(file: string): unknown {
  const js = typescript().transpileModule(fs.readFileSync(file, 'utf8'), {
    fileName: file,
    compilerOptions: { module: typescript().ModuleKind.CommonJS, target: typescript().ScriptTarget.ES2022, esModuleInterop: true },
  }).outputText;
  const module = { exports: {} as Record<string, unknown> };
  const wrapper = vm.runInThisContext(`(function (exports, require, module, __filename, __dirname) {${js}\n})`, { filename: file }) as (...a: unknown[]) => void;
  wrapper(module.exports, createRequire(file), module, file, path.dirname(file));
  return module.exports.default;
}

/** The judge beside `testFile`, or null; a judge that is not an object of tests is the instructor's error. */
export async function loadJudge(testFile: string): Promise<Judge | null> {
  const file = judgeFileOf(testFile);
  if (file === testFile || !fs.existsSync(file)) return null;
  let j: unknown;
  try {
    j = evaluateJudge(file);
  } catch (err) {
    throw new CourseError(`${file} failed to load: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`, 'fix the judge (it runs in the grader, as plain TypeScript: type-only imports, `require` for packages)');
  }
  if (!j || typeof j !== 'object' || Array.isArray(j)) {
    throw new CourseError(`${file} has no default export of tests`, "export default { 'test name': { key: expected } } (docs/GRADER.md \"Judged hidden tests\")");
  }
  return j as Judge;
}

function isClose(e: unknown): e is Close {
  return !!e && typeof e === 'object' && !Array.isArray(e) && 'close' in e;
}

/** Whether `actual` matches `expected` within tolerance, element by element; the first difference otherwise. */
function compare(actual: Observed, expected: Observed, where: string, tol: { atol: number; rtol: number } | null): Verdict {
  if (typeof expected === 'number') {
    if (typeof actual !== 'number') return `${where}: not a finite number`;
    const ok = tol ? Math.abs(actual - expected) <= tol.atol + tol.rtol * Math.abs(expected) : actual === expected;
    return ok || `${where}: ${actual} is not ${tol ? 'close to ' : ''}the expected value`;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${where}: not an array`;
    if (actual.length !== expected.length) return `${where}: length ${actual.length}, expected ${expected.length}`;
    for (let i = 0; i < expected.length; i++) {
      const v = compare(actual[i], expected[i], `${where}[${i}]`, tol);
      if (v !== true) return v;
    }
    return true;
  }
  if (expected && typeof expected === 'object') {
    if (!actual || typeof actual !== 'object' || Array.isArray(actual)) return `${where}: not an object`;
    for (const [k, e] of Object.entries(expected)) {
      if (!Object.prototype.hasOwnProperty.call(actual, k)) return `${where}.${k}: missing`;
      const v = compare((actual as Record<string, Observed>)[k], e, `${where}.${k}`, tol);
      if (v !== true) return v;
    }
    return true;
  }
  return actual === expected || `${where}: not the expected value`;
}

/** One test's verdict from its observations. A judge that throws fails the test (and says so). */
export function judgeTest(judge: TestJudge, obs: Observations): Verdict {
  try {
    if (typeof judge === 'function') {
      const v = judge(obs);
      return v === true ? true : typeof v === 'string' ? v : 'the judge said no';
    }
    for (const [key, e] of Object.entries(judge)) {
      if (!Object.prototype.hasOwnProperty.call(obs, key)) return `no observation "${key}" (the test stopped before observe())`;
      const v = isClose(e) ? compare(obs[key], e.close, key, { atol: e.atol ?? 1e-5, rtol: e.rtol ?? 1e-4 }) : compare(obs[key], e, key, null);
      if (v !== true) return v;
    }
    return true;
  } catch (err) {
    return `the judge threw: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** Observations as the runner collects them from the worker's stderr: test → key → value. */
export class ObservationLog {
  private readonly byTest = new Map<string, Record<string, Observed>>();
  /** tests that sent one key twice: a forged line sent before (or after) the real one */
  readonly repeated = new Set<string>();

  /** One stderr line; false when it is not an observation. */
  take(line: string): boolean {
    if (!line.startsWith(`${OBSERVE_MARK} `) || line.length > MAX_OBSERVATION_CHARS + OBSERVE_MARK.length + 1) return false;
    let msg: unknown;
    try {
      msg = JSON.parse(line.slice(OBSERVE_MARK.length + 1));
    } catch {
      return false;
    }
    const { test, key, value } = (msg ?? {}) as { test?: unknown; key?: unknown; value?: unknown };
    if (typeof test !== 'string' || typeof key !== 'string') return false;
    const obs = this.byTest.get(test) ?? (Object.create(null) as Record<string, Observed>);
    if (Object.prototype.hasOwnProperty.call(obs, key)) this.repeated.add(test);
    obs[key] = value;
    this.byTest.set(test, obs);
    return true;
  }

  of(test: string): Observations {
    return this.byTest.get(test) ?? {};
  }

  /** Whether the test sent any observation. */
  has(test: string): boolean {
    return this.byTest.has(test);
  }

  /** Another attempt's log (a rerun after a crash): what the tests it ran sent. */
  merge(other: ObservationLog): void {
    for (const [test, obs] of other.byTest) {
      if (other.repeated.has(test)) this.repeated.add(test);
      this.byTest.set(test, obs);
    }
  }
}

/**
 * Judged tests, hidden or visible: the worker's pass only says the test ran to its end; the
 * verdict is the judge's, on what the test observed. A test the worker failed stays failed. A
 * test that sent observations but has no judge fails too: its values were never checked here,
 * and a pass would be the worker's word alone (a judge file that misses a test, or a forged
 * line; either way nothing of the submission's own says it is right).
 */
export function applyJudges(outcomes: Map<string, TestOutcome>, judges: ReadonlyMap<string, TestJudge>, observations: ObservationLog, log?: (line: string) => void): void {
  for (const [name, o] of outcomes) {
    if (o.state !== 'passed') continue;
    const judge = judges.get(name);
    if (!judge && !observations.has(name)) continue;
    const verdict = !judge
      ? 'values were observed but no judge names this test (add it to the judge file beside the test)'
      : observations.repeated.has(name)
        ? 'an observation was sent twice (a forged line?)'
        : judgeTest(judge, observations.of(name));
    if (verdict === true) continue;
    log?.(plainLine(`  judged "${name}": ${verdict}`, 400)); // the instructor's terminal; a hidden test's student feedback names none of it
    outcomes.set(name, { state: 'failed', errors: [], runnerReason: `wrong value: ${verdict}`, ms: o.ms });
  }
}
