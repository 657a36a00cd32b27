/**
 * A planted submission that forges the worker's verdict on an exercise's judged visible tests
 * (issue 21 4(d); docs/GRADER.md "Judged visible tests"): wrong values in the functions those
 * tests call, plus an accessor for chai's `negate` flag on Object.prototype that makes the
 * worker's assertions on them pass (as test/fixtures/attacks/negate-flag does for 01). Graded
 * with the harness's prototype-key check off (a runner option the submission cannot reach), so
 * only the parent's judge (test/NN-name.judge.ts) stands in the way: every judged test must lose
 * its points with "wrong value: …", a reason the grader gives only to a test the worker passed.
 * Only the judged tests run (a name filter), so the case costs one short grade. Runs with
 * COURSE_SLOW_TESTS=1, in the exercise's slow matrix file.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { exerciseSpecs, gradeTarget } from '../../lib/grader/grade.js';
import { loadJudge } from '../../lib/grader/judge.js';
import { PROJECT_ROOT } from '../../lib/grader/runner.js';
import { materializeFixture } from './grader-fixtures.js';

const SLOW = process.env.COURSE_SLOW_TESTS === '1';
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/**
 * `test/fixtures/judge/<fixture>/<exercise>/` must lose every test of `test/<exercise>.judge.ts`
 * (or those whose names match `only`) to the judge.
 */
export function judgedPlanted(exercise: string, fixture: string, only?: RegExp): void {
  (SLOW ? it : it.skip)(`planted ${fixture}: forged passes on ${exercise}'s judged visible tests each fail with the judge's "wrong value"`, async () => {
    const judge = await loadJudge(path.join(PROJECT_ROOT, 'test', `${exercise}.test.ts`));
    const judged = Object.keys(judge ?? {}).filter((n) => !only || only.test(n)).sort();
    expect(judged.length, `test/${exercise}.judge.ts judges no test`).toBeGreaterThan(0);
    // a judge key that is not a rubric test would judge nothing
    const names = exerciseSpecs(exercise, path.join(PROJECT_ROOT, 'test')).specs.map((s) => s.name);
    expect(judged.filter((n) => !names.includes(n))).toEqual([]);

    const target = materializeFixture(path.join(PROJECT_ROOT, 'test/fixtures/judge', fixture), exercise, fs.mkdtempSync(path.join(os.tmpdir(), 'judged-planted-')), PROJECT_ROOT);
    const report = await gradeTarget({
      target,
      only: [exercise],
      seed: 1234,
      log: () => {},
      select: { test: `/^(?:${judged.map(escape).join('|')})$/` },
      runner: { prototypeKeys: false, watchdogMarginS: 5 },
    }).finally(() => fs.rmSync(target, { recursive: true, force: true }));
    const got = report.exercises[0]!.tests.map((t) => [t.name, t.points, /(^|— )wrong value: /.test(t.feedback) ? 'wrong value' : t.feedback]).sort();
    expect(got).toEqual(judged.map((n) => [n, 0, 'wrong value']));
  }, 600_000);
}
