/**
 * The grader's runner and harness on a tiny throwaway exercise (test/fixtures/grader): fast, so
 * every isolation case runs in plain `npm test`. Each planted target under targets/ must lose
 * exactly the tests its bug.json names and keep the rest.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gradeSubmissions } from '../../lib/grader/batch.js';
import { gradeTarget, type GradeOptions } from '../../lib/grader/grade.js';
import { PROJECT_ROOT } from '../../lib/grader/runner.js';
import { findPlantedBugs, materializeFixture } from '../support/grader-fixtures.js';

const TOY = path.join(PROJECT_ROOT, 'test/fixtures/grader');
const TARGETS = path.join(TOY, 'targets');
const quiet = () => {};
const toy = async (fixture: string, extra: Partial<GradeOptions> = {}): Promise<Awaited<ReturnType<typeof gradeTarget>>> => {
  const target = materializeFixture(fixture, '00-toy', fs.mkdtempSync(path.join(os.tmpdir(), 'toy-')), PROJECT_ROOT);
  try {
    return await gradeTarget({ target, testsDir: path.join(TOY, 'tests'), seed: 7, log: quiet, runner: { watchdogMarginS: 3, heapMb: 384, idleTimeoutS: 90 }, ...extra });
  } finally {
    fs.rmSync(target, { recursive: true, force: true });
  }
};

describe('grader runner on the toy exercise', () => {
  it('gives full marks to the good target and 0 with "not implemented" to the stub', async () => {
    const good = await toy(path.join(TARGETS, 'good'));
    expect(good.score).toBe(7);
    expect(good.maxScore).toBe(7);
    const stub = await toy(path.join(TARGETS, 'stub'));
    expect(stub.score).toBe(0);
    for (const t of stub.exercises[0]!.tests) expect(t.feedback).toMatch(/^not implemented: (add|meanSquare|sumAsync)$/);
  }, 120_000);

  const bugs = findPlantedBugs(TARGETS, '00-toy');
  it('finds the planted runner-level bugs', () => {
    expect(bugs.map((b) => b.slug).sort()).toEqual(expect.arrayContaining(['crash', 'exit', 'hang', 'oom', 'tamper-expect', 'tamper-extend', 'tamper-tf', 'unhandled']));
  });

  for (const bug of bugs) {
    it(`planted bug "${bug.slug}" loses exactly its tests: ${bug.description}`, async () => {
      const report = await toy(bug.dir);
      const tests = report.exercises[0]!.tests;
      const failed = tests.filter((t) => t.status === 'failed').map((t) => t.name).sort();
      expect(failed).toEqual([...bug.mustFail].sort());
      for (const t of tests.filter((t) => t.status === 'failed')) expect(t.feedback).not.toMatch(/\n|    at /);
      // a cheat caught while the submission loads is reported once, as the exercise's load error
      const why = [...tests.filter((t) => t.status === 'failed').map((t) => t.feedback), report.exercises[0]!.loadError ?? ''].join('\n');
      const expected: Record<string, RegExp> = {
        hang: /timed out after 5 s/,
        crash: /crashed/,
        oom: /ran out of memory/,
        exit: /process\.exit/,
        unhandled: /unhandled promise rejection/,
        'tamper-expect': /tampering detected/,
        'tamper-extend': /tampering detected/,
        'tamper-tf': /tampering detected.*dataSync/,
      };
      if (expected[bug.slug]) expect(why).toMatch(expected[bug.slug]!);
    }, 180_000);
  }

  it('gives the same score for the same submission and seed', async () => {
    const a = await toy(path.join(TARGETS, 'tamper-extend'));
    const b = await toy(path.join(TARGETS, 'tamper-extend'));
    expect(a.score).toBe(b.score);
    expect(a.exercises[0]!.tests.map((t) => t.status)).toEqual(b.exercises[0]!.tests.map((t) => t.status));
  }, 120_000);

  it('refuses a test that has no points in the rubric, naming it', async () => {
    // test files must live inside the project (module resolution): a scratch tests dir in the fixture
    const dir = fs.mkdtempSync(path.join(TOY, '.rubric-'));
    try {
      const tests = path.join(TOY, 'tests');
      const rubric = JSON.parse(fs.readFileSync(path.join(tests, '00-toy.rubric.json'), 'utf8')) as { tests: { name: string }[] };
      rubric.tests = rubric.tests.filter((t) => t.name !== 'task 1 > add adds');
      fs.copyFileSync(path.join(tests, '00-toy.test.ts'), path.join(dir, '00-toy.test.ts'));
      fs.writeFileSync(path.join(dir, '00-toy.rubric.json'), JSON.stringify(rubric));
      await expect(toy(path.join(TARGETS, 'good'), { testsDir: dir })).rejects.toThrow(/"task 1 > add adds" ran but has no points in the rubric/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('grades hidden tests as after_published and batch-grades a folder of submissions into grades.csv', async () => {
    const subs = fs.mkdtempSync(path.join(os.tmpdir(), 'subs-'));
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'grades-'));
    try {
      materializeFixture(path.join(TARGETS, 'good'), '00-toy', path.join(subs, 'alice'), PROJECT_ROOT);
      fs.mkdirSync(path.join(subs, 'bob', '00-toy'), { recursive: true });
      fs.writeFileSync(path.join(subs, 'bob', '00-toy', 'index.ts'), 'export function add(a: number, b: number) { return a + ; }\n');
      fs.mkdirSync(path.join(subs, 'carol')); // handed in nothing
      // the good fixture imports nothing relative, so the copy works from anywhere
      const hidden = fs.mkdtempSync(path.join(os.tmpdir(), 'hidden-'));
      fs.writeFileSync(
        path.join(hidden, '00-secret.test.ts'),
        "import { expect, test } from 'vitest';\nimport { add } from '@target/00-toy/index.js';\ntest('add is commutative', () => { expect(add(2, 9)).toBe(add(9, 2)); expect(add(2, 9)).toBe(11); });\n",
      );
      fs.writeFileSync(path.join(hidden, '00-secret.rubric.json'), JSON.stringify({ exercise: '00-toy', tests: [{ name: 'add is commutative', points: 3, feedback: 'add(a, b) must equal add(b, a)' }] }));
      const { rows, csv } = await gradeSubmissions(subs, out, { testsDir: path.join(TOY, 'tests'), hiddenDir: hidden, seed: 7, log: quiet, runner: { idleTimeoutS: 90 } });
      fs.rmSync(hidden, { recursive: true, force: true });
      expect(rows.map((r) => [r.student, r.total])).toEqual([['alice', 10], ['bob', 0], ['carol', 0]]);
      // per task (the hidden test has no task: "other"), then the exercise, then the total
      expect(csv.split('\n')[0]).toBe('student,00-toy task 1,00-toy task 2,00-toy task 3,00-toy other,00-toy,total,needs review');
      expect(fs.readFileSync(path.join(out, 'grades.csv'), 'utf8')).toContain('alice,2,2,3,3,10,10,0\nbob,0,0,0,0,0,0,0\n');
      const json = JSON.parse(fs.readFileSync(path.join(out, 'grades.json'), 'utf8')) as { max_total: number; students: { student: string; total: number }[] };
      expect(json.max_total).toBe(10);
      expect(json.students.map((s) => [s.student, s.total])).toEqual([['alice', 10], ['bob', 0], ['carol', 0]]);
      const alice = JSON.parse(fs.readFileSync(path.join(out, 'alice', 'results.json'), 'utf8')) as { tests: { name: string; visibility: string; score: number }[] };
      expect(alice.tests.map((t) => t.visibility)).toEqual(['visible', 'visible', 'visible', 'visible', 'after_published']);
      expect(alice.tests[4]!.score).toBe(3);
      const bob = JSON.parse(fs.readFileSync(path.join(out, 'bob', 'results.json'), 'utf8')) as { tests: { output: string }[] };
      expect(bob.tests[0]!.output).toMatch(/did not run: the test file failed to load/);
      const carol = JSON.parse(fs.readFileSync(path.join(out, 'carol', 'results.json'), 'utf8')) as { tests: { output: string }[] };
      expect(carol.tests[0]!.output).toMatch(/has no 00-toy\//);
    } finally {
      fs.rmSync(subs, { recursive: true, force: true });
      fs.rmSync(out, { recursive: true, force: true });
    }
  }, 180_000);
});
