/**
 * The observation channel of judged tests is the grader's, not the submission's (issue 21;
 * lib/grader/observe-channel.ts): the send function, the write to stderr and the running test's
 * name are captured by a setup file before any submission code runs. A planted submission
 * (test/fixtures/judge/patch-observe) patches fs.writeSync to send every observation twice, files
 * its wrong answer in test A under test B's name (expect.setState) and tries to replace the send
 * function: test A fails on its own wrong value, test B keeps its points, as for the reference.
 * The hidden test, rubric and judge are written here at run time (random layer sizes).
 */
import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gradeTarget } from '../../lib/grader/grade.js';
import { PROJECT_ROOT } from '../../lib/grader/paths.js';
import { detectIsolation } from '../../lib/grader/sandbox/index.js';
import { materializeFixture } from '../support/grader-fixtures.js';

const EXERCISE = '01-ffnn-from-scratch';
const A = 'hidden: judged A';
const B = 'hidden: judged B';
const FEEDBACK = 'count the weights and the biases of every layer';
const mode = detectIsolation().mode;

/** Two judged hidden tests; the test file imports the submission before observe(), as an instructor may. */
function writeHidden(): { dir: string; counts: [number, number] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'observe-channel-'));
  const sizes = [0, 1].map(() => [randomInt(3, 10), randomInt(3, 10), randomInt(2, 10)]);
  const count = (s: number[]) => s.slice(1).reduce((n, k, i) => n + s[i]! * k + k, 0);
  const test = (name: string, s: number[]) => `test(${JSON.stringify(name)}, () => {\n  observe('count', countParameters(${JSON.stringify(s)}));\n});\n`;
  fs.writeFileSync(
    path.join(dir, '01-judged.test.ts'),
    `import { test } from 'vitest';\nimport { countParameters } from '@target/${EXERCISE}/index.js';\nimport { observe } from '@course/lib/grader/observe.js';\n\n${test(A, sizes[0]!)}${test(B, sizes[1]!)}`,
  );
  const entry = (name: string) => ({ name, points: 2, task: 2, feedback: FEEDBACK });
  fs.writeFileSync(path.join(dir, '01-judged.rubric.json'), JSON.stringify({ exercise: EXERCISE, tests: [entry(A), entry(B)] }));
  fs.writeFileSync(path.join(dir, '01-judged.judge.ts'), `export default {\n  ${JSON.stringify(A)}: { count: ${count(sizes[0]!)} },\n  ${JSON.stringify(B)}: { count: ${count(sizes[1]!)} },\n};\n`);
  return { dir, counts: [count(sizes[0]!), count(sizes[1]!)] };
}

async function grade(fixture: string, hiddenDir: string) {
  const target = fs.mkdtempSync(path.join(os.tmpdir(), 'observe-channel-sub-'));
  const log: string[] = [];
  try {
    if (fixture === 'reference') fs.cpSync(path.join(PROJECT_ROOT, 'solutions', EXERCISE), path.join(target, EXERCISE), { recursive: true });
    else materializeFixture(fixture, EXERCISE, target, PROJECT_ROOT);
    const report = await gradeTarget({ target, only: [EXERCISE], hiddenDir, seed: 7, log: (l) => log.push(l), select: { test: 'hidden: judged' }, runner: { idleTimeoutS: 90 } });
    return { tests: report.exercises[0]!.tests.map((t) => [t.name, t.points, t.feedback]), log };
  } finally {
    fs.rmSync(target, { recursive: true, force: true });
  }
}

describe(`the observation channel (isolation: ${mode})`, () => {
  it('the reference gets both judged tests', async () => {
    const h = writeHidden();
    try {
      expect((await grade('reference', h.dir)).tests).toEqual([[A, 2, ''], [B, 2, '']]);
    } finally {
      fs.rmSync(h.dir, { recursive: true, force: true });
    }
  }, 180_000);

  it('a submission that patches the channel loses only the test it answers wrongly', async () => {
    const h = writeHidden();
    try {
      const { tests, log } = await grade(path.join(PROJECT_ROOT, 'test/fixtures/judge/patch-observe'), h.dir);
      expect(tests).toEqual([[A, 0, `${FEEDBACK} (hidden test: wrong value)`], [B, 2, '']]);
      // A's own wrong count reached A's judge once, under A's name (not B's, not twice)
      expect(log.filter((l) => l.includes('judged "')).map((l) => l.trim())).toEqual([`judged "${A}": count: ${h.counts[0] + 1} is not the expected value`]);
    } finally {
      fs.rmSync(h.dir, { recursive: true, force: true });
    }
  }, 180_000);
});
