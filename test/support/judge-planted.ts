/**
 * The judged visible tests of one exercise against a planted submission that forges their passes
 * inside the worker (issue 21 4(d); docs/GRADER.md "Judged visible tests"): wrong values from the
 * judged functions and chai's `negate` flag answered `true` by an accessor on Object.prototype, as
 * test/fixtures/attacks/negate-flag does for 01. Graded with the harness's prototype-key check
 * off (runner option `prototypeKeys: false`, which neither the CLI nor the submission reaches),
 * the worker passes every judged test, so what fails them is the parent's judge alone: each with
 * "wrong value". The control grades the same submission against a judge that accepts anything:
 * then they pass, so the planted forgery does work in the worker and the judge is what stops it.
 * Only the judged tests are run (a name selection), and only under COURSE_SLOW_TESTS=1, beside
 * the exercise's slow grader matrix (test/grader/matrix/NN-name.test.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { gradeTarget } from '../../lib/grader/grade.js';
import { loadJudge } from '../../lib/grader/judge.js';
import { PROJECT_ROOT } from '../../lib/grader/runner.js';
import { materializeFixture } from './grader-fixtures.js';

const SLOW = process.env.COURSE_SLOW_TESTS === '1';

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A tests folder holding the exercise's test file and rubric and, instead of its judge, one that accepts anything. */
function testsAcceptingAnything(exercise: string, judged: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'judge-visible-'));
  for (const f of [`${exercise}.test.ts`, `${exercise}.rubric.json`]) fs.copyFileSync(path.join(PROJECT_ROOT, 'test', f), path.join(dir, f));
  fs.writeFileSync(path.join(dir, `${exercise}.judge.ts`), `export default {\n${judged.map((n) => `  ${JSON.stringify(n)}: () => true,`).join('\n')}\n};\n`);
  return dir;
}

/** The judged tests' [name, points, feedback] when `fixture` is graded with the prototype-key check off. */
async function gradeJudged(exercise: string, fixture: string, judged: string[], testsDir?: string): Promise<[string, number, string][]> {
  const target = materializeFixture(fixture, exercise, fs.mkdtempSync(path.join(os.tmpdir(), 'judge-planted-')), PROJECT_ROOT);
  try {
    const report = await gradeTarget({
      target, only: [exercise], testsDir, seed: 1234, log: () => {},
      select: { test: `/^(?:${judged.map(escapeRe).join('|')})$/` },
      runner: { prototypeKeys: false, watchdogMarginS: 5 },
    });
    const byName = new Map(report.exercises[0]!.tests.map((t) => [t.name, t]));
    return judged.map((n) => [n, byName.get(n)?.points ?? -1, byName.get(n)?.feedback ?? 'not graded']);
  } finally {
    fs.rmSync(target, { recursive: true, force: true });
    if (testsDir) fs.rmSync(testsDir, { recursive: true, force: true });
  }
}

/** Defines the planted case for `exercise`; `fixture` is the folder holding NN-name/ (test/fixtures/judge/negate-NN). */
export function judgedPlanted(exercise: string, fixture: string): void {
  const run = SLOW ? it : it.skip;
  run(`${exercise}: negated assertions with wrong values pass in the worker (control: a judge that accepts anything) and the judge fails every judged test with "wrong value"`, async () => {
    const judge = await loadJudge(path.join(PROJECT_ROOT, 'test', `${exercise}.test.ts`));
    const judged = Object.keys(judge ?? {});
    expect(judged.length, `test/${exercise}.judge.ts judges no test`).toBeGreaterThan(0);

    const control = await gradeJudged(exercise, fixture, judged, testsAcceptingAnything(exercise, judged));
    expect(control.filter(([, p]) => p <= 0).map(([n, , f]) => `${n}: ${f}`), 'the forgery must pass in the worker').toEqual([]);

    const judgedRun = await gradeJudged(exercise, fixture, judged);
    // the feedback may lead with "fix `sigmoid` first: …" (a test that calls a failing function), then the judge's reason
    expect(judgedRun.filter(([, p, f]) => p !== 0 || !f.includes('wrong value: ')).map(([n, p, f]) => `${n}: ${p} points, ${f}`)).toEqual([]);
  }, 600_000);
}
