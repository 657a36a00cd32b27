/**
 * The similarity report on a planted batch (test/fixtures/similarity/ + copies made here):
 *   ana  an own partial solution of 01          ben  ana renamed (names, messages, comments)
 *   cai  ana with functions/statements reordered dee  an independent solution of the same tasks
 *   eve  the reference solution, renamed         fay  the stub, untouched (made here)
 *   gus, hal  the stub with one function each, written independently (made here: they share the
 *             whole current stub)
 *   ivy  handed in nothing for 01
 * Needs Dolos (not a dependency, see lib/grader/dolos.ts): skipped with the install command when
 * it is missing, unless COURSE_REQUIRE_DOLOS=1 (CI), where a missing Dolos fails.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { similarity } from '../../lib/cli/similarity.js';
import { DOLOS_INSTALL, findDolos, loadDolos } from '../../lib/grader/dolos.js';
import { PROJECT_ROOT } from '../../lib/grader/runner.js';
import { REFERENCE, similarityMarkdown, similarityReport, type ExerciseSimilarity } from '../../lib/grader/similarity.js';

const EXERCISE = '01-ffnn-from-scratch';
const FIXTURES = path.join(PROJECT_ROOT, 'test/fixtures/similarity');
const dolos = findDolos();
const required = process.env.COURSE_REQUIRE_DOLOS === '1';
/** null when Dolos loads and works under this Node; else why not (the CourseError's text) */
const unusable = dolos === null ? 'not installed' : await loadDolos().then(() => null, (err: Error) => err.message);

describe('similarity without Dolos', () => {
  it.skipIf(dolos !== null || required)(`says exactly how to install it (\`${DOLOS_INSTALL}\`)`, async () => {
    await expect(loadDolos()).rejects.toThrow(new RegExp(`needs Dolos[\\s\\S]*fix: run \`${DOLOS_INSTALL.replace(/[.@/]/g, '\\$&')}\``));
  });
  it.runIf(required)('COURSE_REQUIRE_DOLOS=1: Dolos is installed and works (CI installs it before the tests)', () => {
    expect(unusable, `install it with ${DOLOS_INSTALL}`).toBeNull();
  });
});

describe('course similarity: usage errors name the fix (exit 2)', () => {
  it.each([
    [{}, /--submissions DIR is required/],
    [{ submissions: '/nonexistent-folder' }, /--submissions \/nonexistent-folder is not a folder/],
    [{ submissions: FIXTURES, only: ['99-nope'] }, /unknown exercise "99-nope"[\s\S]*fix: choose from: 01-ffnn-from-scratch/],
    [{ submissions: FIXTURES, threshold: 3 }, /--threshold must be between 0 and 1/],
  ])('%j', async (args, message) => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      expect(await similarity(args)).toBe(2);
      expect(err.mock.calls.map((c) => String(c[0])).join('\n')).toMatch(message);
    } finally {
      err.mockRestore();
    }
  });
});

describe.skipIf(unusable !== null)(`similarity report on planted pairs (Dolos: ${unusable ?? dolos})`, () => {
  let batch: string;
  let r: ExerciseSimilarity;
  const stubFile = path.join(PROJECT_ROOT, 'exercises', EXERCISE, 'index.ts');
  const score = (a: string, b: string) => {
    const p = [...r.pairs, ...r.reference].find((q) => (q.a === a && q.b === b) || (q.a === b && q.b === a));
    expect(p, `pair ${a}/${b}`).toBeDefined();
    return p!.similarity;
  };
  const write = (student: string, text: string) => {
    fs.mkdirSync(path.join(batch, student, EXERCISE), { recursive: true });
    fs.writeFileSync(path.join(batch, student, EXERCISE, 'index.ts'), text);
  };

  beforeAll(async () => {
    batch = fs.mkdtempSync(path.join(os.tmpdir(), 'similarity-'));
    for (const s of ['ana', 'ben', 'cai', 'dee', 'eve']) fs.cpSync(path.join(FIXTURES, s), path.join(batch, s), { recursive: true });
    const stub = fs.readFileSync(stubFile, 'utf8');
    write('fay', stub);
    // gus and hal each fill in countParameters in their own way and keep the rest of the stub
    const todo = /(export function countParameters\([^)]*\): number \{)[\s\S]*?throw new NotImplemented\('countParameters'\);/;
    expect(stub).toMatch(todo);
    write('gus', stub.replace(todo, '$1\n  return layerSizes.slice(1).reduce((n, out, i) => n + (layerSizes[i]! + 1) * out, 0);'));
    write('hal', stub.replace(todo, '$1\n  let total = 0;\n  for (let l = 1; l < layerSizes.length; l++) {\n    total += layerSizes[l - 1]! * layerSizes[l]!;\n    total += layerSizes[l]!;\n  }\n  return total;'));
    fs.mkdirSync(path.join(batch, 'ivy'));
    [r] = (await similarityReport({ submissionsDir: batch, exercises: [EXERCISE] })) as [ExerciseSimilarity];
  });
  afterAll(() => {
    if (batch) fs.rmSync(batch, { recursive: true, force: true });
  });

  it('ranks the renamed and the reordered copy on top and flags them', () => {
    expect(r.pairs.slice(0, 3).map((p) => [p.a, p.b].sort().join('+')).sort()).toEqual(['ana+ben', 'ana+cai', 'ben+cai']);
    for (const [a, b] of [['ana', 'ben'], ['ana', 'cai'], ['ben', 'cai']] as const) expect(score(a, b), `${a}/${b}`).toBeGreaterThanOrEqual(0.8);
    expect(r.pairs.slice(0, 3).every((p) => p.flagged)).toBe(true);
  });

  it('keeps the two independent solutions low and unflagged', () => {
    for (const other of ['ana', 'ben', 'cai']) expect(score('dee', other), `dee/${other}`).toBeLessThan(0.3);
    expect(r.pairs.filter((p) => p.flagged).map((p) => [p.a, p.b].sort().join('+')).sort()).toEqual(['ana+ben', 'ana+cai', 'ben+cai']);
  });

  it('flags copying from the reference solution, and only that', () => {
    expect(r.reference[0]).toMatchObject({ a: 'eve', b: REFERENCE, flagged: true });
    expect(r.reference[0]!.similarity).toBeGreaterThanOrEqual(0.8);
    expect(r.reference.filter((p) => p.flagged).map((p) => p.a)).toEqual(['eve']);
  });

  it('does not count the stub: an untouched stub is set aside, and two stubs with one own function each are not similar', () => {
    expect(r.unchanged).toEqual(['fay']);
    expect(r.missing).toEqual(['ivy']);
    expect(score('gus', 'hal')).toBeLessThan(0.3);
  });

  it('writes a readable Markdown report', () => {
    const md = similarityMarkdown([r]);
    expect(md).toContain(`## ${EXERCISE}`);
    expect(md).toMatch(/\| \*\*9\d %\*\* ⚑ \| ana \| (ben|cai) \|/);
    expect(md).toMatch(/unchanged from the stub: fay; without this exercise: ivy/);
    expect(md).toMatch(/\| \*\*\d+ %\*\* ⚑ \| eve \| reference solution \|/);
  });
});
