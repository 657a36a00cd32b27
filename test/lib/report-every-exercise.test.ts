/**
 * Every exercise's run writes a lab-report draft a student could hand in: each figure embedded
 * with a caption, no clipped or overlapping text in any figure (lib/plot/layout.ts), conclusions
 * computed from the run, and a printed summary that counts what is on disk. One quick run of each
 * reference solution (an exercise added later is included automatically). The quick runs take
 * minutes on 2 cores, so the whole matrix runs with COURSE_SLOW_TESTS=1 (CI); otherwise 01 alone.
 */
import { describe, expect, test } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { listExercises } from '../../lib/exercises.js';
import { runSummary, runTraining } from '../../lib/cli/train.js';

const SLOW = process.env.COURSE_SLOW_TESTS === '1';
const exercises = listExercises().map((e) => e.id).filter((id, i) => SLOW || i === 0);

describe('every exercise writes a report a student can hand in', () => {
  test.each(exercises)('%s --quick: figures embedded with captions, clean layout, computed conclusions', async (id) => {
    const out = mkdtempSync(path.join(os.tmpdir(), `report-${id}-`));
    const r = await runTraining(id, { target: 'solutions', quick: true, out, figures: 'png,svg' });
    const md = readFileSync(r.written.reportMd, 'utf8');
    expect(existsSync(r.written.reportHtml)).toBe(true);
    expect(r.written.figures.length, 'the run draws at least one figure').toBeGreaterThan(0);
    for (const f of r.written.figures) {
      const rel = path.relative(out, f.file).split(path.sep).join('/');
      const escaped = rel.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      // a figure of its own (![Figure N](file)) or one image of a strip (04's samples per epoch,
      // a table of ![epoch k](file)) whose caption follows the strip
      const embedded = new RegExp(`!\\[[^\\]]*\\]\\(${escaped}\\)`).exec(md);
      expect(embedded, `${rel} is embedded in report.md`).not.toBeNull();
      // a caption that says something beyond the file's name: the first one after the image
      const caption = /\*Figure \d+\.\* (.*)/.exec(md.slice(embedded!.index))?.[1] ?? '';
      expect(caption.replace(/\(vector:.*\)$/, '').trim().length, `${rel}'s caption`).toBeGreaterThan(path.basename(rel, '.png').length + 2);
    }
    expect(r.written.layoutProblems, 'no clipped or overlapping text in any figure').toEqual([]);
    expect(md).toMatch(/## Conclusions \(computed from this run\)\n\n- \S/);
    const summary = runSummary(r, 1).join('\n');
    expect(summary).toContain(`${r.written.figures.length} figure PNG(s)`);
  }, 900_000);
});
