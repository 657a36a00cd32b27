/**
 * The by-hand policy (lib/grader/policy.ts, test/support/by-hand.ts): every exercise's rubric has
 * a policy for every task, naming functions the reference exports, quoted in the README; the
 * runtime guard sees a forbidden API at each level (op scope, kernel, tape, optimiser,
 * initialiser, layer), names the student's line, survives a try/catch, lets allowed calls and
 * other tests through, and leaves tfjs exactly as it found it.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, test } from 'vitest';
import { CourseError } from '../../lib/errors.js';
import { parseByHandPolicy, policyLine, type TaskPolicy } from '../../lib/grader/policy.js';
import { loadRubric } from '../../lib/grader/rubric.js';
import { ByHandViolation, byHand, loadByHandPolicy, runByHand } from '../support/by-hand.js';
import { dropoutShortcut } from '../fixtures/by-hand/06-regularisation-lab/index.js';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const EXERCISES = fs.readdirSync(path.join(ROOT, 'exercises')).filter((d) => /^\d\d-/.test(d)).sort();

describe('every exercise states a policy for every task', () => {
  for (const ex of EXERCISES) {
    test(`${ex}: rubric policy covers every task, names exported functions, README quotes it`, async () => {
      const rubricUrl = new URL(`../${ex}.rubric.json`, import.meta.url);
      const policy = loadByHandPolicy(rubricUrl);
      const tasks = new Set(loadRubric(rubricUrl.pathname).tests.map((t) => String(t.task)).filter((t) => t !== 'undefined'));
      expect(Object.keys(policy).sort()).toEqual([...tasks].sort());
      const solution = (await import(path.join(ROOT, 'solutions', ex, 'index.ts'))) as Record<string, unknown>;
      const readme = fs.readFileSync(path.join(ROOT, 'exercises', ex, 'README.md'), 'utf8');
      for (const [task, p] of Object.entries(policy)) {
        for (const f of p.functions) expect(typeof solution[f], `${ex} task ${task}: ${f} is not an exported function`).toBe('function');
        expect(readme, `${ex} README lacks the policy line of task ${task}`).toContain(policyLine(task, p));
      }
    });
  }
});

const DROPOUT: TaskPolicy = { lesson: 'write dropout yourself', functions: ['dropout'], forbids: ['tf.dropout', 'tf.layers.*'], allows: ['tf.randomUniform'] };
const guarded = <T>(policy: TaskPolicy, fn: () => T): T => runByHand('06-regularisation-lab', '2', policy, fn);
const only = (forbids: string[]): TaskPolicy => ({ ...DROPOUT, forbids });

describe('runByHand sees each kind of forbidden API while the call runs', () => {
  test('an op (its scope) names the call and the student line', () => {
    const x = tf.ones([4, 4]);
    expect(() => guarded(DROPOUT, () => dropoutShortcut(x))).toThrow(/^task 2 asks you to write dropout yourself: tf\.dropout was called at index\.ts:7$/);
    x.dispose();
  });

  test('a kernel run directly through the engine (no op scope)', () => {
    const x = tf.tensor1d([0, 1]);
    expect(() => guarded(only(['tf.sigmoid']), () => tf.engine().runKernel('Sigmoid', { x }))).toThrow(/tf\.sigmoid \(its kernel Sigmoid\)/);
    x.dispose();
  });

  test('autodiff: tf.grad, tf.variableGrads, optimizer.minimize, and a gradients() captured beforehand', () => {
    const v = tf.variable(tf.scalar(2));
    const p = only(['autodiff']);
    expect(() => guarded(p, () => tf.grad((a: tf.Tensor) => a.square())(tf.scalar(3)))).toThrow(/tf\.grad \/ tf\.grads \(autodiff\)/);
    expect(() => guarded(p, () => tf.variableGrads(() => v.square().asScalar()))).toThrow(/tf\.variableGrads/);
    expect(() => guarded(p, () => tf.train.sgd(0.1).minimize(() => v.square().asScalar()))).toThrow(/optimizer\.minimize/);
    const engine = tf.engine() as unknown as { gradients: (f: () => tf.Tensor, xs: tf.Tensor[]) => unknown };
    const captured = Object.getPrototypeOf(engine).gradients as typeof engine.gradients;
    expect(() => guarded(p, () => captured.call(engine, () => v.square(), [v]))).toThrow(/a registered gradient was run/);
    v.dispose();
  });

  test("an optimiser's update, an initialiser, a layer", () => {
    const v = tf.variable(tf.scalar(2));
    expect(() => guarded(only(['tf.train.*']), () => tf.train.adam(0.1).applyGradients([{ name: v.name, tensor: tf.scalar(1) }]))).toThrow(/tf\.train\.adam/);
    expect(() => guarded(only(['tf.initializers.glorotUniform']), () => tf.initializers.glorotUniform({ seed: 1 }).apply([3, 3]))).toThrow(/tf\.initializers\.glorotUniform/);
    expect(() => guarded(only(['tf.layers.*']), () => tf.layers.dense({ units: 2 }).apply(tf.ones([1, 3])))).toThrow(/tf\.layers\.dense/);
    v.dispose();
  });

  test('a try/catch in the student code does not hide the call', () => {
    expect(() =>
      guarded(DROPOUT, () => {
        try {
          tf.dropout(tf.ones([2]), 0.5);
        } catch {
          // swallowed
        }
        return 1;
      }),
    ).toThrow(ByHandViolation);
  });

  test('allowed calls pass: other ops, a non-forbidden initialiser, the same API under another policy', () => {
    const r = guarded(DROPOUT, () => tf.tidy(() => tf.randomUniform([3], 0, 1, 'float32', 1).greaterEqual(0.5).sum().dataSync()[0]!));
    expect(r).toBeGreaterThanOrEqual(0);
    const w = guarded(only(['tf.initializers.glorotUniform']), () => tf.initializers.randomUniform({ minval: -1, maxval: 1, seed: 1 }).apply([2, 2]));
    expect(w.shape).toEqual([2, 2]);
    w.dispose();
    const d = guarded(only(['autodiff']), () => tf.dropout(tf.ones([4]), 0.5, undefined, 1));
    expect(d.shape).toEqual([4]);
    d.dispose();
  });

  test('tfjs is restored exactly afterwards (even after a violation), and autodiff works again', () => {
    const engine = tf.engine() as unknown as Record<string, unknown>;
    const proto = Object.getPrototypeOf(engine) as Record<string, unknown>;
    const before = ['startScope', 'runKernel', 'gradients'].map((k) => [Object.getOwnPropertyDescriptor(engine, k), proto[k]]);
    const applyBefore = tf.AdamOptimizer.prototype.applyGradients;
    const all = only(['autodiff', 'tf.dropout', 'tf.sigmoid', 'tf.train.*', 'tf.initializers.*', 'tf.layers.*']);
    expect(() => guarded(all, () => tf.grad((a: tf.Tensor) => a.square())(tf.scalar(3)))).toThrow(ByHandViolation);
    expect(['startScope', 'runKernel', 'gradients'].map((k) => [Object.getOwnPropertyDescriptor(engine, k), proto[k]])).toEqual(before);
    expect(tf.AdamOptimizer.prototype.applyGradients).toBe(applyBefore);
    const g = tf.grad((a: tf.Tensor) => a.square())(tf.scalar(3));
    expect(g.dataSync()[0]).toBeCloseTo(6, 5);
    g.dispose();
  });
});

// byHand() reads the task from the running test's name ("task 2: …"), as in the graded files.
const M = byHand({ dropoutShortcut }, '06-regularisation-lab', { '2': { ...DROPOUT, functions: ['dropoutShortcut'] } });

describe('task 2: byHand(module) guards a function in its own task\'s tests', () => {
  test('a shortcut in a test of task 2 fails', () => {
    const x = tf.ones([2]);
    expect(() => M.dropoutShortcut(x)).toThrow(/task 2 asks you to write dropout yourself: tf\.dropout was called at index\.ts:7/);
    x.dispose();
  });
});

describe('task 3: byHand(module) in another task\'s tests', () => {
  test('the same call runs unguarded (the function used as a building block)', () => {
    const x = tf.ones([2]);
    const y = M.dropoutShortcut(x);
    expect(y.shape).toEqual([2]);
    tf.dispose([x, y]);
  });
});

describe('policies are checked', () => {
  test.each([
    ['not an object', []],
    ['a task key that is not a number', { one: { ...DROPOUT } }],
    ['no lesson', { '1': { ...DROPOUT, lesson: '' } }],
    ['an API the grader cannot detect', { '1': { ...DROPOUT, forbids: ['tf.Dropout!'] } }],
    ['nothing allowed', { '1': { ...DROPOUT, allows: [] } }],
  ])('%s → CourseError', (_what, raw) => {
    expect(() => parseByHandPolicy('x.rubric.json', raw)).toThrow(CourseError);
  });

  test('an op tfjs does not have is refused when the tests load the policy', () => {
    const dir = fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', 'by-hand-'));
    const file = path.join(dir, 'r.rubric.json');
    fs.writeFileSync(file, JSON.stringify({ byHand: { '1': { ...DROPOUT, forbids: ['tf.dropOut'] } }, tests: [] }));
    expect(() => loadByHandPolicy(new URL(`file://${file}`))).toThrow(/tfjs does not have/);
    fs.writeFileSync(file, JSON.stringify({ byHand: { '1': { ...DROPOUT, functions: [] , lesson: 3 } }, tests: [{ name: 'a', points: 1, feedback: 'f' }] }));
    expect(() => loadRubric(file)).toThrow(CourseError);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
