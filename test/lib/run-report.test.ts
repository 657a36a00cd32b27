/** Every full run writes report.md with its numbers in tables; --seeds gives mean ± std. */
import { describe, expect, test } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runTraining } from '../../lib/cli/train.js';
import { meanStd, metricsTables } from '../../lib/cli/run-report.js';
import { runSummary } from '../../lib/cli/train.js';
import { readdirSync } from 'node:fs';

describe('run reports', () => {
  test('mean and sample standard deviation', () => {
    expect(meanStd([1, 2, 3, 4])).toEqual({ mean: 2.5, std: Math.sqrt(5 / 3), n: 4 });
    expect(meanStd([0.7])).toEqual({ mean: 0.7, std: 0, n: 1 });
  });

  test('a map of maps is one matrix table; {mean, std, n} cells print as mean ± std; scalars by path', () => {
    const md = metricsTables({
      best: { strategy: 'fine-tuning', perClass: 25 },
      valAccuracy: { '25_per_class': { scratch: { mean: 0.785, std: 0.0141, n: 2 }, 'fine-tuning': { mean: 0.8475, std: 0.0035, n: 2 } }, '100_per_class': { scratch: 0.9, 'fine-tuning': 0.95 } },
      history: { loss: Array.from({ length: 20 }, (_, i) => 1 / (i + 1)) },
    }).join('\n');
    expect(md).toContain('| best › strategy | fine-tuning |');
    expect(md).toContain('| | scratch | fine-tuning |');
    expect(md).toContain('| 25_per_class | 0.785 ± 0.0141 (n = 2) | 0.8475 ± 0.0035 (n = 2) |');
    expect(md).toContain('| 100_per_class | 0.9 | 0.95 |');
    expect(md).toContain('| history › loss | last 0.05 (20 values) |');
    // the per-step log and the file lists are not tables of numbers
    expect(metricsTables({ a: 1, stepLog: { curves: { x: { steps: { loss: [1, 2] } } } }, plots: ['a.png'] }).join('\n')).not.toMatch(/stepLog|plots/);
  });

  test('course train (01, quick) writes the lab-report draft: every figure embedded with a caption, computed conclusions, counts that match the files; --seeds where nothing is compared is refused', async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'run-report-'));
    const r = await runTraining('01-ffnn-from-scratch', { target: 'solutions', quick: true, out });
    const md = readFileSync(path.join(out, 'report.md'), 'utf8');
    expect(r.samples).toContain(path.join(out, 'report.md'));
    expect(r.samples).toContain(path.join(out, 'report.html'));
    expect(md).toMatch(/\| testAccuracy \| 0\.\d+ \|/);
    const pngs = readdirSync(out).filter((f) => f.endsWith('.png'));
    const svgs = readdirSync(out).filter((f) => f.endsWith('.svg'));
    expect(pngs.length).toBeGreaterThanOrEqual(5);
    for (const p of pngs) {
      // embedded, and captioned with what to look for
      const n = new RegExp(`!\\[Figure (\\d+)\\]\\(${p.replace('.', '\\.')}\\)`).exec(md)?.[1];
      expect(n, `${p} is embedded`).toBeDefined();
      expect(md).toMatch(new RegExp(`\\*Figure ${n}\\.\\* .*Look for: `));
    }
    expect(svgs.length).toBe(pngs.length - 0);
    expect(md).toMatch(/## Conclusions \(computed from this run\)\n\n- The perceptron learned AND \(100\.0 %\)/);
    expect(md).toMatch(/classified \d+ of 30 held-out flowers correctly/);
    // the printed summary counts what is on disk (it once said "3 plot(s)" and listed 6 PNGs)
    const summary = runSummary(r, 1).join('\n');
    expect(summary).toContain(`${pngs.length} figure PNG(s), each chart also as vector graphics: ${svgs.length} SVG`);
    expect(summary.match(/^ {4}\S.*\.png$/gm)).toHaveLength(pngs.length);
    expect(summary).toMatch(/every step of 1 training loop\(s\) \(160 steps\)/);
    await expect(runTraining('01-ffnn-from-scratch', { target: 'solutions', quick: true, out, seeds: 2 })).rejects.toThrow(/no comparison to repeat over seeds/);
    expect(existsSync(path.join(out, 'numbers.md'))).toBe(false);
  }, 300_000);
});
