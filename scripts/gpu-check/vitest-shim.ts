/**
 * Just enough of vitest for the device check's bundle (scripts/gpu-check.sh aliases `vitest` to
 * this file): describe / test / it / beforeAll / afterAll / beforeEach / afterEach register into
 * a tree, `expect` is vitest's own (@vitest/expect on chai), and runFile() runs a graded test
 * file's tests in order, each under its own timeout, the way the grader's vitest would.
 * Not supported (the check's test files don't use them): .skip/.only/.each/.concurrent, fixtures.
 */
import * as chai from 'chai';
import { ASYMMETRIC_MATCHERS_OBJECT, GLOBAL_EXPECT, JestAsymmetricMatchers, JestChaiExpect, JestExtend, getState, setState } from '@vitest/expect';

type Fn = () => unknown | Promise<unknown>;
interface Suite {
  name: string;
  /** tests and nested suites in the order they were declared (vitest runs them in that order) */
  entries: ({ kind: 'test'; name: string; fn: Fn; timeoutMs?: number } | { kind: 'suite'; suite: Suite })[];
  beforeAll: Fn[];
  afterAll: Fn[];
  beforeEach: Fn[];
  afterEach: Fn[];
}
const newSuite = (name: string): Suite => ({ name, entries: [], beforeAll: [], afterAll: [], beforeEach: [], afterEach: [] });
let root = newSuite('');
let current = root;

chai.use(JestExtend);
chai.use(JestChaiExpect);
chai.use(JestAsymmetricMatchers);
export const expect = ((value: unknown, message?: string) => {
  const { assertionCalls } = getState(expect as never) as { assertionCalls: number };
  setState({ assertionCalls: assertionCalls + 1 }, expect as never);
  return chai.expect(value, message);
}) as unknown as typeof import('vitest').expect;
Object.assign(expect, chai.expect);
Object.assign(expect, (globalThis as Record<symbol, unknown>)[ASYMMETRIC_MATCHERS_OBJECT]);
setState({ assertionCalls: 0, isExpectingAssertions: false, expectedAssertionsNumber: null }, expect as never);
(globalThis as Record<symbol, unknown>)[GLOBAL_EXPECT] = expect;

export function describe(name: string, fn: () => void): void {
  const suite = newSuite(name);
  current.entries.push({ kind: 'suite', suite });
  const parent = current;
  current = suite;
  try {
    fn();
  } finally {
    current = parent;
  }
}
export function test(name: string, fn: Fn, timeout?: number | { timeout?: number }): void {
  current.entries.push({ kind: 'test', name, fn, timeoutMs: typeof timeout === 'number' ? timeout : timeout?.timeout });
}
export const it = test;
export const beforeAll = (fn: Fn) => void current.beforeAll.push(fn);
export const afterAll = (fn: Fn) => void current.afterAll.push(fn);
export const beforeEach = (fn: Fn) => void current.beforeEach.push(fn);
export const afterEach = (fn: Fn) => void current.afterEach.push(fn);

export interface TestOutcome {
  name: string;
  ok: boolean;
  ms: number;
  error?: string;
}

function withTimeout(fn: Fn, ms: number, what: string): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    Promise.resolve().then(fn),
    new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms / 1000} s`)), ms))),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Import a test file (its tests register here), run them, forget them. `timeoutMs(name)` gives
 * each test's limit by its full name ("describe > test"); `each` runs before every test (seeding).
 */
export async function runFile(load: () => Promise<unknown>, timeoutMs: (name: string) => number, each: () => void, report: (o: TestOutcome) => void): Promise<TestOutcome[]> {
  root = newSuite('');
  current = root;
  await load();
  const outcomes: TestOutcome[] = [];
  const walk = async (suite: Suite, prefix: string[], befores: Fn[], afters: Fn[]): Promise<void> => {
    const path = suite.name ? [...prefix, suite.name] : prefix;
    let setupError: string | null = null;
    for (const h of suite.beforeAll) {
      try {
        await withTimeout(h, 600_000, 'beforeAll');
      } catch (err) {
        setupError = `beforeAll failed: ${String((err as Error)?.message ?? err)}`;
      }
    }
    const be = [...befores, ...suite.beforeEach];
    const ae = [...suite.afterEach, ...afters];
    for (const t of suite.entries) {
      if (t.kind === 'suite') {
        await walk(t.suite, path, be, ae);
        continue;
      }
      const name = [...path, t.name].join(' > ');
      const t0 = Date.now();
      let error: string | undefined = setupError ?? undefined;
      if (!error) {
        try {
          each();
          setState({ assertionCalls: 0, currentTestName: name }, expect as never);
          for (const h of be) await h();
          await withTimeout(t.fn, timeoutMs(name), name);
          for (const h of ae) await h();
        } catch (err) {
          error = String((err as Error)?.message ?? err).split('\n').slice(0, 3).join(' ');
        }
      }
      // a turn of the event loop between tests, as vitest gives: on webgpu Node frees the GPU
      // objects of finished kernels only then (lib/backend/dawn-reuse.ts)
      await new Promise((resolve) => setImmediate(resolve));
      const o = { name, ok: !error, ms: Date.now() - t0, ...(error ? { error } : {}) };
      outcomes.push(o);
      report(o);
    }
    for (const h of suite.afterAll) await h();
  };
  await walk(root, [], [], []);
  return outcomes;
}
