/**
 * Levelled hints (lib/hints.ts, `course hint`) and the give-away figure (scripts/giveaway.ts):
 * every exercise's hints.md parses into 3 levels per graded task, every ```ts fragment
 * type-checks against the exercise's own exports, and no stub names more than 15 % of its
 * solution's tf.* calls.
 */
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnAsync } from '../support/spawn-async.js';
import { afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { ROOT, listExercises } from '../../lib/exercises.js';
import { LEVELS, hintFragments, lastProgress, loadHints, parseHints, renderHint, type HintFragment } from '../../lib/hints.js';
import { hintCommand } from '../../lib/cli/hint.js';
import { commentsOf, exerciseIds, measure, measureExercise, names, readmeLine, TARGET, tfCallsOf, withReadmeLine } from '../../scripts/giveaway.js';
import { formatErrors, typecheckFragments, type FragmentError } from '../support/hint-typecheck.js';

const exercises = listExercises();

const GOOD = `# Hints\n\nintro\n\n## Task 1 — First\n### Level 1\na\n### Level 2\nb\n\n\`\`\`ts given: x: number\nconst y = x + 1;\n\`\`\`\n### Level 3\nc\n## Task 2 — Second\n### Level 1\nd\n### Level 2\ne\n### Level 3\nf\n`;

describe('hints.md format', () => {
  test('parses tasks, titles, levels and fenced fragments with their given variables', () => {
    const tasks = parseHints(GOOD);
    expect(tasks.map((t) => [t.task, t.title, t.levels.length])).toEqual([[1, 'First', 3], [2, 'Second', 3]]);
    expect(tasks[0]!.levels[0]).toBe('a');
    expect(hintFragments(tasks)).toEqual([{ task: 1, level: 2, code: 'const y = x + 1;\n', given: 'x: number' }]);
    expect(renderHint(tasks[0]!.levels[1]!)).toMatch(/```ts\n\/\/ given: x: number\nconst y/);
  });

  test('a missing level, a skipped task number or an empty level is a CourseError naming the line', () => {
    expect(() => parseHints(GOOD.replace('### Level 2\nb', 'b'))).toThrow(/Level 3" after level 1 of task 1/);
    expect(() => parseHints(GOOD.replace('## Task 2', '## Task 3'))).toThrow(/hints.md:\d+: "## Task 3" comes after task 1/);
    expect(() => parseHints(GOOD.replace('\nf\n', '\n'))).toThrow(/task 2 has 2 non-empty levels/);
    expect(() => parseHints('# nothing')).toThrow(/no "## Task N — title" sections/);
  });
});

describe.each(exercises.map((e) => [e.id, e] as const))('%s hints', (id, ex) => {
  test(`${LEVELS} levels for every graded task, titles as in the README`, () => {
    const tasks = loadHints(ex.exerciseDir);
    const rubric = JSON.parse(readFileSync(path.join(ROOT, 'test', `${id}.rubric.json`), 'utf8')) as { tests: { task?: number }[] };
    const graded = new Set(rubric.tests.map((t) => t.task).filter((t): t is number => t !== undefined));
    expect(tasks.map((t) => t.task)).toEqual([...graded].sort((a, b) => a - b));
    for (const t of tasks) expect(t.levels).toHaveLength(LEVELS);
  });
});

describe('hint code fragments type-check against the exercise types', () => {
  let errors: FragmentError[] = [];
  let fragments: Map<string, HintFragment[]>;
  beforeAll(() => {
    fragments = new Map(exercises.map((e) => [e.id, hintFragments(loadHints(e.exerciseDir))]));
    // the planted fragment: 03's old hint 4, which treated the gradient map as an array
    fragments.get('03-char-rnn')?.push({ task: 99, level: 1, code: 'const n = tf.addN(grads.map((g) => tf.sum(tf.square(g))));\n', given: 'grads: tf.NamedTensorMap' });
    errors = typecheckFragments(fragments);
  }, 120_000);

  test('every exercise has fragments to check', () => {
    for (const e of exercises) expect(fragments.get(e.id)!.length, e.id).toBeGreaterThan(0);
  });
  test('the planted broken fragment is caught, at its own line', () => {
    const planted = errors.filter((e) => e.task === 99);
    expect(planted.map((e) => e.message).join('\n')).toMatch(/not callable|Property 'map' does not exist/);
    expect(planted[0]!.line).toBe(1);
  });
  test('every real fragment compiles', () => {
    expect(formatErrors(errors.filter((e) => e.task !== 99))).toBe('');
  });
});

describe('course hint', () => {
  const logs: string[] = [];
  afterEach(() => {
    vi.restoreAllMocks();
    logs.length = 0;
  });
  const run = async (argv: string[], gradeDir: string) => {
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void logs.push(a.join(' ')));
    const code = await hintCommand(argv, gradeDir);
    return { code, out: logs.join('\n') };
  };
  const empty = () => mkdtempSync(path.join(os.tmpdir(), 'hint-grade-'));

  test('<ex> <task> [level] prints that level and the next command; bad numbers are errors', async () => {
    const one = await run(['03-char-rnn', '3'], empty());
    expect(one.out).toMatch(/task 3 — Training · level 1 of 3/);
    expect(one.out).toMatch(/course hint 03-char-rnn 3 2/);
    const three = await run(['03', '3', '3'], empty());
    expect(three.out).toMatch(/level 3 of 3/);
    expect(three.out).toMatch(/\/\/ given: grads: tf.NamedTensorMap/);
    await expect(run(['03-char-rnn', '3', '4'], empty())).rejects.toThrow(/hint level "4" does not exist/);
    await expect(run(['03-char-rnn', '9'], empty())).rejects.toThrow(/task "9" does not exist/);
  });

  test('<ex> alone lists the tasks and says to grade first when there are no results', async () => {
    const r = await run(['03-char-rnn'], empty());
    expect(r.out).toMatch(/task 1 {2}Vocabulary and windows/);
    expect(r.out).toMatch(/run `course grade --only 03-char-rnn` first/);
  });

  test('<ex> alone points at the first failing task of the newest results.json', async () => {
    const dir = empty();
    const t = (task: number, status: string, score: number) => ({ score, max_score: 2, status, tags: ['03-char-rnn', `task ${task}`] });
    mkdirSync(path.join(dir, 'exercises'));
    writeFileSync(path.join(dir, 'exercises', 'results.json'), JSON.stringify({ tests: [t(1, 'passed', 2), t(2, 'passed', 2), t(3, 'failed', 0), t(4, 'failed', 0)] }));
    const r = await run(['03-char-rnn'], dir);
    expect(r.out).toMatch(/task 3 {2}Training +0\/2 points, 1 of 1 tests failing {2}← you are here/);
    expect(r.out).toMatch(/next: course hint 03-char-rnn 3/);
    expect(lastProgress('04-dcgan', dir)).toBeUndefined();
  });

  test('the real CLI prints a hint and exits 0', async () => {
    const r = await spawnAsync(process.execPath, [path.join(ROOT, 'bin', 'course.mjs'), 'hint', '03-char-rnn', '1'], { cwd: ROOT, env: { ...process.env, COURSE_QUIET_BACKEND: '1' }, timeout: 60_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/### |Level|A vocabulary/);
  }, 60_000);
});

describe('give-away figure', () => {
  test('counts distinct tf.* calls and the ones comments name, on a tiny input', () => {
    const solution = 'import * as tf from "x";\nconst a = tf.tidy(() => tf.layers.dense({ units: 1 }));\ntf.mean(a); tf.mean(a); tf.logSoftmax(a); x.mean(); tf.train.adam(0.1);';
    expect([...tfCallsOf(solution)].sort()).toEqual(['layers.dense', 'logSoftmax', 'mean', 'tidy', 'train.adam']);
    const stub = '// the mean over the batch; a dense layer; use logSoftmax\n/* then train.adam */\nconst s = "tf.tidy(";';
    expect(commentsOf(stub)).toHaveLength(2);
    const g = measure('x', [stub], [solution]);
    expect(g.named).toEqual(['logSoftmax', 'train.adam']); // 'mean' and 'dense' as words, and code outside comments, do not count
    expect(g.share).toBeCloseTo(2 / 5);
    expect(names('// tf.mean of it', 'mean')).toBe(true);
    expect(names('// x.mean', 'mean')).toBe(true);
    expect(names('// mean(x)', 'mean')).toBe(true);
    expect(names('// meaning', 'mean')).toBe(false);
  });

  test('the README line is inserted under the title once and then replaced', () => {
    const g = { exercise: '09-x', calls: ['a', 'b'], named: ['a'], share: 0.5 };
    const once = withReadmeLine('# Title\n\nBody\n', readmeLine(g));
    expect(once).toBe(`# Title\n\n${readmeLine(g)}\n\nBody\n`);
    expect(withReadmeLine(once, readmeLine({ ...g, named: [], share: 0 }))).toMatch(/name 0 of the 2 .*\(0 %/);
  });

  test.each(exerciseIds())(`%s: the stub names at most ${TARGET * 100} % of the solution's tf.* calls and its README says so`, (id) => {
    const g = measureExercise(id);
    expect(g.calls.length).toBeGreaterThan(0);
    expect(g.share, `named: ${g.named.join(', ')}`).toBeLessThanOrEqual(TARGET);
    const readme = readFileSync(path.join(ROOT, 'exercises', id, 'README.md'), 'utf8');
    expect(readme.includes(readmeLine(g)), 'npm run giveaway -- --write').toBe(true);
  });
});
