/**
 * The static review scan (lib/grader/scan.ts): every rule has a planted file under
 * test/fixtures/scan/01-scan/<rule>.ts that must be flagged with exactly that rule, at the right
 * line; ordinary code (clean.ts, the stubs, the reference solutions' graded code) is not flagged.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/grader/paths.js';
import { SCAN_RULES, scanExercise, scanFile, type ScanRule } from '../../lib/grader/scan.js';

const DIR = path.join(PROJECT_ROOT, 'test/fixtures/scan/01-scan');
// the fixture folder stands for a submission's exercise folder; its ../../../../lib is the course lib
const LIB = path.join(PROJECT_ROOT, 'lib');

describe('static review scan', () => {
  for (const rule of Object.keys(SCAN_RULES) as ScanRule[]) {
    it(`flags ${rule}: ${SCAN_RULES[rule]}`, () => {
      const file = path.join(DIR, `${rule}.ts`);
      const findings = scanFile(file, DIR, LIB);
      expect(findings.map((f) => f.rule)).toContain(rule);
      expect(new Set(findings.map((f) => f.rule))).toEqual(new Set([rule]));
      const lines = fs.readFileSync(file, 'utf8').split('\n');
      for (const f of findings) expect(lines[f.line - 1]!.trim()).toBe(f.text);
    });
  }

  it('does not flag ordinary exercise code', () => {
    expect(scanFile(path.join(DIR, 'clean.ts'), DIR, LIB)).toEqual([]);
    expect(scanFile(path.join(DIR, 'sub/helper.ts'), DIR, LIB)).toEqual([]);
  });

  it('does not flag the stubs, nor the graded code of the reference solutions', () => {
    for (const root of ['exercises', 'solutions']) {
      for (const ex of fs.readdirSync(path.join(PROJECT_ROOT, root)).filter((e) => /^\d\d-/.test(e))) {
        // train.ts in solutions/ writes report material (plots, JSON): not graded code
        const findings = scanExercise(path.join(PROJECT_ROOT, root, ex), LIB).filter((f) => !f.file.endsWith('/train.ts'));
        expect(findings, `${root}/${ex}`).toEqual([]);
      }
    }
  });
});
