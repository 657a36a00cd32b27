/** Every full run writes report.md with its numbers in tables; --seeds gives mean ± std. */
import { describe, expect, test } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runTraining } from '../../lib/cli/train.js';
import { meanStd, metricsTables, runReport } from '../../lib/cli/run-report.js';

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
    const full = runReport({ exercise: 'x', target: '/t', backend: 'cpu', seed: 1, seeds: 3, epochs: 4, quick: false, seconds: 2, metrics: { a: 1 }, plots: ['/o/p.png'], out: '/o' });
    expect(full).toContain('seeds 1–3 (3 seeds: mean ± sample std)');
    expect(full).toContain('![p](p.png)');
  });

  test('course train (01, quick) writes report.md with the run\'s numbers; --seeds where nothing is compared is refused', async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'run-report-'));
    const r = await runTraining('01-ffnn-from-scratch', { target: 'solutions', quick: true, out });
    const md = readFileSync(path.join(out, 'report.md'), 'utf8');
    expect(r.samples).toContain(path.join(out, 'report.md'));
    expect(md).toMatch(/\| testAccuracy \| 0\.\d+ \|/);
    for (const p of r.plots) expect(md).toContain(`](${path.basename(p)})`);
    await expect(runTraining('01-ffnn-from-scratch', { target: 'solutions', quick: true, out, seeds: 2 })).rejects.toThrow(/no comparison to repeat over seeds/);
    expect(existsSync(path.join(out, 'numbers.md'))).toBe(false);
  }, 120_000);
});
