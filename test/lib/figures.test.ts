/**
 * Figures for reports: the layout check (clipped or overlapping text, text over bars, chart.js
 * boxes off the canvas) catches planted bad layouts and passes the charts as drawn now; every
 * chart is also written as SVG (and PDF on request) through the same drawing code.
 */
import { describe, expect, test } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import * as tf from '@tensorflow/tfjs';
import { barChart, imageGrid, lineChart, setFigureFormats } from '../../lib/plot/index.js';
import { drawFigure, parseFormats, wrapText } from '../../lib/plot/canvas.js';
import { layoutProblems, quadsOverlap, rectQuad, type Quad } from '../../lib/plot/layout.js';
import { logTick } from '../../lib/plot/charts.js';
import { newRunContext, withRunContext, type WrittenFigure } from '../../lib/report/context.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'figures-'));

/** Draw inside a run context and return what lib/plot noted about the figure. */
function noted(draw: () => string): WrittenFigure {
  const ctx = newRunContext();
  const file = withRunContext(ctx, draw);
  return ctx.figures.find((f) => f.file === file)!;
}

// 06's activation-std chart: 4 initialisations × 10 layers, values over 20 decades
const inits: Record<string, number[]> = {
  'He normal': [0.55, 0.49, 0.396, 0.411, 0.393, 0.417, 0.406, 0.429, 0.425, 0.405],
  'Xavier uniform': [0.325, 0.235, 0.18, 0.139, 0.105, 0.0739, 0.0531, 0.0392, 0.0272, 0.0185],
  'N(0, 0.01²)': [0.0692, 7.8e-3, 1e-3, 1.2e-4, 1.3e-5, 1.5e-6, 1.7e-7, 2e-8, 2.3e-9, 2.4e-10],
  'N(0, 1)': [6.92, 78.2, 1000, 1.2e4, 1.3e5, 1.5e6, 1.7e7, 2e8, 2.3e9, 2.4e10],
};
const initChart = (name: string, valueLabels?: 'horizontal') =>
  barChart(path.join(dir, name), {
    title: 'Post-ReLU activation std per layer (10 × 256 units, Fashion-MNIST input)',
    xLabel: 'layer',
    yLabel: 'std of activations (log scale)',
    logY: true,
    labels: Array.from({ length: 10 }, (_, i) => `${i + 1}`),
    series: Object.entries(inits).map(([label, data]) => ({ label, data })),
    valueLabels,
  });

describe('the layout check', () => {
  test('separating-axis overlap: rotated boxes that only look close do not overlap; crossing ones do', () => {
    const rot = (cx: number, cy: number, w: number, h: number, a: number): Quad =>
      rectQuad(-w / 2, -h / 2, w / 2, h / 2).map(([x, y]) => [cx + x * Math.cos(a) - y * Math.sin(a), cy + x * Math.sin(a) + y * Math.cos(a)]) as Quad;
    // two thin labels at 45°, side by side: their axis-aligned boxes overlap, the labels do not
    expect(quadsOverlap(rot(0, 0, 100, 10, Math.PI / 4), rot(20, 0, 100, 10, Math.PI / 4))).toBe(false);
    expect(quadsOverlap(rot(0, 0, 100, 10, Math.PI / 4), rot(0, 0, 100, 10, -Math.PI / 4))).toBe(true);
    expect(quadsOverlap(rectQuad(0, 0, 10, 10), rectQuad(10, 0, 20, 10))).toBe(false); // touching
  });

  test('planted: text over text, text past the edge, a chart box off the canvas', () => {
    const f = noted(() =>
      drawFigure(path.join(dir, 'planted.png'), { width: 200, height: 100, title: 'planted', kind: 'line' }, (t) => {
        const ctx = t.getContext('2d');
        ctx.font = '14px "DejaVu Sans"';
        ctx.fillText('first label', 20, 50);
        ctx.fillText('second label', 30, 52);
        ctx.fillText('clipped', 170, 20);
        return { boxes: [{ what: 'legend', left: -5, top: 0, right: 100, bottom: 20 }] };
      }),
    );
    expect(f.layoutProblems).toEqual([
      'text "clipped" is clipped at the right edge',
      'text "first label" overlaps "second label"',
      'chart.js legend box [-5, 0, 100, 20] leaves the 200×100 canvas',
    ]);
    expect(layoutProblems({ texts: [], obstacles: [] }, 10, 10)).toEqual([]);
  });

  test("06's activation chart: side-by-side value labels collide (the old layout); as drawn now, none", () => {
    const old = noted(() => initChart('init-horizontal.png', 'horizontal'));
    expect(old.layoutProblems.some((p) => / overlaps /.test(p))).toBe(true);
    expect(old.layoutProblems.some((p) => /drawn over the bar/.test(p))).toBe(true);
    const now = noted(() => initChart('init-auto.png'));
    expect(now.layoutProblems).toEqual([]);
  });

  test('a title wider than the chart wraps instead of being clipped', () => {
    const title = 'A very long title that a chart of 500 pixels cannot hold on one line without clipping both ends of it';
    expect(wrapText(title, 'bold 16px "DejaVu Sans"', 460).length).toBeGreaterThan(1);
    const f = noted(() => lineChart(path.join(dir, 'long-title.png'), { title, xLabel: 'x', yLabel: 'y', width: 500, series: [{ label: 'a', data: [1, 2, 3] }] }));
    expect(f.layoutProblems).toEqual([]);
  });

  test('log axes label only 1, 2 and 5 × 10^k', () => {
    expect([1e-3, 2e-3, 3e-3, 5e-2, 0.7, 10, 20, 50, 90].map(logTick)).toEqual([true, true, false, true, false, true, true, true, false]);
  });
});

/**
 * How far the SVG, rasterised, is from the PNG: both averaged over 4×4-pixel blocks (so
 * anti-aliasing differences of text drawn as paths wash out), the share of blocks (‰) whose
 * brightness differs by more than 24 of 255.
 */
async function svgVsPng(png: string): Promise<number> {
  const blocks = async (file: string) => {
    const img = await loadImage(readFileSync(file));
    const c = createCanvas(img.width, img.height);
    const ctx = c.getContext('2d');
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, img.width, img.height);
    ctx.drawImage(img, 0, 0, img.width, img.height);
    const d = ctx.getImageData(0, 0, img.width, img.height).data;
    const bw = Math.floor(img.width / 4);
    const bh = Math.floor(img.height / 4);
    const out = new Float64Array(bw * bh);
    for (let y = 0; y < bh * 4; y++) for (let x = 0; x < bw * 4; x++) {
      const i = (y * img.width + x) * 4;
      out[Math.floor(y / 4) * bw + Math.floor(x / 4)] += (d[i]! + d[i + 1]! + d[i + 2]!) / 48;
    }
    return { out, w: img.width, h: img.height };
  };
  const a = await blocks(png);
  const b = await blocks(png.replace(/\.png$/, '.svg'));
  expect([b.w, b.h]).toEqual([a.w, a.h]);
  let differ = 0;
  for (let i = 0; i < a.out.length; i++) if (Math.abs(a.out[i]! - b.out[i]!) > 24) differ++;
  return (1000 * differ) / a.out.length;
}

describe('vector figures', () => {
  test('every chart also as SVG (text as paths) that draws the same picture; PDF on request', async () => {
    const before = setFigureFormats(['svg', 'pdf']);
    try {
      const f = noted(() => lineChart(path.join(dir, 'vec.png'), { title: 'Loss per step', xLabel: 'step', yLabel: 'loss', series: [{ label: 'train', data: Array.from({ length: 200 }, (_, i) => 2 * Math.exp(-i / 50) + 0.1 * Math.sin(i)), smooth: 0.9 }] }));
      expect(f.vector).toEqual([path.join(dir, 'vec.svg'), path.join(dir, 'vec.pdf')]);
      const svg = readFileSync(f.vector[0]!, 'utf8');
      expect(svg).toMatch(/^<\?xml[^>]*>\s*<svg[^>]+width="800" height="450"/);
      // text converted to paths: the file looks the same without the DejaVu font
      expect(svg).not.toMatch(/<text/);
      const same = await svgVsPng(f.file);
      expect(same).toBeLessThan(2);
      expect(readFileSync(f.vector[1]!).subarray(0, 5).toString('latin1')).toBe('%PDF-');
      // a different chart differs: the comparison can fail
      const other = noted(() => lineChart(path.join(dir, 'other.png'), { title: 'Accuracy', xLabel: 'step', yLabel: 'acc', series: [{ label: 'val', data: [0.1, 0.9, 0.2] }] }));
      const swapped = path.join(dir, 'swapped.png');
      const { copyFileSync } = await import('node:fs');
      copyFileSync(other.file, swapped);
      copyFileSync(f.vector[0]!, swapped.replace('.png', '.svg'));
      expect(await svgVsPng(swapped)).toBeGreaterThan(20);
    } finally {
      setFigureFormats(before);
    }
  });

  test('PNG only when asked; pixel images (sample grids) are PNG only; bad format names are refused', () => {
    const before = setFigureFormats([]);
    try {
      const f = noted(() => barChart(path.join(dir, 'png-only.png'), { title: 't', xLabel: 'x', yLabel: 'y', labels: ['a'], series: [{ label: 's', data: [1] }] }));
      expect(f.vector).toEqual([]);
      expect(existsSync(path.join(dir, 'png-only.svg'))).toBe(false);
    } finally {
      setFigureFormats(before);
    }
    const grid = tf.zeros([4, 8, 8, 1]) as tf.Tensor4D;
    const g = noted(() => imageGrid(path.join(dir, 'grid.png'), grid, { title: 'samples' }));
    grid.dispose();
    expect(g.vector).toEqual([]);
    expect(g.kind).toBe('images');
    expect(parseFormats('png,svg,pdf')).toEqual(['svg', 'pdf']);
    expect(() => parseFormats('png,eps')).toThrow(/unknown figure format eps/);
  });
});
