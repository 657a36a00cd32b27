/** Report-ready charts: bars carry their values (± std with error bars); train/val pairs share a colour. */
import { describe, expect, test } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { barChart, PALETTE, seriesStyles } from '../../lib/plot/index.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'plot-labels-'));

/** Dark pixels in a horizontal band (fractions of the height), right of the y axis. */
async function darkIn(file: string, from: number, to: number): Promise<number> {
  const img = await loadImage(readFileSync(file));
  const c = createCanvas(img.width, img.height);
  const ctx = c.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const y0 = Math.floor(img.height * from);
  const x0 = Math.floor(img.width * 0.1); // right of the y-axis tick labels
  const data = ctx.getImageData(x0, y0, img.width - x0, Math.floor(img.height * to) - y0).data;
  let dark = 0;
  for (let i = 0; i < data.length; i += 4) if (data[i]! + data[i + 1]! + data[i + 2]! < 200) dark++;
  return dark;
}

describe('charts for reports', () => {
  test('train/validation pairs share a colour (validation dashed); unrelated series do not', () => {
    const s = seriesStyles(['loss', 'val_loss', 'acc', 'val_acc']);
    expect(s[0]!.colour).toBe(s[1]!.colour);
    expect(s[2]!.colour).toBe(s[3]!.colour);
    expect(s[0]!.colour).not.toBe(s[2]!.colour);
    expect(s.map((x) => x.dashed)).toEqual([false, true, false, true]);
    const t = seriesStyles(['train loss (dropout)', 'validation loss (dropout)', 'train loss (none)', 'validation loss (none)']);
    expect(t[0]!.colour).toBe(t[1]!.colour);
    expect(t[2]!.colour).toBe(t[3]!.colour);
    expect(t[0]!.colour).not.toBe(t[2]!.colour);
    const r = seriesStyles(['LSTM validation', 'GRU validation', 'LSTM training (epoch mean)', 'GRU training (epoch mean)', 'unigram baseline (2.1)']);
    expect(r[0]!.colour).toBe(r[2]!.colour);
    expect(r[1]!.colour).toBe(r[3]!.colour);
    expect(new Set(r.map((x) => x.colour)).size).toBe(3);
    expect(r.map((x) => x.dashed)).toEqual([true, true, false, false, false]);
    const u = seriesStyles(['sigmoid', 'tanh', 'relu']);
    expect(new Set(u.map((x) => x.colour)).size).toBe(3);
    expect(u.every((x) => !x.dashed)).toBe(true);
    expect(u[0]!.colour).toBe(PALETTE[0]);
  });

  test('bars are labelled with their values, and ± std with an error bar when given', async () => {
    const base = { title: 'Accuracy', xLabel: 'strategy', yLabel: 'accuracy', labels: ['scratch', 'fine-tune'] };
    // the same chart with the labels printed as nothing: what a chart without value labels looks like
    const silent = barChart(path.join(dir, 'silent.png'), { ...base, series: [{ label: 'acc', data: [0.5, 0.8] }], format: () => '' });
    const labelled = barChart(path.join(dir, 'labelled.png'), { ...base, series: [{ label: 'acc', data: [0.5, 0.8] }] });
    const withStd = barChart(path.join(dir, 'std.png'), { ...base, series: [{ label: 'acc', data: [0.5, 0.8], errors: [0.05, 0.02] }] });
    // the plot area (below title and legend)
    const [a, b, c] = await Promise.all([silent, labelled, withStd].map((f) => darkIn(f, 0.12, 0.9)));
    expect(b).toBeGreaterThan(a + 20);
    expect(c).toBeGreaterThan(b + 20);
  });
});
