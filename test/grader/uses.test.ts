/**
 * The rubric's `functions` / `uses` match what the tests call (lib/grader/uses.ts): each
 * exercise's test file runs on the reference with its exports wrapped in a recording Proxy, and
 * every test's declaration must equal the recording. A drifted declaration (a test that starts
 * calling a helper, a renamed function) fails here with the line to change, and
 * `npx tsx scripts/record-uses.ts <exercise> --write` fixes it.
 * Recording runs a whole test file: 01 by default, every exercise with COURSE_SLOW_TESTS=1.
 */
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { listExercises } from '../../lib/grader/grade.js';
import { PROJECT_ROOT } from '../../lib/grader/paths.js';
import { loadRubric } from '../../lib/grader/rubric.js';
import { compareDeclarations, deriveDeclarations, parseRecording, recordUses, referenceCallGraph, studentFunctions, writeDeclarations } from '../../lib/grader/uses.js';

const SLOW = process.env.COURSE_SLOW_TESTS === '1';
const line = (o: object) => JSON.stringify(o);

describe('recording which functions a test calls', () => {
  test('calls in a test count for it; calls in a hook count for every test of the suite that starts next', () => {
    const rec = parseRecording([
      line({ call: 'loadData', test: null }), // file-level beforeAll
      line({ start: 'task 1 > a' }),
      line({ call: 'f', test: 'task 1 > a' }),
      line({ start: 'task 1 > b' }),
      line({ call: 'train', test: null }), // task 2's beforeAll
      line({ start: 'task 2 > c' }),
      line({ call: 'g', test: 'task 2 > c' }),
      line({ start: 'task 2 > d' }),
    ]);
    expect(Object.fromEntries([...rec].map(([k, v]) => [k, [...v].sort()]))).toEqual({
      'task 1 > a': ['f', 'loadData'],
      'task 1 > b': ['loadData'],
      'task 2 > c': ['g', 'train'],
      'task 2 > d': ['train'],
    });
  });

  test('derive: own task → functions; other tasks and what the reference calls → uses; a drift is reported and rewritten', () => {
    const tests = [
      { name: 'a', task: 1, points: 1, feedback: 'x' },
      { name: 'b', task: 2, points: 1, feedback: 'x' },
      { name: 'c', task: 2, points: 1, feedback: 'x' },
    ];
    const calls = new Map([
      ['a', new Set(['loss', 'notStudent'])],
      ['b', new Set(['trainStep'])],
      ['c', new Set(['trainStep', 'loss'])],
    ]);
    const student = new Set(['loss', 'trainStep', 'clip']);
    const graph = new Map([['trainStep', new Set(['loss', 'clip'])]]);
    const d = deriveDeclarations(tests, calls, student, graph);
    // clip is reached but no test calls it itself: nothing to point at
    expect(Object.fromEntries(d)).toEqual({ a: { functions: ['loss'], uses: [] }, b: { functions: ['trainStep'], uses: ['loss'] }, c: { functions: ['trainStep'], uses: ['loss'] } });
    // the planted drift: b declares nothing, c forgot its use
    const rubric = [
      { ...tests[0]!, functions: ['loss'] },
      { ...tests[1]! },
      { ...tests[2]!, functions: ['trainStep'] },
    ];
    expect(compareDeclarations(rubric, d)).toEqual([
      '"b": rubric says functions [], uses []; the test calls functions ["trainStep"], uses ["loss"]',
      '"c": rubric says functions ["trainStep"], uses []; the test calls functions ["trainStep"], uses ["loss"]',
    ]);
    const text = JSON.stringify({ exercise: 'x', tests: rubric }, null, 2);
    const rewritten = JSON.parse(writeDeclarations(text, d)) as { tests: typeof rubric };
    expect(compareDeclarations(rewritten.tests, d)).toEqual([]);
    expect(writeDeclarations(writeDeclarations(text, d), d)).toBe(writeDeclarations(text, d)); // idempotent
  });

  test('a test that calls nothing itself inherits the calls of its suite\'s previous test (a cached result, 02\'s runSmall)', () => {
    const tests = [
      { name: 'task 2 > x > first', task: 2 },
      { name: 'task 2 > x > reads the cache', task: 2 },
      { name: 'task 2 > y > alone', task: 2 },
    ];
    const calls = new Map([['task 2 > x > first', new Set(['compareActivations'])]]);
    const d = deriveDeclarations(tests, calls, new Set(['compareActivations']));
    expect(d.get('task 2 > x > reads the cache')).toEqual({ functions: ['compareActivations'], uses: [] });
    expect(d.get('task 2 > y > alone')).toEqual({ functions: [], uses: [] });
  });

  test('student functions are the stubs; the reference call graph links trainStep to sequenceLoss (03)', () => {
    const student = studentFunctions('03-char-rnn');
    expect(student.has('trainStep') && student.has('sequenceLoss')).toBe(true);
    expect(student.has('loadText')).toBe(false);
    expect([...(referenceCallGraph('03-char-rnn', student).get('trainStep') ?? [])]).toContain('sequenceLoss');
  });

  test("the call graph goes through the reference's unexported helpers: 07's maxPool2d reaches convOutputSize via poolGeometry", () => {
    const student = studentFunctions('07-cnn');
    expect(student.has('poolGeometry')).toBe(false);
    const graph = referenceCallGraph('07-cnn', student);
    expect([...(graph.get('maxPool2d') ?? [])]).toContain('poolGeometry');
    expect([...(graph.get('poolGeometry') ?? [])]).toContain('convOutputSize');
    // so a pooling test (task 2) uses convOutputSize (task 1): "fix `convOutputSize` first"
    const tests = [
      { name: 'a > pool', task: 2 },
      { name: 'a > size', task: 1 },
    ];
    const d = deriveDeclarations(tests, new Map([['a > pool', new Set(['maxPool2d'])], ['a > size', new Set(['convOutputSize'])]]), student, graph);
    expect(d.get('a > pool')).toEqual({ functions: ['maxPool2d'], uses: ['convOutputSize'] });
  });
});

describe('every rubric declares what its tests call', () => {
  for (const exercise of listExercises().filter((e) => SLOW || e === '01-ffnn-from-scratch')) {
    test(`${exercise}: "functions"/"uses" equal a recording of the tests on the reference`, async () => {
      const tests = loadRubric(path.join(PROJECT_ROOT, 'test', `${exercise}.rubric.json`)).tests;
      const student = studentFunctions(exercise);
      const derived = deriveDeclarations(tests, await recordUses(exercise), student, referenceCallGraph(exercise, student));
      expect(compareDeclarations(tests, derived), `fix with: npx tsx scripts/record-uses.ts ${exercise} --write`).toEqual([]);
      // every test of a function-bearing task names what it checks or uses
      for (const t of tests) expect((t.functions ?? []).length + (t.uses ?? []).length, `"${t.name}" calls no student function`).toBeGreaterThan(0);
    }, 1_800_000);
  }
});
