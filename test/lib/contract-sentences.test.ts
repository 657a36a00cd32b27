/**
 * Every contract sentence of every stub maps to the graded tests that fail when a submission
 * breaks it (issue 22 item 3). The sentences are extracted from the stubs' TODO blocks by the
 * rule in test/support/contract-sentences.ts; the mapping is test/contracts/NN-name.json.
 *
 * Fails when: a stub sentence has no entry (a new or reworded TODO sentence: add it with the
 * tests that catch it, or write the test), an entry's sentence is no longer in the stub, a mapped
 * test name is not in the exercise's rubric (the grader's list of graded tests), or an exercise has more sentences
 * without a test ("gap") than its ceiling below — a ratchet: lower it when a gap is closed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import {
  type ContractMap, contractMapPath, contractSentences, exerciseSentences, splitSentences,
} from '../support/contract-sentences.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const EXERCISES = fs.readdirSync(path.join(ROOT, 'exercises')).filter((d) => /^\d\d-/.test(d)).sort();

/** Sentences that no graded test checks yet, per exercise (each entry says what is missing). Only ever lower these. */
const GAP_CEILING: Record<string, number> = {
  '01-ffnn-from-scratch': 0,
  '02-activations': 0,
  '03-char-rnn': 0,
  '04-dcgan': 0,
  '05-transfer-learning': 0,
  '06-regularisation-lab': 0,
  '07-cnn': 0,
  '08-responsible-ml': 0,
  '09-dl-vs-ml': 0,
};

function loadMap(exercise: string): ContractMap {
  return JSON.parse(fs.readFileSync(contractMapPath(ROOT, exercise), 'utf8')) as ContractMap;
}

function rubricNames(exercise: string): Set<string> {
  const rubric = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', `${exercise}.rubric.json`), 'utf8')) as { tests: { name: string }[] };
  return new Set(rubric.tests.map((t) => t.name));
}

describe('the extraction rule', () => {
  test('bullets, numbered steps and sentences become separate contract sentences; abbreviations do not split', () => {
    const src = [
      '  // TODO (task 1): does a thing. It returns x, e.g. Infinity for 0 (see above).',
      '  //   1. first step',
      '  //      continued',
      '  //   - a bullet; more. Another sentence',
      '  // Back to the paragraph (an aside.) Next one.',
      '  const x = 1; // not part of it',
      '/**',
      ' * Doc text before.',
      ' *',
      ' * TODO: doc sentence one. Doc two.',
      ' */',
    ].join('\n');
    expect(contractSentences(src, 'f.ts').map((s) => s.text)).toEqual([
      'does a thing.', 'It returns x, e.g. Infinity for 0 (see above).', 'first step continued', 'a bullet; more.',
      'Another sentence', 'Back to the paragraph (an aside.)', 'Next one.', 'doc sentence one.', 'Doc two.',
    ]);
  });

  test('a comment that only mentions TODO (no "TODO:" or "TODO (…):") is not a contract', () => {
    expect(contractSentences('// Each TODO says WHAT the function must do.\n// Used by your TODO code.', 'f.ts')).toEqual([]);
    expect(splitSentences('i.e. logit > 0. real = share')).toEqual(['i.e. logit > 0. real = share']);
  });
});

describe.each(EXERCISES)('%s: every contract sentence of the stub maps to graded tests', (exercise) => {
  const sentences = exerciseSentences(ROOT, exercise);
  const map = loadMap(exercise);
  const byText = new Map(map.entries.map((e) => [e.sentence, e]));

  test('the stub has contract sentences and the mapping is for this exercise', () => {
    expect(map.exercise).toBe(exercise);
    expect(sentences.length).toBeGreaterThan(0);
  });

  test('every stub sentence has an entry, and every entry is a stub sentence', () => {
    const unmapped = sentences.filter((s) => !byText.has(s.text)).map((s) => `${s.file}:${s.line}  ${s.text}`);
    expect(unmapped, `sentences with no entry in test/contracts/${exercise}.json (add the tests that fail when each is broken)`).toEqual([]);
    const texts = new Set(sentences.map((s) => s.text));
    const stale = map.entries.filter((e) => !texts.has(e.sentence)).map((e) => e.sentence);
    expect(stale, 'entries whose sentence is no longer in the stub (reworded? update the entry)').toEqual([]);
    // a sentence repeated in the stub (e.g. "No tensors left behind." under two functions) has one entry for all its places
    expect(map.entries.length, 'one entry per distinct sentence').toBe(new Set(map.entries.map((e) => e.sentence)).size);
  });

  test('every entry names existing graded tests, says why it is no contract, or records its gap', () => {
    const names = rubricNames(exercise);
    for (const e of map.entries) {
      const tests = e.tests ?? [];
      expect(tests.length > 0 || !!e.notContract || !!e.gap, `"${e.sentence}": no tests, no notContract reason, no gap`).toBe(true);
      expect(!(e.notContract && tests.length > 0), `"${e.sentence}": notContract and tests at once`).toBe(true);
      for (const name of tests) {
        expect(names.has(name), `"${e.sentence}" maps to "${name}", which is not in test/${exercise}.rubric.json`).toBe(true);
      }
    }
  });

  test(`sentences no test checks yet stay at or below ${GAP_CEILING[exercise] ?? 0}`, () => {
    const gaps = map.entries.filter((e) => e.gap).map((e) => `${e.sentence} — ${e.gap}`);
    expect(gaps.length, gaps.join('\n')).toBeLessThanOrEqual(GAP_CEILING[exercise] ?? 0);
  });
});
