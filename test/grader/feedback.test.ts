/**
 * Feedback that points at the right place (lib/grader/feedback.ts), on a tiny throwaway exercise
 * (test/fixtures/feedback): a crash names the submission's file:line and function, a broken
 * function another test uses is blamed first, a load error is reported once, and every failure
 * starts with what happened (threw / wrong value / not finite / returned a Promise / …) before the
 * rubric's hint.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { classify, cleanFunctionName, enclosingFunction, failureFeedback, parseStack, strayAsync, submissionFrame } from '../../lib/grader/feedback.js';
import { gradeTarget } from '../../lib/grader/grade.js';
import { loadRubric } from '../../lib/grader/rubric.js';
import { formatMarkdown, formatTable, toGradescope } from '../../lib/grader/report.js';
import { PROJECT_ROOT } from '../../lib/grader/runner.js';
import { findPlantedBugs } from '../support/grader-fixtures.js';

const TOY = path.join(PROJECT_ROOT, 'test/fixtures/feedback');
const TARGETS = path.join(TOY, 'targets');
const grade = (target: string) =>
  gradeTarget({ target, testsDir: path.join(TOY, 'tests'), seed: 7, log: () => {}, runner: { watchdogMarginS: 3, heapMb: 384, idleTimeoutS: 90 } });

describe('locating an error in the submission', () => {
  const stack = [
    "TypeError: Cannot read properties of undefined (reading 'map')",
    '    at Module.countParameters (/somewhere/.grade-123-01-ffnn-from-scratch/01-ffnn-from-scratch/index.ts:52:9)',
    '    at /work/test/01-ffnn-from-scratch.test.ts:231:17',
    '    at file:///work/node_modules/@vitest/runner/dist/chunk-hooks.js:155:11',
  ].join('\n');

  it('parses V8 frames and finds the first one inside <exercise>/, wherever the copy was staged', () => {
    expect(parseStack(stack)).toHaveLength(3);
    expect(submissionFrame(stack, '01-ffnn-from-scratch')).toMatchObject({ file: 'index.ts', line: 52, column: 9, fn: 'countParameters' });
    expect(submissionFrame(stack, '02-activations')).toBeUndefined();
    expect(submissionFrame('    at x (/a/02-activations/sub/activations.ts:3:1)', '02-activations')?.file).toBe('sub/activations.ts');
    expect(cleanFunctionName('Object.<anonymous>')).toBeUndefined();
    expect(cleanFunctionName('async Module.trainStep')).toBe('trainStep');
  });

  it('names the top-level function a line is in', () => {
    const src = ['import x from "y";', 'export function a() {', '  return [1].map((v) => {', '    throw new Error();', '  });', '}', '', 'export const b = async (q: number) => {', '  return q;', '};', 'const top = 1;'].join('\n');
    expect(enclosingFunction(src, 4)).toBe('a');
    expect(enclosingFunction(src, 9)).toBe('b');
    expect(enclosingFunction(src, 11)).toBeUndefined();
  });

  it('the rubric checks "functions"/"uses": names only, and a test cannot use what it checks itself', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rubric-'));
    const file = path.join(dir, 'r.json');
    const write = (t: object) => fs.writeFileSync(file, JSON.stringify({ exercise: 'x', tests: [{ name: 'a', points: 1, feedback: 'f', ...t }] }));
    write({ functions: ['makeWindows'], uses: ['splitWindows'] });
    expect(loadRubric(file).tests[0]).toMatchObject({ functions: ['makeWindows'], uses: ['splitWindows'] });
    write({ uses: 'makeWindows' });
    expect(() => loadRubric(file)).toThrow(/"uses" must be a list of function names/);
    write({ functions: ['f'], uses: ['f'] });
    expect(() => loadRubric(file)).toThrow(/both checks and uses "f"/);
  });
});

describe('classifying what happened', () => {
  const spec = { name: 't', points: 1, feedback: 'the rubric sentence', file: 'x', hidden: false, functions: ['adamStep'] };
  const failed = (e: { name?: string; message: string; stack?: string }, runnerReason?: string) => ({ state: 'failed' as const, errors: runnerReason ? [] : [e], ms: 1, ...(runnerReason ? { runnerReason } : {}) });

  it('an assertion is a wrong value, not finite or a leak by what it says; anything else threw', () => {
    expect(classify({ name: 'AssertionError', message: 'expected 0.5 to be close to 0.69, received difference is 0.19, but expected 0.000005' }).kind).toBe('wrong value');
    expect(classify({ name: 'AssertionError', message: 'loss: expected NaN to be close to 0.69' }).kind).toBe('not finite');
    expect(classify({ name: 'AssertionError', message: 'expected [ 1, -Infinity ] to deeply equal [ 1, 2 ]' }).kind).toBe('not finite');
    expect(classify({ name: 'AssertionError', message: 'leaked tensors: expected 4 to be +0' }).kind).toBe('leaked');
    expect(classify({ name: 'AssertionError', message: 'tensors leaked per call (float32[16,64] ×2, int32[16]): expected 3 to be +0 // Object.is equality' })).toEqual({ kind: 'leaked', detail: '3 tensor(s) per call (float32[16,64] ×2, int32[16])' });
    // where the leaked tensors were made and the op that first made a NaN: staged paths cut to the exercise folder
    expect(classify({ name: 'AssertionError', message: 'tensors leaked per call (float32[]; float32[] made at /tmp/g-1/00-deps/index.ts:3:5 in f): expected 1 to be +0' }, '00-deps')).toEqual({
      kind: 'leaked',
      detail: '1 tensor(s) per call (float32[]; float32[] made at index.ts:3:5 in f)',
    });
    expect(classify({ name: 'AssertionError', message: 'expected NaN to be close to 1 [first non-finite value: NaN from Log (output float32[3]) at /s/00-deps/index.ts:9:7 in g]' }, '00-deps')).toEqual({
      kind: 'not finite',
      detail: 'expected NaN to be close to 1; first NaN from Log (output float32[3]) at index.ts:9:7 in g',
    });
    // a NaN that made a later op throw is still reported as the NaN
    expect(classify({ name: 'Error', message: 'loss is NaN [first non-finite value: NaN from Sqrt (output float32[2]) at /s/00-deps/index.ts:4:1 in h]' }, '00-deps').kind).toBe('not finite');
    expect(classify({ name: 'TypeError', message: "Cannot read properties of undefined (reading 'dataSync')" })).toEqual({ kind: 'threw', detail: "TypeError: Cannot read properties of undefined (reading 'dataSync')" });
    expect(classify({ name: 'NotImplemented', message: 'not implemented: adamStep (fill in …)' })).toEqual({ kind: 'not implemented', detail: 'adamStep' });
  });

  it('the rubric sentence is a hint after what happened, never in its place', () => {
    expect(failureFeedback(spec, failed({ name: 'AssertionError', message: 'expected 5e-11 to be less than 1e-12' }))).toBe('wrong value: expected 5e-11 to be less than 1e-12 — hint: the rubric sentence');
    expect(failureFeedback(spec, failed({ message: '' }, 'timed out after 60 s (still running: an infinite loop or a very slow step?)'))).toMatch(/^timed out after 60 s .* — hint: the rubric sentence$/);
    expect(failureFeedback(spec, { state: 'failed', errors: [], ms: 1 })).toBe('failed (no error was reported) — hint: the rubric sentence');
  });

  it('a function declared async where the reference is not is named before the error it caused', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'async-'));
    const [mine, ref] = [path.join(root, 'mine'), path.join(root, 'ref')];
    fs.mkdirSync(mine);
    fs.mkdirSync(ref);
    fs.writeFileSync(path.join(ref, 'index.ts'), 'export function adamStep() {}\nexport async function trainEpoch() {}\nexport function other() {}\n');
    fs.writeFileSync(path.join(mine, 'index.ts'), 'export async function adamStep() {}\nexport async function trainEpoch() {}\nexport const other = async () => 1;\n');
    const ctx = { exercise: 'ex', submissionDir: mine, referenceDir: ref };
    expect(strayAsync(ctx)).toEqual(['adamStep', 'other']);
    const fb = failureFeedback(spec, failed({ name: 'TypeError', message: "Cannot read properties of undefined (reading 'dataSync')" }), ctx);
    expect(fb).toBe("returned a Promise: `adamStep` is declared async, so it returns a Promise where the test expects a value (then: TypeError: Cannot read properties of undefined (reading 'dataSync')) — hint: the rubric sentence");
    // a test that touches neither stray function is not blamed on them
    expect(failureFeedback({ ...spec, functions: ['trainEpoch'] }, failed({ name: 'AssertionError', message: 'expected 1 to be 2' }), ctx)).toMatch(/^wrong value:/);
    fs.rmSync(root, { recursive: true, force: true });
  });
});

describe('feedback on the planted submissions', () => {
  const bugs = findPlantedBugs(TARGETS, '00-deps');

  it('the good target gets full marks', async () => {
    const r = await grade(path.join(TARGETS, 'good'));
    expect(r.score).toBe(r.maxScore);
    expect(bugs.map((b) => b.slug).sort()).toEqual(['broken-dependency', 'crash-in-helper', 'leak-origin', 'nan-source', 'not-finite', 'stray-async']);
  }, 120_000);

  for (const bug of bugs) {
    it(`${bug.slug}: ${bug.description}`, async () => {
      const r = await grade(bug.dir);
      const tests = r.exercises[0]!.tests;
      expect(tests.filter((t) => t.status === 'failed').map((t) => t.name).sort()).toEqual([...bug.mustFail].sort());
      const fb = Object.fromEntries(tests.map((t) => [t.name, t.feedback]));
      const hint = (spec: string) => ` — hint: ${spec.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;
      const scaleFb = fb['task 1 > scale multiplies every value'];
      if (bug.slug === 'crash-in-helper') {
        expect(scaleFb).toMatch(new RegExp(`^threw TypeError: grads\\.map is not a function \\(at index\\.ts:14:\\d+, in scale\\)${hint('scale(xs, k) multiplies every value by k')}`));
      } else if (bug.slug === 'stray-async') {
        expect(scaleFb).toMatch(/^returned a Promise: `scale` is declared async, so it returns a Promise where the test expects a value \(then: wrong value: expected Promise/);
      } else if (bug.slug === 'nan-source') {
        // the re-run with every op's output scanned names the op, its output and the student's line
        const line = fs.readFileSync(path.join(bug.dir, '00-deps/index.ts'), 'utf8').split('\n').findIndex((l) => l.includes('tf.log(tf.sub(a, tf.mul(b, 2)))')) + 1;
        expect(fb['task 3 > logRatio of positive tensors is finite']).toMatch(
          new RegExp(`^not finite: logRatio gave NaN, NaN, .*; first NaN from Log \\(output float32\\[3\\]\\) at index\\.ts:${line}:\\d+ in logRatio — hint: log\\(a / b\\)`),
        );
      } else if (bug.slug === 'leak-origin') {
        const line = fs.readFileSync(path.join(bug.dir, '00-deps/index.ts'), 'utf8').split('\n').findIndex((l) => l.includes('return tf.sum(tf.square(x))')) + 1;
        // count, shapes and dtypes, then where each kind was made (square and sum are on one line)
        expect(fb['task 3 > squaredNorm leaks no tensors']).toMatch(
          new RegExp(`^leaked: 2 tensor\\(s\\) per call \\((float32\\[2,2\\], float32\\[\\]|float32\\[\\], float32\\[2,2\\]); .*made at index\\.ts:${line}:\\d+ in squaredNorm.*\\) — hint: wrap`),
        );
      } else if (bug.slug === 'not-finite') {
        expect(scaleFb).toMatch(/^not finite: expected \[ Infinity, Infinity, Infinity \] to deeply equal \[ 2, 4, 6 \] — hint: scale/);
      } else {
        expect(fb['task 2 > countWindows counts the windows of every block']).toMatch(/^fix `makeWindows` \(task 1\) first: this test calls it and its own test fails — wrong value: expected \[.*\] to deeply equal \[.*\] — hint: don't shuffle/);
        expect(fb['task 1 > makeWindows starts at the offset']).toMatch(/^wrong value: expected \[ \+0, 4 \] to deeply equal \[ 100, 104 \] — hint: makeWindows must add offset/);
      }
    }, 120_000);
  }

  // issue 23: a wrong reshape in 04's generator said only "Total size of new array must be unchanged."
  it('a shape bug deep in 04\'s generator names the layer and the student\'s line', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gen-shape-'));
    fs.cpSync(path.join(PROJECT_ROOT, 'solutions', '04-dcgan'), path.join(dir, '04-dcgan'), { recursive: true });
    const file = path.join(dir, '04-dcgan', 'index.ts');
    const src = fs.readFileSync(file, 'utf8');
    const bugged = src.replace('tf.layers.reshape({ targetShape: [7, 7, 2 * width] })', 'tf.layers.reshape({ targetShape: [14, 14, 2 * width] })');
    expect(bugged).not.toBe(src);
    fs.writeFileSync(file, bugged);
    const line = bugged.split('\n').findIndex((l) => l.includes('targetShape: [14, 14')) + 1;
    try {
      const r = await gradeTarget({ target: dir, only: ['04-dcgan'], select: { tasks: [1] }, seed: 7, log: () => {} });
      const fb = r.exercises[0]!.tests.find((t) => /generator maps/.test(t.name))!.feedback;
      expect(fb).toMatch(new RegExp(`^threw .*Total size of new array must be unchanged\\. \\[in Reshape layer "reshape_Reshape\\d+" \\(layer 4 of generator\\), input shape \\[\\d+,\\d+\\], output shape \\[null,14,14,\\d+\\]; added at index\\.ts:${line}:\\d+\\]`));
      expect(fb).not.toContain(dir);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);

  it('a syntax error is reported once, with its location; every test still scores 0', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'syntax-'));
    fs.cpSync(path.join(TARGETS, 'good'), dir, { recursive: true });
    const file = path.join(dir, '00-deps', 'index.ts');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('  return xs.map', '  const y = ;\n  return xs.map'));
    const r = await grade(dir);
    const e = r.exercises[0]!;
    expect(e.score).toBe(0);
    expect(e.tests.every((t) => t.status === 'failed' && t.points === 0)).toBe(true);
    expect(e.loadError).toMatch(/index\.ts:13:\d+/);
    expect(e.loadError).not.toContain(dir);
    const table = formatTable(r);
    expect(table.split(e.loadError!.slice(0, 30)).length - 1).toBe(1); // said once
    expect(table).not.toMatch(/makeWindows must add offset|don't shuffle/); // no unrelated advice
    expect(table).toMatch(new RegExp(`${e.tests.length} test\\(s\\) could not run`)); // every test of the exercise (5)
    expect(e.tests).toHaveLength(5);
    const md = formatMarkdown(r, dir);
    expect(md.split('failed to load').length - 1).toBe(1);
    expect(toGradescope(r).output).toMatch(/failed to load: .*index\.ts:13/);
  }, 120_000);
});
