/**
 * `course compare`: two seeds of 02's quick run overlaid (the legend names the seed, the only
 * setting that differs), the final numbers side by side; runs from before per-step logging
 * compare by their per-epoch histories; bad input gets a clear error.
 */
import { describe, expect, test } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runTraining } from '../../lib/cli/train.js';
import { compareRuns, differingSettings, readRun, runLabels } from '../../lib/report/compare.js';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'compare-'));

describe('course compare', () => {
  test('two seeds of 02 --quick: every curve overlaid per run, legend = run name + seed, final numbers side by side', async () => {
    const root = tmp();
    const a = path.join(root, 'seed-42');
    const b = path.join(root, 'seed-43');
    await runTraining('02-activations', { target: 'solutions', quick: true, out: a, seed: 42, figures: 'png' });
    await runTraining('02-activations', { target: 'solutions', quick: true, out: b, seed: 43, figures: 'png' });
    const runs = [readRun(a), readRun(b)];
    expect(differingSettings(runs)).toEqual(['seed']);
    expect(runLabels(runs)).toEqual(['seed-42 (seed 42)', 'seed-43 (seed 43)']);
    const out = path.join(root, 'cmp');
    const r = compareRuns([a, b], out);
    // 7 activations × (loss with val_loss, accuracy with val_accuracy)
    expect(r.figures).toHaveLength(14);
    for (const f of r.figures) expect(existsSync(f)).toBe(true);
    const md = readFileSync(r.markdown, 'utf8');
    expect(md).toContain('![Figure 1](sigmoid-loss.png)');
    expect(md).toMatch(/\| metric \| seed-42 \(seed 42\) \| seed-43 \(seed 43\) \| spread \(max − min\) \|/);
    // the two seeds' accuracies differ, and the table says by how much
    const row = md.split('\n').find((l) => l.startsWith('| runs › relu › finalValAccuracy |'))!;
    const [x, y, spread] = row.split('|').slice(2, 5).map((c) => Number(c.trim()));
    expect(spread).toBeCloseTo(Math.abs(x! - y!), 3);
    const html = readFileSync(r.html, 'utf8');
    // every figure inline (its SVG where one was written beside the PNG, else the PNG)
    expect((html.match(/<img src="data:image\/(png|svg\+xml);base64,/g) ?? []).length).toBe(14);
  }, 600_000);

  test('runs from before per-step logging compare by their histories; fewer than two runs or a missing run is a clear error', () => {
    const root = tmp();
    for (const [name, lr, loss] of [['lr-0.1', 0.1, [1, 0.6, 0.4]], ['lr-0.01', 0.01, [1, 0.9, 0.8]]] as const) {
      mkdirSync(path.join(root, name));
      writeFileSync(path.join(root, name, 'metrics.json'), JSON.stringify({ exercise: 'x', seed: 1, config: { learningRate: lr }, history: { loss }, finalLoss: loss[2] }));
    }
    const r = compareRuns([path.join(root, 'lr-0.1'), path.join(root, 'lr-0.01')], path.join(root, 'out'));
    expect(r.labels).toEqual(['lr-0.1 (learningRate 0.1)', 'lr-0.01 (learningRate 0.01)']);
    expect(r.figures.map((f) => path.basename(f))).toEqual(['history-loss.png']);
    expect(readFileSync(r.markdown, 'utf8')).toMatch(/\| finalLoss \| 0\.4 \| 0\.8 \| 0\.4 \|/);
    expect(() => compareRuns([path.join(root, 'lr-0.1')], path.join(root, 'o2'))).toThrow(/at least two runs/);
    expect(() => compareRuns([path.join(root, 'lr-0.1'), path.join(root, 'nope')], path.join(root, 'o3'))).toThrow(/metrics\.json does not exist/);
  });
});
