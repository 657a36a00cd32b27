/**
 * Judged hidden tests (issue 21 item 4(c); lib/grader/observe.ts, lib/grader/judge.ts): the hidden
 * test sends observations, the grader's parent holds the expected values and decides. The
 * hidden test, its rubric and its judge are written here at run time, with random layer sizes
 * and a random marker beside the expected value in the judge, so no copy of them exists anywhere
 * else on the machine: a submission that finds the value found it through the grader.
 */
import { randomBytes, randomInt } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gradeTarget } from '../../lib/grader/grade.js';
import { applyJudges, judgeTest, loadJudge, ObservationLog } from '../../lib/grader/judge.js';
import type { TestOutcome } from '../../lib/grader/types.js';
import { OBSERVE_MARK } from '../../lib/grader/observe-mark.js';
import { PROJECT_ROOT } from '../../lib/grader/runner.js';
import { detectIsolation } from '../../lib/grader/sandbox/isolation.js';
import { materializeFixture } from '../support/grader-fixtures.js';

const EXERCISE = '01-ffnn-from-scratch';
const NAME = 'hidden: countParameters judged in the parent';
const mode = detectIsolation().mode;

describe('judge verdicts (parent side, no sandbox)', () => {
  it('exact values, tolerances, missing keys, functions and a judge that throws', () => {
    expect(judgeTest({ count: 43 }, { count: 43 })).toBe(true);
    expect(judgeTest({ count: 43 }, { count: 42 })).toMatch(/^count: 42 is not the expected value/);
    expect(judgeTest({ count: 43 }, { count: '43' })).toMatch(/not a finite number/);
    expect(judgeTest({ count: 43 }, {})).toMatch(/no observation "count"/);
    // float32 error passes, a real difference does not
    const close = { y: { close: [[0.5, 0.25]], atol: 1e-5 } };
    expect(judgeTest(close, { y: [[0.5000001, 0.2500003]] })).toBe(true);
    expect(judgeTest(close, { y: [[0.5, 0.26]] })).toMatch(/^y\[0\]\[1\]/);
    expect(judgeTest(close, { y: [[0.5]] })).toMatch(/length 1, expected 2/);
    expect(judgeTest(close, { y: [['NaN', 0.25]] })).toMatch(/not a finite number/);
    expect(judgeTest((o) => (o.acc as number) >= 0.9 || 'accuracy below 0.9', { acc: 0.8 })).toBe('accuracy below 0.9');
    expect(judgeTest(() => {
      throw new Error('bad judge');
    }, {})).toMatch(/the judge threw: bad judge/);
  });

  it("docs/GRADER.md's per-exercise counts of judged visible tests are the judge files' and rubrics' own", async () => {
    const docs = fs.readFileSync(path.join(PROJECT_ROOT, 'docs/GRADER.md'), 'utf8');
    const claims = [...docs.matchAll(/^- \*\*(\d\d-[a-z0-9-]+): (\d+) of (\d+) tests judged\*\*/gm)];
    expect(claims.length).toBeGreaterThan(0);
    for (const [, exercise, judged, total] of claims) {
      const judge = await loadJudge(path.join(PROJECT_ROOT, 'test', `${exercise}.test.ts`));
      const rubric = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'test', `${exercise}.rubric.json`), 'utf8')) as { tests: unknown[] };
      expect([exercise, Object.keys(judge ?? {}).length, rubric.tests.length]).toEqual([exercise, Number(judged), Number(total)]);
    }
  });

  it('observation lines: parsed per test, a key sent twice is marked, other lines ignored', () => {
    const log = new ObservationLog();
    expect(log.take(`${OBSERVE_MARK} ${JSON.stringify({ test: 'a', key: 'k', value: [1, 2] })}`)).toBe(true);
    expect(log.take('course-grader-verdict fail "a"')).toBe(false);
    expect(log.take(`${OBSERVE_MARK} {not json`)).toBe(false);
    expect(log.of('a')).toEqual({ k: [1, 2] });
    expect(log.repeated.has('a')).toBe(false);
    log.take(`${OBSERVE_MARK} ${JSON.stringify({ test: 'a', key: 'k', value: 43 })}`); // a forged line after the real one
    expect(log.repeated.has('a')).toBe(true);
  });

  it('applyJudges: a judged pass needs the judge; observations without a judge fail; a failed test stays failed', () => {
    const log = new ObservationLog();
    const send = (test: string, key: string, value: unknown) => log.take(`${OBSERVE_MARK} ${JSON.stringify({ test, key, value })}`);
    send('right', 'n', 43);
    send('wrong', 'n', 42);
    send('unjudged', 'n', 43);
    send('failed', 'n', 43);
    const passed: TestOutcome = { state: 'passed', errors: [], ms: 1 };
    const outcomes = new Map<string, TestOutcome>([['right', passed], ['wrong', passed], ['unjudged', passed], ['failed', { state: 'failed', errors: [{ message: 'boom' }], ms: 1 }], ['silent', passed], ['missing', passed]]);
    const lines: string[] = [];
    applyJudges(outcomes, new Map([['right', { n: 43 }], ['wrong', { n: 43 }], ['failed', { n: 43 }], ['missing', { n: 43 }]]), log, (l) => lines.push(l));
    const reason = (t: string) => (outcomes.get(t)!.state === 'passed' ? 'passed' : outcomes.get(t)!.runnerReason ?? outcomes.get(t)!.errors[0]!.message);
    expect(['right', 'wrong', 'unjudged', 'failed', 'silent', 'missing'].map(reason)).toEqual([
      'passed',
      'wrong value: n: 42 is not the expected value',
      'wrong value: values were observed but no judge names this test (add it to the judge file beside the test)',
      'boom',
      'passed', // neither observed nor judged: the worker's verdict, as before
      'wrong value: no observation "n" (the test stopped before observe())',
    ]);
    expect(lines).toHaveLength(3);
  });
});

/** A hidden dir only root can read: the test (inputs, observe), its rubric, its judge (expected value + marker). */
function writeHidden(): { dir: string; count: number; marker: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'judge-'));
  const sizes = [randomInt(3, 10), randomInt(3, 10), randomInt(2, 10)];
  const count = sizes.slice(1).reduce((n, s, i) => n + sizes[i]! * s + s, 0);
  const marker = `JUDGE-SECRET-${randomBytes(6).toString('hex')}`;
  fs.writeFileSync(
    path.join(dir, '01-judged.test.ts'),
    `import { test } from 'vitest';\nimport { countParameters } from '@target/${EXERCISE}/index.js';\nimport { observe } from '@course/lib/grader/observe.js';\n\ntest(${JSON.stringify(NAME)}, () => {\n  observe('count', countParameters(${JSON.stringify(sizes)}));\n});\n`,
  );
  fs.writeFileSync(path.join(dir, '01-judged.rubric.json'), JSON.stringify({ exercise: EXERCISE, tests: [{ name: NAME, points: 2, task: 2, feedback: 'count the weights and the biases of every layer' }] }));
  fs.writeFileSync(path.join(dir, '01-judged.judge.ts'), `export default {\n  ${JSON.stringify(NAME)}: { count: ${count} }, // ${marker} count=${count}\n};\n`);
  return { dir, count, marker };
}

async function grade(fixture: string, hiddenDir: string): Promise<{ report: Awaited<ReturnType<typeof gradeTarget>>; log: string[] }> {
  const target = fs.mkdtempSync(path.join(os.tmpdir(), 'judge-sub-'));
  const log: string[] = [];
  try {
    if (fixture === 'reference') fs.cpSync(path.join(PROJECT_ROOT, 'solutions', EXERCISE), path.join(target, EXERCISE), { recursive: true });
    else materializeFixture(fixture, EXERCISE, target, PROJECT_ROOT);
    const report = await gradeTarget({ target, only: [EXERCISE], hiddenDir, seed: 7, log: (l) => log.push(l), select: { test: 'judged in the parent' }, runner: { idleTimeoutS: 90 } });
    return { report, log };
  } finally {
    fs.rmSync(target, { recursive: true, force: true });
  }
}

describe(`a judged hidden test end to end (isolation: ${mode})`, () => {
  it('the reference gets the points: the parent judged its observation', async () => {
    const h = writeHidden();
    try {
      const { report } = await grade('reference', h.dir);
      expect(report.exercises[0]!.tests.map((t) => [t.name, t.points, t.feedback])).toEqual([[NAME, 2, '']]);
    } finally {
      fs.rmSync(h.dir, { recursive: true, force: true });
    }
  }, 180_000);

  // in `none` mode (an ordinary user) the hidden folder is readable by path: no boundary there
  it.runIf(mode !== 'none')('a stub that searches every file it can reach finds no expected value and scores 0', async () => {
    const h = writeHidden();
    try {
      const { report, log } = await grade(path.join(PROJECT_ROOT, 'test/fixtures/judge/grep-judge'), h.dir);
      const t = report.exercises[0]!.tests[0]!;
      expect([t.points, t.feedback]).toEqual([0, 'count the weights and the biases of every layer (hidden test: wrong value)']);
      // it searched (it returns minus the number of files it read), and the judge said why, only in the grader's log
      const line = log.find((l) => l.includes(`judged "${NAME}"`)) ?? '';
      console.log(`${mode}: ${line.trim()}`);
      expect(line).toMatch(/count: -\d+ is not the expected value/);
      expect(Number(/count: -(\d+)/.exec(line)?.[1])).toBeGreaterThan(100);
      expect(JSON.stringify(report)).not.toContain(h.marker);
      // control: the same search, run here (outside the sandbox, as root), does find the judge's value
      const attack = (await import('../fixtures/judge/grep-judge/01-ffnn-from-scratch/index.js')) as { countParameters: (s: number[]) => number };
      expect(attack.countParameters([1])).toBe(h.count);
    } finally {
      fs.rmSync(h.dir, { recursive: true, force: true });
    }
  }, 180_000);
});

// ───────────── visible tests judged in the parent too (issue 21 4(d)) ─────────────

const TASK2 = ['counts 109,386 parameters for 784→128→64→10', 'matches tf.layers countParams on random layer sizes', 'rejects layer lists that are not a network with a CourseError'].map((t) => `task 2: parameter count > ${t}`);
const NEGATE = path.join(PROJECT_ROOT, 'test/fixtures/attacks/negate-flag');

/** A tests folder with 01's visible test file and rubric and, instead of its judge, `judge` (or none). */
function testsWith(judge: string | null): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'judge-visible-'));
  for (const f of [`${EXERCISE}.test.ts`, `${EXERCISE}.rubric.json`]) fs.copyFileSync(path.join(PROJECT_ROOT, 'test', f), path.join(dir, f));
  if (judge !== null) fs.writeFileSync(path.join(dir, `${EXERCISE}.judge.ts`), judge);
  return dir;
}

async function gradeTask2(fixture: string, testsDir?: string, harness: { prototypeKeys?: boolean } = {}): Promise<{ tests: [string, number, string][]; log: string[] }> {
  const target = fs.mkdtempSync(path.join(os.tmpdir(), 'judge-sub-'));
  const log: string[] = [];
  try {
    if (fixture === 'reference') fs.cpSync(path.join(PROJECT_ROOT, 'solutions', EXERCISE), path.join(target, EXERCISE), { recursive: true });
    else materializeFixture(fixture, EXERCISE, target, PROJECT_ROOT);
    const report = await gradeTarget({ target, only: [EXERCISE], testsDir, seed: 1234, log: (l) => log.push(l), select: { tasks: [2] }, runner: { idleTimeoutS: 90, ...harness } });
    return { tests: report.exercises[0]!.tests.map((t) => [t.name, t.points, t.feedback]), log };
  } finally {
    fs.rmSync(target, { recursive: true, force: true });
    if (testsDir) fs.rmSync(testsDir, { recursive: true, force: true });
  }
}

describe(`visible tests judged in the parent (01 task 2, isolation: ${mode})`, () => {
  it('the reference passes its judged tests: the parent judged every observation', async () => {
    const { tests, log } = await gradeTask2('reference');
    expect(tests.map(([n, p, f]) => [n, p > 0, f])).toEqual(TASK2.map((n) => [n, true, '']));
    expect(log.filter((l) => l.includes('judged "'))).toEqual([]);
  }, 180_000);

  it('a negated flag forges in-process passes: the harness sees the new key on Object.prototype; with that check off, a judge that accepts anything lets them through (control) and the real judge fails each with the wrong value', async () => {
    const anything = `export default {\n${TASK2.map((n) => `  ${JSON.stringify(n)}: () => true,`).join('\n')}\n};\n`;
    // the harness alone (a judge that accepts anything): the accessor is found before the first
    // test and removed, so that test fails as tampering and the others on their own 0
    const harness = await gradeTask2(NEGATE, testsWith(anything));
    expect(harness.tests.map(([n, p]) => [n, p])).toEqual(TASK2.map((n) => [n, 0]));
    expect(harness.tests[0]![2]).toMatch(/^tampering detected before this test \(at import or in an earlier hook\): Object\.prototype\.negate was added/);

    // the judge alone: the harness's prototype-key check off (a runner option, not reachable
    // from the CLI or the submission), so the negated assertions pass in the worker
    const control = await gradeTask2(NEGATE, testsWith(anything), { prototypeKeys: false });
    expect(control.tests.map(([n, p]) => [n, p > 0])).toEqual(TASK2.map((n) => [n, true]));

    const { tests, log } = await gradeTask2(NEGATE, undefined, { prototypeKeys: false });
    expect(tests.map(([n, p]) => [n, p])).toEqual(TASK2.map((n) => [n, 0]));
    expect(tests[0]![2]).toMatch(/^wrong value: counts\.784-128-64-10: 0 is not the expected value/);
    expect(tests[1]![2]).toMatch(/^wrong value: trial 0: 0 parameters for \[31,9,25,4\], expected/);
    expect(tests[2]![2]).toMatch(/^wrong value: count 4-3: 0 is not the expected value/);
    expect(log.filter((l) => l.includes('judged "'))).toHaveLength(3);
  }, 420_000);

  it('values observed without a judge, or a judge expecting a key never observed, fail the reference', async () => {
    // the judge names only the first test, with a key the test never sends
    const partial = `export default {\n  ${JSON.stringify(TASK2[0])}: { total: 109386 },\n};\n`;
    const { tests } = await gradeTask2('reference', testsWith(partial));
    expect(tests.map(([n, p]) => [n, p])).toEqual(TASK2.map((n) => [n, 0]));
    expect(tests[0]![2]).toMatch(/^wrong value: no observation "total"/);
    for (const t of tests.slice(1)) expect(t[2]).toMatch(/^wrong value: values were observed but no judge names this test/);
  }, 180_000);
});
