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
import { judgeTest, ObservationLog } from '../../lib/grader/judge.js';
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
