/**
 * `npm run mutation` (scripts/mutation.ts) is a benchmark, not part of `npm test`; these cheap
 * checks pin what it mutates and runs, and how it scores, without running Stryker.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CourseError } from '../../lib/errors.js';
import {
  EQUIVALENTS_FILE, VITEST_CONFIG, gradedSourceFiles, mutatedText, mutationExercises, resolveExercise, strykerOptions, summarise, summaryLine,
  type Equivalent, type StrykerReport,
} from '../../scripts/mutation-lib.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('mutation testing config (scripts/mutation-lib.ts)', () => {
  it('mutates the files index.ts reaches in solutions/NN-name/, never train.ts or report-only code', () => {
    expect(gradedSourceFiles(ROOT, '01-ffnn-from-scratch')).toEqual(['solutions/01-ffnn-from-scratch/index.ts']);
    // 02: report.ts is imported only by train.ts
    expect(gradedSourceFiles(ROOT, '02-activations')).toEqual(
      ['activations', 'compare', 'diagnostics', 'index', 'mlp'].map((f) => `solutions/02-activations/${f}.ts`),
    );
    // 06: lab-mlp.ts is the training script's network, not graded
    expect(gradedSourceFiles(ROOT, '06-regularisation-lab')).toEqual(['solutions/06-regularisation-lab/index.ts']);
    for (const ex of mutationExercises(ROOT)) {
      const files = gradedSourceFiles(ROOT, ex);
      expect(files.every((f) => f.startsWith(`solutions/${ex}/`) && !f.endsWith('/train.ts')), ex).toBe(true);
    }
  });

  it('runs only the exercise\'s graded test file, through a vitest config that exists', () => {
    const o = strykerOptions(ROOT, '03-char-rnn');
    expect(o.testFiles).toEqual(['test/03-char-rnn.test.ts']);
    expect(o.mutate).toEqual(['solutions/03-char-rnn/index.ts']);
    expect(o.testRunner).toBe('vitest');
    expect(o.coverageAnalysis).toBe('perTest');
    expect(o.concurrency).toBe(1);
    expect((o.jsonReporter as { fileName: string }).fileName).toBe('mutation/03-char-rnn.json');
    expect((o.vitest as { configFile: string }).configFile).toBe(VITEST_CONFIG);
    expect(fs.existsSync(path.join(ROOT, VITEST_CONFIG))).toBe(true);
    for (const p of o.plugins as string[]) if (p.startsWith('/')) expect(fs.existsSync(p), p).toBe(true);
    // the sandbox copy must keep what the tests read
    const ignored = o.ignorePatterns as string[];
    for (const needed of ['/data', '/lib', '/solutions', '/test']) expect(ignored).not.toContain(needed);
  });

  it('accepts "03", "char-rnn" or the full name and rejects the rest with the list of exercises', () => {
    expect(resolveExercise(ROOT, '03')).toBe('03-char-rnn');
    expect(resolveExercise(ROOT, '3')).toBe('03-char-rnn');
    expect(resolveExercise(ROOT, 'char-rnn')).toBe('03-char-rnn');
    expect(resolveExercise(ROOT, '03-char-rnn')).toBe('03-char-rnn');
    expect(() => resolveExercise(ROOT, '99')).toThrow(CourseError);
    expect(() => resolveExercise(ROOT, undefined)).toThrow(/01-ffnn-from-scratch/);
  });

  it('scores (killed + timeout) / tested with listed equivalents excluded and reports each survivor', () => {
    const source = 'const a = b + c;\nif (x < y) f();\n';
    const loc = (line: number, c0: number, c1: number) => ({ start: { line, column: c0 }, end: { line, column: c1 } });
    const report: StrykerReport = {
      files: {
        'solutions/xx/index.ts': {
          source,
          mutants: [
            { id: '1', mutatorName: 'ArithmeticOperator', replacement: 'b - c', status: 'Killed', location: loc(1, 11, 16) },
            { id: '2', mutatorName: 'EqualityOperator', replacement: 'x <= y', status: 'Survived', location: loc(2, 5, 10) },
            { id: '3', mutatorName: 'ConditionalExpression', replacement: 'true', status: 'Survived', location: loc(2, 5, 10) },
            { id: '4', mutatorName: 'BlockStatement', replacement: '{}', status: 'NoCoverage', location: loc(2, 12, 15) },
            { id: '5', mutatorName: 'StringLiteral', replacement: '""', status: 'Ignored', location: loc(1, 1, 6) },
            { id: '6', mutatorName: 'ArithmeticOperator', replacement: 'b * c', status: 'Timeout', location: loc(1, 11, 16) },
          ],
        },
      },
    };
    expect(mutatedText(source, loc(2, 5, 10))).toBe('x < y');
    const eq: Equivalent = { file: 'solutions/xx/index.ts', mutator: 'EqualityOperator', original: 'x < y', replacement: 'x <= y', why: 'x never equals y' };
    const stale: Equivalent = { ...eq, original: 'gone' };
    const s = summarise('xx', report, [eq, stale]);
    expect(s.counts).toEqual({ killed: 1, timeout: 1, survived: 1, noCoverage: 1, equivalent: 1, ignored: 1, errors: 0, total: 6 });
    expect(s.score).toBeCloseTo(2 / 4);
    expect(s.survivors.map((m) => [m.line, m.mutator, m.original, m.replacement])).toEqual([
      [2, 'ConditionalExpression', 'x < y', 'true'],
      [2, 'BlockStatement', 'f()', '{}'],
    ]);
    expect(s.equivalents).toEqual([{ file: 'solutions/xx/index.ts', line: 2, mutator: 'EqualityOperator', original: 'x < y', replacement: 'x <= y', why: 'x never equals y' }]);
    expect(s.unusedEquivalents).toEqual([stale]);
    expect(summaryLine(s, 75)).toBe('xx: mutation score 50.0% — killed 1, timeout 1, survived 1, no coverage 1 (equivalent 1, ignored 1, errors 0; 6 mutants) in 1m15s');
  });

  it('every listed equivalent mutant names a mutated file and says why', () => {
    const file = path.join(ROOT, EQUIVALENTS_FILE);
    const list = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Equivalent[]) : [];
    const mutated = new Set(mutationExercises(ROOT).flatMap((ex) => gradedSourceFiles(ROOT, ex)));
    for (const e of list) {
      expect(mutated.has(e.file), `${EQUIVALENTS_FILE}: ${e.file} is not a mutated file`).toBe(true);
      expect(fs.readFileSync(path.join(ROOT, e.file), 'utf8'), `${e.file} no longer contains ${JSON.stringify(e.original)}`).toContain(e.original);
      expect(e.why.trim().length, `${e.file} ${e.original}: say why it is equivalent`).toBeGreaterThan(10);
    }
  });
});
