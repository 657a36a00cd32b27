import { describe, expect, test, vi } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EXERCISES_DIR, REPORTS_DIR } from '../../lib/exercises.js';
import { buildProgram, runCli } from '../../lib/cli/program.js';
import { gradeOptions, gradesOnWarmChecker } from '../../lib/cli/grade.js';
import { countTodos } from '../../lib/cli/list.js';
import { defaultRunDir } from '../../lib/cli/train.js';
import { lastGrades, targetName, writeHistory } from '../../lib/grader/history.js';
import { formatTable } from '../../lib/grader/report.js';
import { namePattern, selector } from '../../lib/grader/select.js';
import type { GradeReport } from '../../lib/grader/types.js';

async function captured(argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const w = (s: string | Uint8Array) => ((out += String(s)), true);
  const so = vi.spyOn(process.stdout, 'write').mockImplementation(w);
  const se = vi.spyOn(process.stderr, 'write').mockImplementation(w);
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void (out += `${a.join(' ')}\n`));
  const err = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void (out += `${a.join(' ')}\n`));
  try {
    return { code: await runCli(argv), out };
  } finally {
    [so, se, log, err].forEach((s) => s.mockRestore());
  }
}

describe('course CLI conventions (commander)', () => {
  const names = buildProgram(async () => {}).commands.map((c) => c.name());

  test('every command answers --help (exit 0, its own usage and flags) and `course help <cmd>` says the same', async () => {
    expect(names).toEqual(expect.arrayContaining(['list', 'train', 'grade', 'watch', 'hint', 'plot', 'doctor', 'start']));
    for (const name of names) {
      const r = await captured([name, '--help']);
      expect(r.code, name).toBe(0);
      expect(r.out, name).toMatch(new RegExp(`Usage: course ${name}`));
      expect(r.out, name).not.toMatch(/unknown flag/);
      const viaHelp = await captured(['help', name]);
      expect(viaHelp.code).toBe(0);
      expect(viaHelp.out).toBe(r.out);
    }
    const grade = await captured(['grade', '--help']);
    for (const flag of ['--task', '--test', '--only', '--target', '--out']) expect(grade.out).toContain(flag);
    const top = await captured(['help']);
    expect(top.code).toBe(0);
    for (const name of names) expect(top.out).toContain(name);
  });

  test('usage errors exit 2 with the valid choices, never a stack trace', async () => {
    const flag = await captured(['grade', '--tsk', '1']);
    expect(flag.code).toBe(2);
    expect(flag.out).toMatch(/unknown flag --tsk for `course grade`[\s\S]*--task/);
    const num = await captured(['grade', '--task', 'two']);
    expect(num.code).toBe(2);
    expect(num.out).toMatch(/--task must be a number, got "two"/);
    const missing = await captured(['watch']);
    expect(missing.code).toBe(2);
    expect(missing.out).toMatch(/`course watch` needs <exercise>/);
    const extra = await captured(['list', 'extra']);
    expect(extra.code).toBe(2);
    expect(extra.out).toMatch(/too many arguments/);
    for (const r of [flag, num, missing, extra]) expect(r.out).not.toMatch(/\n\s+at /);
  });
});

describe('course list', () => {
  test('counts NotImplemented in every file of an exercise, not only index.ts', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'list-'));
    mkdirSync(path.join(dir, 'sub'));
    writeFileSync(path.join(dir, 'index.ts'), 'export * from "./a.js";\n');
    writeFileSync(path.join(dir, 'a.ts'), 'throw new NotImplemented("f");\nthrow new NotImplemented("g");\n');
    writeFileSync(path.join(dir, 'sub', 'b.ts'), 'throw new NotImplemented("h");\n');
    const c = countTodos(dir);
    expect(c.total).toBe(3);
    expect(c.files).toEqual([{ file: 'a.ts', count: 2 }, { file: path.join('sub', 'b.ts'), count: 1 }]);
    // the fresh 02 stub keeps its TODOs outside index.ts
    expect(countTodos(path.join(EXERCISES_DIR, '02-activations')).total).toBeGreaterThan(countTodos(path.join(EXERCISES_DIR, '02-activations')).files.find((f) => f.file === 'index.ts')?.count ?? 0);
  });

  test('the last grade of each exercise comes from the history; narrowed grades do not count', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hist-'));
    const report = (score: number, narrowed?: string): GradeReport => ({
      target: '/x', seed: 1, score, maxScore: 10, seconds: 1, narrowed,
      exercises: [{ exercise: '01-a', score, maxScore: 10, tests: [], seconds: 1, notes: [] }],
    });
    writeHistory(report(3), dir, new Date('2026-01-01T00:00:00Z'));
    writeHistory(report(7), dir, new Date('2026-01-02T00:00:00Z'));
    writeHistory(report(1, 'task 1'), dir, new Date('2026-01-03T00:00:00Z'));
    expect(lastGrades(dir).get('01-a')).toMatchObject({ score: 7, maxScore: 10 });
  });
});

describe('grade reports and runs keep their own folders', () => {
  test('one folder per target: two copies with the same folder name do not share one', () => {
    expect(targetName(EXERCISES_DIR)).toBe('exercises');
    const a = targetName('/tmp/alice/exercises');
    const b = targetName('/tmp/bob/exercises');
    expect(a).toMatch(/^exercises-/);
    expect(a).not.toBe(b);
  });

  test('--quick writes to its own folder, so the full run and its checkpoint survive', () => {
    expect(defaultRunDir('03-char-rnn', false)).toBe(path.join(REPORTS_DIR, '03-char-rnn'));
    expect(defaultRunDir('03-char-rnn', true)).toBe(path.join(REPORTS_DIR, '03-char-rnn-quick'));
  });

  test('the table shows full test names, wrapped; two names sharing 60 characters stay distinct', () => {
    const common = 'task 1: vocabulary and windows > splitWindows splits by position';
    const t = (name: string, feedback: string) => ({ exercise: '03', name, task: 1, points: 0, maxPoints: 3, status: 'failed' as const, feedback, hidden: false });
    const report: GradeReport = {
      target: '/x', seed: 1, score: 0, maxScore: 6, seconds: 1,
      exercises: [{ exercise: '03', score: 0, maxScore: 6, seconds: 1, notes: [], tests: [t(`${common}: no overlap`, 'a '.repeat(100)), t(`${common}: seeded`, 'b')] }],
    };
    const text = formatTable(report, { width: 100 });
    const flat = text.replace(/\s+/g, ' ');
    for (const word of ['overlap', 'seeded']) expect(flat).toContain(word);
    expect(Math.max(...text.split('\n').map((l) => l.length))).toBeLessThanOrEqual(100);
  });
});

describe('narrowing a grade (--task, --test)', () => {
  const specs = [
    { name: 'task 1: windows > makeWindows slides', task: 1 },
    { name: 'task 1: windows > splitWindows splits', task: 1 },
    { name: 'task 3: training > trainStep (a+b)', task: 3 },
  ];
  test('by task, by substring and by /regex/', () => {
    expect(specs.filter(selector({ tasks: [1] })!).length).toBe(2);
    expect(specs.filter(selector({ test: 'SPLITwindows' })!).map((s) => s.task)).toEqual([1]);
    expect(specs.filter(selector({ test: '/^task 3/' })!).length).toBe(1);
    expect(specs.filter(selector({ tasks: [1], test: 'make' })!).length).toBe(1);
    expect(selector({})).toBeUndefined();
  });

  test('--task alone on this project\'s exercises/ or solutions/ is checked on the warm checker; --sandbox, --test, --hidden, --submissions, another target and whole exercises stay sandboxed', () => {
    const warm = (flags: Parameters<typeof gradeOptions>[0]) => gradesOnWarmChecker(gradeOptions(flags));
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'cli-warm-'));
    expect(warm({ only: ['01'], task: [2] })).toBe(true);
    expect(warm({ task: [1, 2] })).toBe(true);
    expect(warm({ only: ['01'] })).toBe(false);
    expect(warm({ only: ['01'], task: [2], sandbox: true })).toBe(false);
    expect(warm({ only: ['01'], task: [2], test: 'perceptron' })).toBe(false);
    expect(warm({ only: ['01'], task: [2], hidden: tmp })).toBe(false);
    expect(warm({ task: [2], submissions: tmp })).toBe(false);
    expect(warm({ target: 'solutions', task: [2] })).toBe(true);
    // someone else's copy (an instructor looking at one task of a submission): the sandbox
    expect(warm({ target: tmp, task: [2] })).toBe(false);
  });

  test('the vitest name pattern matches exactly the chosen tests (regex characters escaped)', () => {
    const rx = new RegExp(namePattern([specs[0]!.name, specs[2]!.name]));
    // vitest matches "<file> <describe> <test>"
    expect(rx.test('test/03.test.ts task 1: windows makeWindows slides')).toBe(true);
    expect(rx.test('test/03.test.ts task 3: training trainStep (a+b)')).toBe(true);
    expect(rx.test('test/03.test.ts task 1: windows splitWindows splits')).toBe(false);
    expect(rx.test('test/03.test.ts task 1: windows makeWindows slides too')).toBe(false);
    // a title with " > " of its own (04: "real counts logits > 0")
    const gt = new RegExp(namePattern(['task 5: quality > accuracy: real counts logits > 0, fake < 0']));
    expect(gt.test('test/04.test.ts task 5: quality accuracy: real counts logits > 0, fake < 0')).toBe(true);
    expect(gt.test('test/04.test.ts task 5: quality accuracy: real counts logits 0, fake < 0')).toBe(true);
  });
});
